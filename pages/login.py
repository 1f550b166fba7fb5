"""The login page: email and password, a button per single sign-on provider, and why someone was sent here."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import app, ui

from components import theme
from components.offload import call
from config import get_settings
from pages import auth
from services import accounts
from services.errors import ServiceError

# Why someone lands on /login, by the `notice` key other screens send them with. Only these sentences are ever
# shown, so nothing typed into the address bar reaches the page.
NOTICES = {
    'expired': 'Your session has expired; please log in again.',
    'deactivated': 'Your account has been deactivated; ask an administrator.',
    'sso_unknown': 'That single sign-on provider is not set up here.',
    'sso_unreachable': 'The single sign-on provider cannot be reached just now; try again in a moment.',
    'sso_state': 'The single sign-on did not match a login started in this browser; please start again.',
    'sso_denied': 'The login was cancelled at the single sign-on provider.',
    'sso_failed': "The single sign-on provider's answer could not be verified; please try again.",
}
_REFUSAL = 'login_refusal'  # the user-storage key for a refusal sentence from single sign-on (notice=sso_refused)


def register() -> None:
    ui.page('/login', title='Log in · SecondVintage')(login_page)


def leave_refusal(sentence: str) -> None:
    """Keep the policy's refusal server-side for the login page to show once (`/login?notice=sso_refused`)."""
    app.storage.user[_REFUSAL] = sentence


def _notice(key: str) -> str | None:
    if key == 'sso_refused':
        return app.storage.user.pop(_REFUSAL, None) or NOTICES['sso_failed']
    return NOTICES.get(key)


async def login_page(redirect_to: str = '/', notice: str = '') -> None:
    if auth.current_user_id():
        ui.navigate.to(auth.safe_redirect(redirect_to))
        return
    theme.apply()
    shown = _notice(notice)

    async def submit() -> None:
        problem.set_visibility(False)
        if not email.value or not password.value:
            refuse('Enter your email and password.')
            return
        button.props('loading')
        try:
            ip = ui.context.client.request.client.host if ui.context.client.request.client else None
            actor = await call(accounts.authenticate, email.value, password.value, ip=ip)
        except ServiceError as refusal:
            refuse(str(refusal))
            password.value = ''
            password.run_method('focus')
            return
        finally:
            button.props(remove='loading')
        auth.log_in(actor)
        ui.navigate.to(auth.safe_redirect(redirect_to))

    def refuse(sentence: str) -> None:
        message.text = sentence
        problem.set_visibility(True)

    with ui.column().classes(
        'w-full min-h-screen items-center justify-center gap-4 p-4 bg-stone-100 dark:bg-stone-950'
    ):
        with ui.card().classes('w-full max-w-sm p-8 gap-4 shadow-lg'):
            with ui.row().classes('items-center gap-3 no-wrap mb-2'):
                ui.image('/static/logo.svg').classes('w-10 h-10 shrink-0')
                with ui.column().classes('gap-0'):
                    ui.label('SecondVintage').classes('text-xl font-semibold tracking-tight')
                    ui.label('Log in to continue').classes(theme.SUBTITLE)
            email = ui.input('Email').props('outlined autofocus autocomplete=username type=email').classes('w-full')
            email.mark('email')
            password = ui.input('Password', password=True, password_toggle_button=True)
            password.props('outlined autocomplete=current-password').classes('w-full').mark('password')
            with ui.row().classes(theme.PROBLEM) as problem:
                ui.icon('error_outline').classes('text-lg')
                message = ui.label().classes('text-sm').mark('login-error')
            message.text = shown or ''
            problem.set_visibility(shown is not None)
            button = ui.button('Log in', on_click=submit).props('unelevated size=lg').classes('w-full').mark('submit')
            password.on('keydown.enter', submit)
            email.on('keydown.enter', lambda: password.run_method('focus'))
            _provider_buttons(auth.safe_redirect(redirect_to))
        ui.label('Forgotten your password? Ask an administrator.').classes(theme.SUBTITLE + ' text-center max-w-sm')


def _provider_buttons(redirect_to: str) -> None:
    """One plain link per configured provider, below an "or", so the browser leaves for the provider directly."""
    providers = get_settings().oidc_providers
    if not providers:
        return
    with ui.row().classes('w-full items-center gap-3 no-wrap'):
        ui.separator().classes('grow w-auto')
        ui.label('or').classes(theme.SUBTITLE)
        ui.separator().classes('grow w-auto')
    for provider in providers:
        href = f'/login/sso/{provider.name}?redirect_to={quote(redirect_to, safe="")}'
        link = ui.button(f'Log in with {provider.label}', icon='key').props(f'outline size=lg href="{href}"')
        link.classes('w-full').mark(f'sso-{provider.name}')
