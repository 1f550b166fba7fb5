"""The staff shell: loads the actor, draws header and drawer once, and routes every screen inside it."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import run, ui

from components import theme
from components.app_shell import NavItem, app_shell
from pages import account, audit_log, auth, dashboard
from services import accounts
from services.permissions import Actor, Permission

NAV = [
    NavItem('Dashboard', 'space_dashboard', '/', Permission.DASHBOARD_VIEW),
    NavItem('Audit log', 'fact_check', '/audit', Permission.AUDIT_VIEW),
    NavItem('My account', 'manage_accounts', '/account'),
]


async def root() -> None:
    """Every path no other route claims; the auth middleware has already made sure someone is logged in."""
    user_id = auth.current_user_id()
    actor = await run.io_bound(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        auth.log_out()
        ui.navigate.to('/login')
        return
    user = await run.io_bound(accounts.get_user, actor, actor.id)

    async def on_dark(value: bool) -> None:
        await run.io_bound(accounts.set_preference, actor, 'dark_mode', value)

    def on_logout() -> None:
        auth.log_out()
        ui.navigate.to('/login')

    app_shell(actor, NAV, dark=bool(user.preferences.get('dark_mode')), on_dark=on_dark, on_logout=on_logout)
    if user.password_must_change:
        with ui.row().classes('w-full bg-amber-100 text-amber-900 px-4 py-2 items-center gap-2').mark('must-change'):
            ui.icon('key')
            ui.label('You are using a one-time password. Choose your own in')
            ui.link('My account', '/account').classes('font-medium')
    ui.sub_pages(
        {
            '/': _guard(Permission.DASHBOARD_VIEW, dashboard.view),
            '/audit': _guard(Permission.AUDIT_VIEW, audit_log.view),
            '/account': account.view,
        },
        data={'actor': actor},
    ).classes('w-full')


def _guard(permission: Permission, builder: Callable) -> Callable:
    """Show a polite refusal instead of a screen the role may not open (the services would refuse anyway)."""

    async def guarded(actor: Actor) -> None:
        if not actor.can(permission):
            with ui.column().classes(theme.PAGE + ' items-center py-24').mark('forbidden'):
                ui.icon('lock', size='3rem').classes('text-stone-400')
                ui.label('This screen is not open to your role.').classes('text-lg')
                ui.label(f'You may not {permission.description}.').classes(theme.SUBTITLE)
            return
        await builder(actor)

    return guarded
