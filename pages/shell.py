"""The staff shell: loads the actor, draws header and drawer once, and routes every screen inside it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components.app_shell import NavItem, app_shell
from components.notices import banner, refusal
from components.offload import call
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
    actor = await call(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        auth.log_out()
        ui.navigate.to('/login')
        return
    user = await call(accounts.get_user, actor, actor.id)

    async def on_dark(value: bool) -> None:
        await call(accounts.set_preference, actor, 'dark_mode', value)

    def on_logout() -> None:
        auth.log_out()
        ui.navigate.to('/login')

    app_shell(actor, NAV, dark=bool(user.preferences.get('dark_mode')), on_dark=on_dark, on_logout=on_logout)
    must_change = banner(
        'You are using a one-time password. Please choose your own.',
        icon='key',
        action='Change it now',
        target='/account',
    ).mark('must-change')
    must_change.set_visibility(user.password_must_change)
    ui.sub_pages(
        {
            '/': _guard(Permission.DASHBOARD_VIEW, dashboard.view),
            '/audit': _guard(Permission.AUDIT_VIEW, audit_log.view),
            '/account': account.view,
        },
        data={'actor': actor, 'on_password_changed': lambda: must_change.set_visibility(False)},
    ).classes('w-full')


def _guard(permission: Permission, builder: Callable[[Actor], Awaitable[None]]) -> Callable[[Actor], Awaitable[None]]:
    """Show a polite refusal instead of a screen the role may not open (the services would refuse anyway)."""

    async def guarded(actor: Actor) -> None:
        if not actor.can(permission):
            refusal(f'You may not {permission.description}.')
            return
        await builder(actor)

    return guarded
