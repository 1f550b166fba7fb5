"""My account: who I am, my name, language and dark mode, and changing my password (required after a one-time one).

The language is a preference of the browser page, not a translation of the product: choosing one sets the
page's `lang` attribute (read by screen readers, spell-checkers, hyphenation and the browser's translate
offer) and switches Quasar's own texts (date pickers, table paging, "No data") to that language. Our labels
stay in English. It applies at once on this page and, through `apply_language`, whenever the shell is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from nicegui import __version__ as nicegui_version
from nicegui import ui

from components import field_errors, format, theme
from components.offload import call
from pages.account_tokens import tokens_card
from services import accounts
from services.errors import ServiceError, ValidationFailed
from services.permissions import Actor


async def view(actor: Actor, on_password_changed: Callable[[], None] = lambda: None) -> None:
    user = await call(accounts.get_user, actor, actor.id)
    with ui.column().classes(theme.NARROW_PAGE).mark('account'):
        with ui.column().classes('gap-0'):
            ui.label('My account').classes(theme.TITLE)
            ui.label('Your profile, your preferences and your password.').classes(theme.SUBTITLE)
        _profile_card(actor, user)
        _preferences_card(actor, user)
        _password_form(actor, user, on_password_changed)
        await tokens_card(actor)


def _profile_card(actor: Actor, user: accounts.UserRead) -> None:
    with ui.card().classes(theme.CARD).mark('profile'):
        ui.label('Profile').classes(theme.CARD_TITLE)
        with ui.row().classes('w-full items-start gap-2 no-wrap'):
            name = ui.input('Name', value=user.name, validation=_name_problem).props('outlined maxlength=120')
            name.classes('grow').mark('name')
            save = ui.button('Save name').props('unelevated').classes('mt-2').mark('save-name')
        with ui.grid(columns='auto 1fr').classes('w-full gap-x-8 gap-y-2 text-sm mt-2'):
            for label, value in (
                ('Email', user.email),
                ('Role', user.role.value.title()),
                ('Last login', format.when(user.last_login_at)),
            ):
                ui.label(label).classes(theme.MUTED)
                ui.label(value).classes('break-all')

    async def rename() -> None:
        if not name.validate():
            return
        save.props('loading')
        try:
            saved = await call(accounts.rename, actor, name.value)
        except ServiceError as refusal:
            field_errors.show(refusal, {'name': name})
            return
        finally:
            save.props(remove='loading')
        name.value = saved.name
        ui.notify('Your name has been saved; the header shows it from the next page load.', type='positive')

    save.on_click(rename)
    name.on('keydown.enter', rename)


def _name_problem(value: str) -> str | None:
    """The service's own rule, checked as the person types (a pure function: no database involved)."""
    try:
        accounts.clean_name(value or '')
    except ValueError as error:
        return f'The name {error}.'
    return None


def _preferences_card(actor: Actor, user: accounts.UserRead) -> None:
    """Language and dark mode. Dark mode is the header menu's switch too: both drive the page's one `ui.dark_mode`,
    so flipping either shows in the other at once, and each change is saved once."""
    with ui.card().classes(theme.CARD).mark('preferences'):
        ui.label('Preferences').classes(theme.CARD_TITLE)
        language = ui.select(
            accounts.LANGUAGES, label='Language', value=user.preferences.get('language', accounts.DEFAULT_LANGUAGE)
        )
        language.props('outlined').classes('w-full sm:w-72').mark('language')
        ui.label('Sets the language of the page and of built-in texts such as date pickers and table paging.').classes(
            theme.SUBTITLE
        )
        dark_mode = _page_dark_mode(bool(user.preferences.get('dark_mode')))
        dark = ui.switch('Dark mode').bind_value_from(dark_mode, 'value').mark('dark-mode')

    async def on_language(event) -> None:
        if await _save_preference(actor, 'language', event.value):
            apply_language(event.value)

    async def on_dark(event) -> None:
        if bool(event.value) == bool(dark_mode.value):  # the header's switch changed it, and saved it
            return
        dark_mode.value = event.value
        await _save_preference(actor, 'dark_mode', bool(event.value))

    language.on_value_change(on_language)
    dark.on_value_change(on_dark)


