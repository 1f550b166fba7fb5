"""The staff shell: loads the actor, draws header and drawer once, and routes every screen inside it."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from nicegui import ui

from components.app_shell import NavItem, app_shell
from components.notices import banner, refusal
from components.offload import call
from pages import (
    account,
    audit_log,
    auth,
    batches,
    contacts,
    dashboard,
    inventory,
    jobs,
    locations,
    watch_detail,
    watch_form,
    watch_import,
    workflow_admin,
)
from services import accounts
from services.permissions import Actor, Permission

NAV = [
    NavItem('Dashboard', 'space_dashboard', '/', Permission.DASHBOARD_VIEW),
    NavItem('Inventory', 'watch', '/watches', Permission.INVENTORY_VIEW),
    NavItem('Intake', 'add_a_photo', '/intake', Permission.INVENTORY_CREATE),
    NavItem('Batches', 'inventory', '/batches', Permission.INVENTORY_VIEW),
    NavItem('Locations', 'place', '/locations', Permission.LOCATIONS_MANAGE),
    NavItem('Contacts', 'contacts', '/contacts', Permission.CONTACTS_VIEW),
    NavItem('Jobs', 'work_history', '/jobs'),
    NavItem('Workflow', 'account_tree', '/settings/workflow', Permission.WORKFLOW_CONFIGURE),
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
            '/watches': _guard(Permission.INVENTORY_VIEW, inventory.view),
            '/watches/new': _guard(Permission.INVENTORY_CREATE, watch_form.create_view),
            '/watches/import': _guard(Permission.INVENTORY_IMPORT, watch_import.view),
            '/watches/{watch_id}': _guard(Permission.INVENTORY_VIEW, watch_detail.view),
            '/watches/{watch_id}/edit': _guard(Permission.INVENTORY_EDIT, watch_form.edit_view),
            '/batches': _guard(Permission.INVENTORY_VIEW, batches.list_view),
            '/batches/{batch_id}': _guard(Permission.INVENTORY_VIEW, batches.detail_view),
            '/locations': _guard(Permission.LOCATIONS_MANAGE, locations.view),
            '/contacts': _guard(Permission.CONTACTS_VIEW, contacts.view),
            '/jobs': jobs.list_view,
            '/jobs/{job_id}': jobs.detail_view,
            '/settings/workflow': _guard(Permission.WORKFLOW_CONFIGURE, workflow_admin.view),
            '/audit': _guard(Permission.AUDIT_VIEW, audit_log.view),
            '/account': account.view,
        },
        data={'actor': actor, 'on_password_changed': lambda: must_change.set_visibility(False)},
    ).classes('w-full')


def _guard(permission: Permission, builder: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Show a polite refusal instead of a screen the role may not open (the services would refuse anyway).

    `functools.wraps` keeps the builder's signature visible, so `ui.sub_pages` still hands it path parameters.
    """

    @functools.wraps(builder)
    async def guarded(actor: Actor, **kwargs: object) -> None:
        if not actor.can(permission):
            refusal(f'You may not {permission.description}.')
            return
        await builder(actor, **kwargs)

    return guarded
