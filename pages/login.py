"""The login page: email and password, with the refusal shown inline."""

from __future__ import annotations

from nicegui import ui

from components import theme
from components.offload import call
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
            problem.set_visibility(False)
            button = ui.button('Log in', on_click=submit).props('unelevated size=lg').classes('w-full').mark('submit')
            password.on('keydown.enter', submit)
            email.on('keydown.enter', lambda: password.run_method('focus'))
        ui.label('Forgotten your password? Ask an administrator.').classes(theme.SUBTITLE + ' text-center max-w-sm')
