"""My account: who I am, and changing my password (required after a one-time password)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components import format, theme
from components.offload import call
from services import accounts
from services.errors import ServiceError, ValidationFailed
from services.permissions import Actor

_LONG_ENOUGH = f'At least {accounts.MIN_PASSWORD_LENGTH} characters'


async def view(actor: Actor, on_password_changed: Callable[[], None] = lambda: None) -> None:
    user = await call(accounts.get_user, actor, actor.id)
    with ui.column().classes(theme.NARROW_PAGE).mark('account'):
        with ui.column().classes('gap-0'):
            ui.label('My account').classes(theme.TITLE)
            ui.label('Your profile and your password.').classes(theme.SUBTITLE)
        with ui.card().classes(theme.CARD).mark('profile'):
            ui.label('Profile').classes(theme.CARD_TITLE)
            with ui.grid(columns='auto 1fr').classes('w-full gap-x-8 gap-y-2 text-sm'):
                for label, value in (
                    ('Name', user.name),
                    ('Email', user.email),
                    ('Role', user.role.value.title()),
                    ('Last login', format.when(user.last_login_at)),
                ):
                    ui.label(label).classes(theme.MUTED)
                    ui.label(value).classes('break-all')
        _password_form(actor, on_password_changed)


def _password_form(actor: Actor, on_changed: Callable[[], None]) -> None:
    with ui.card().classes(theme.CARD).mark('password-form'):
        ui.label('Change password').classes(theme.CARD_TITLE)
        ui.label(f'{_LONG_ENOUGH}; a passphrase of a few words works well.').classes(theme.SUBTITLE + ' mb-2')
        current = _password_input('Current password', 'current', {'Enter your current password': bool})
        new = _password_input(
            'New password',
            'new',
            {'Choose a new password': bool, _LONG_ENOUGH: lambda v: len(v) >= accounts.MIN_PASSWORD_LENGTH},
        )
        repeat = _password_input(
            'Repeat new password',
            'repeat',
            {'Repeat the new password': bool, 'Does not match': lambda v: v == new.value},
        )
        fields = {'current': current, 'new': new, 'repeat': repeat}

        async def save() -> None:
            valid = [field.validate() for field in fields.values()]  # every field, so each shows its own problem
            if not all(valid):
                return
            try:
                await call(accounts.change_password, actor, current.value, new.value)
            except ServiceError as refusal:
                problems = refusal.fields if isinstance(refusal, ValidationFailed) else {}
                for name in problems.keys() & fields.keys():
                    fields[name].error = problems[name]
                if not problems.keys() & fields.keys():
                    ui.notify(str(refusal), type='negative')
                return
            for field in fields.values():
                field.value = ''
                field.error = None
            on_changed()
            ui.notify('Your password has been changed.', type='positive')

        with ui.row().classes('w-full justify-end'):
            ui.button('Change password', on_click=save).props('unelevated').mark('save-password')


def _password_input(label: str, mark: str, rules: dict[str, Callable[[str], bool]]) -> ui.input:
    """A password field; the autocomplete hint lets password managers fill the current one and offer a new one."""
    field = ui.input(label, password=True, password_toggle_button=True, validation=rules)
    autocomplete = 'current-password' if mark == 'current' else 'new-password'
    return field.props(f'outlined autocomplete={autocomplete}').classes('w-full').mark(mark)
