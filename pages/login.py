"""The login page: email and password, with the refusal shown inline."""

from __future__ import annotations

from nicegui import run, ui

from components import theme
from pages import auth
from services import accounts
from services.errors import ServiceError


def register() -> None:
    ui.page('/login', title='Log in · SecondVintage')(login_page)


async def login_page(redirect_to: str = '/') -> None:
    if auth.current_user_id():
        ui.navigate.to(auth.safe_redirect(redirect_to))
        return
    theme.apply()

    async def submit() -> None:
        error.set_visibility(False)
        if not email.value or not password.value:
            error.text = 'Enter your email and password.'
            error.set_visibility(True)
            return
        button.props('loading')
        try:
            ip = ui.context.client.request.client.host if ui.context.client.request.client else None
            actor = await run.io_bound(accounts.authenticate, email.value, password.value, ip=ip)
        except ServiceError as refusal:
            error.text = str(refusal)
            error.set_visibility(True)
            password.value = ''
            return
        finally:
            button.props(remove='loading')
        auth.log_in(actor)
        ui.navigate.to(auth.safe_redirect(redirect_to))

    with ui.column().classes('w-full min-h-screen items-center justify-center bg-stone-100 dark:bg-stone-900 p-4'):
        with ui.card().classes('w-full max-w-sm p-8 gap-4 shadow-lg'):
            with ui.row().classes('items-center gap-3'):
                ui.image('/static/logo.svg').classes('w-10 h-10')
                with ui.column().classes('gap-0'):
                    ui.label('SecondVintage').classes('text-xl font-semibold tracking-tight')
                    ui.label('Sign in to continue').classes('text-sm text-stone-500')
            email = ui.input('Email').props('outlined autofocus autocomplete=username type=email').classes('w-full')
            email.mark('email')
            password = ui.input('Password', password=True, password_toggle_button=True)
            password.props('outlined autocomplete=current-password').classes('w-full').mark('password')
            error = ui.label().classes('text-sm text-red-700 dark:text-red-400').mark('login-error')
            error.set_visibility(False)
            button = ui.button('Log in', on_click=submit).props('unelevated size=lg').classes('w-full').mark('submit')
            password.on('keydown.enter', submit)
            email.on('keydown.enter', lambda: password.run_method('focus'))
