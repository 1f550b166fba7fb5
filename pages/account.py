"""My account: who I am, and changing my password (required after a one-time password)."""

from __future__ import annotations

from nicegui import run, ui

from components import format, theme
from services import accounts
from services.errors import ValidationFailed
from services.permissions import Actor


async def view(actor: Actor) -> None:
    user = await run.io_bound(accounts.get_user, actor, actor.id)
    with ui.column().classes(theme.PAGE + ' max-w-3xl').mark('account'):
        ui.label('My account').classes(theme.TITLE)
        with ui.card().classes(theme.CARD):
            ui.label('Profile').classes('text-base font-medium')
            for label, value in (
                ('Name', user.name),
                ('Email', user.email),
                ('Role', user.role.value.title()),
                ('Last login', format.when(user.last_login_at)),
            ):
                with ui.row().classes('w-full gap-4'):
                    ui.label(label).classes('w-28 text-stone-500')
                    ui.label(value)
        _password_form(actor)


def _password_form(actor: Actor) -> None:
    with ui.card().classes(theme.CARD).mark('password-form'):
        ui.label('Change password').classes('text-base font-medium')
        ui.label(
            f'At least {accounts.MIN_PASSWORD_LENGTH} characters; a passphrase of a few words works well.'
        ).classes(theme.SUBTITLE)
        current = ui.input('Current password', password=True).props('outlined').classes('w-full').mark('current')
        new = ui.input(
            'New password',
            password=True,
            validation={
                f'At least {accounts.MIN_PASSWORD_LENGTH} characters': lambda v: (
                    not v or len(v) >= accounts.MIN_PASSWORD_LENGTH
                )
            },
        )
        new.props('outlined').classes('w-full').mark('new')
        repeat = ui.input(
            'Repeat new password', password=True, validation={'Does not match': lambda v: not v or v == new.value}
        )
        repeat.props('outlined').classes('w-full').mark('repeat')

        async def save() -> None:
            if not new.validate() or not repeat.validate() or not new.value or not current.value:
                ui.notify('Fill in all three fields.', type='warning')
                return
            try:
                await run.io_bound(accounts.change_password, actor, current.value, new.value)
            except ValidationFailed as error:
                target = {'current': current, 'new': new}.get(next(iter(error.fields), ''), current)
                target.props(f'error error-message="{error.fields.get(next(iter(error.fields), ""), "")}"')
                ui.notify(str(error), type='negative')
                return
            for field in (current, new, repeat):
                field.value = ''
                field.props(remove='error error-message')
            ui.notify('Your password has been changed.', type='positive')

        ui.button('Change password', on_click=save).props('unelevated').mark('save-password')