def _page_dark_mode(value: bool) -> ui.dark_mode:
    """The page's dark mode: the shell's (its header menu switches it), or one of our own outside the shell."""
    found = next(
        (element for element in ui.context.client.elements.values() if isinstance(element, ui.dark_mode)), None
    )
    return found if found is not None else ui.dark_mode(value)


async def _save_preference(actor: Actor, key: str, value: object) -> bool:
    try:
        await call(accounts.set_preference, actor, key, value)
    except ServiceError as refusal:
        ui.notify(str(refusal), type='negative')
        return False
    ui.notify('Saved.', type='positive')
    return True


def apply_language(language: str | None) -> None:
    """Switch the current page to `language` (a key of `accounts.LANGUAGES`): its `lang` attribute and Quasar's
    texts. NiceGUI fixes a page's language when it serves it, so this loads Quasar's language pack from
    NiceGUI's own assets and switches to it in the browser."""
    code = language if language in accounts.LANGUAGES else accounts.DEFAULT_LANGUAGE
    pack = f'/_nicegui/{nicegui_version}/static/lang/{code}.umd.prod.js'
    ui.run_javascript(
        f"""(() => {{
            const code = {json.dumps(code)};
            const use = () => {{ Quasar.Lang.set(Quasar.Lang[code]); document.documentElement.lang = code; }};
            if (Quasar.Lang[code]) {{ use(); return; }}
            const script = document.createElement('script');
            script.src = {json.dumps(pack)};
            script.onload = use;
            document.head.appendChild(script);
        }})()"""
    )


def _password_form(actor: Actor, user: accounts.UserRead, on_changed: Callable[[], None]) -> None:
    with ui.card().classes(theme.CARD).mark('password-form'):
        ui.label('Change password').classes(theme.CARD_TITLE)
        ui.label(
            f'At least {accounts.MIN_PASSWORD_LENGTH} characters, not your name or email, not a common password; '
            'a passphrase of a few words works well.'
        ).classes(theme.SUBTITLE + ' mb-2')
        current = _password_input('Current password', 'current', lambda v: None if v else 'Enter your current password')
        new = _password_input('New password', 'new', lambda v: _new_password_problem(v, user))
        repeat = _password_input(
            'Repeat new password', 'repeat', lambda v: 'Repeat the new password' if not v else _mismatch(v, new.value)
        )
        fields = {'current': current, 'new': new, 'repeat': repeat}

        async def save() -> None:
            valid = [field.validate() for field in fields.values()]  # every field, so each shows its own problem
            if not all(valid):
                return
            button.props('loading')
            try:
                await call(accounts.change_password, actor, current.value, new.value)
            except ServiceError as refusal:
                problems = refusal.fields if isinstance(refusal, ValidationFailed) else {}
                for name in problems.keys() & fields.keys():
                    fields[name].error = problems[name]
                if not problems.keys() & fields.keys():
                    ui.notify(str(refusal), type='negative')
                return
            finally:
                button.props(remove='loading')
            for field in fields.values():
                field.value = ''
                field.error = None
            on_changed()
            ui.notify('Your password has been changed.', type='positive')

        with ui.row().classes('w-full justify-end'):
            button = ui.button('Change password', on_click=save).props('unelevated').mark('save-password')


def _new_password_problem(value: str, user: accounts.UserRead) -> str | None:
    """The service's password rules, shown under the field as the person types."""
    if not value:
        return 'Choose a new password'
    problem = accounts.password_problem(value, email=user.email, name=user.name)
    return f'The new password {problem}.' if problem else None


def _mismatch(value: str, new: str) -> str | None:
    return None if value == new else 'Does not match'


def _password_input(label: str, mark: str, rule: Callable[[str], str | None]) -> ui.input:
    """A password field; the autocomplete hint lets password managers fill the current one and offer a new one."""
    field = ui.input(label, password=True, password_toggle_button=True, validation=rule)
    autocomplete = 'current-password' if mark == 'current' else 'new-password'
    return field.props(f'outlined autocomplete={autocomplete}').classes('w-full').mark(mark)
