"""The staff shell: loads the actor, draws header and drawer, and routes every screen inside it.

The shell follows its person's account: deactivated, every open tab is logged out and sent to the login page at
once; given another role, or when the permission matrix changes for their role, the tab reloads the actor and
redraws header, drawer and the current screen (now refused or not) in place, with a toast.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from nicegui import Client, ui

from components import live
from components.app_shell import NavItem, app_shell
from components.live_screen import Coalescer
from components.notices import banner, refusal
from components.offload import call
from pages import (
    account,
    ai_settings,
    audit_log,
    auth,
    balances,
    batches,
    commissions,
    contacts,
    dashboard,
    fx_rates,
    inventory,
    jobs,
    ledger,
    locations,
    permissions,
    reconciliation,
    reports,
    users,
    watch_detail,
    watch_form,
    watch_import,
    workflow_admin,
)
from services import accounts
from services.errors import PermissionDenied
from services.permissions import Actor, Permission, is_stale

_BALANCES = (Permission.LEDGER_VIEW, Permission.PAYOUTS_BOOK)  # either opens everyone's balances
_RATES = (Permission.LEDGER_VIEW, Permission.FX_MANAGE)  # either reads the exchange rates
_OWN_BALANCE = Permission.COMMISSIONS_VIEW_OWN
_STATEMENTS = (Permission.COMMISSIONS_MANAGE, Permission.LEDGER_VIEW)  # either opens anyone's statement
NAV = [
    NavItem('Dashboard', 'space_dashboard', '/', Permission.DASHBOARD_VIEW),
    NavItem('Inventory', 'watch', '/watches', Permission.INVENTORY_VIEW),
    NavItem('Intake', 'add_a_photo', '/intake', Permission.INVENTORY_CREATE),
    NavItem('Batches', 'inventory', '/batches', Permission.INVENTORY_VIEW),
    NavItem('Locations', 'place', '/locations', Permission.LOCATIONS_MANAGE),
    NavItem('Contacts', 'contacts', '/contacts', Permission.CONTACTS_VIEW),
    NavItem('Ledger', 'receipt_long', '/finance/ledger', Permission.LEDGER_VIEW),
    NavItem('Balances', 'account_balance_wallet', '/finance/balances', _BALANCES),
    NavItem('My balance', 'account_balance_wallet', '/my/balance', _OWN_BALANCE, unless=Permission.LEDGER_VIEW),
    NavItem('Reconciliation', 'rule', '/finance/reconciliation', Permission.RECONCILE),
    NavItem('Reports', 'insights', '/finance/reports', Permission.REPORTS_VIEW),
    NavItem('Exchange rates', 'currency_exchange', '/finance/rates', _RATES),
    NavItem('Commissions', 'percent', '/finance/commissions', Permission.COMMISSIONS_MANAGE),
    NavItem('My commissions', 'percent', '/my/commissions', _OWN_BALANCE, unless=Permission.COMMISSIONS_MANAGE),
    NavItem('Jobs', 'work_history', '/jobs'),
    NavItem('Workflow', 'account_tree', '/settings/workflow', Permission.WORKFLOW_CONFIGURE),
    NavItem('Users', 'group', '/settings/users', Permission.USERS_MANAGE),
    NavItem('Permissions', 'admin_panel_settings', '/settings/permissions', Permission.PERMISSIONS_MANAGE),
    NavItem('AI descriptions', 'auto_awesome', '/settings/descriptions', Permission.SETTINGS_MANAGE),
    NavItem('Audit log', 'fact_check', '/audit', Permission.AUDIT_VIEW),
    NavItem('My account', 'manage_accounts', '/account'),
]


async def root() -> None:
    """Every path no other route claims; the auth middleware has already made sure someone is logged in."""
    user_id = auth.current_user_id()
    actor = await call(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        _leave('/login')
        return
    user = await call(accounts.get_user, actor, actor.id)
    _draw(actor, user)
    _AccountFollower(actor)
    client = ui.context.client
    client.sub_pages_router.on_path_changed(lambda _path: _touch(client))


def _touch(client: Client) -> None:
    """Navigating inside the shell is activity, as a page load is."""
    if (session := auth.session_of(client)) is not None:
        auth.touch(session)


def _draw(actor: Actor, user: accounts.UserRead) -> None:
    """Header, drawer, the one-time-password banner and the current screen, all for this actor."""

    async def on_dark(value: bool) -> None:
        await call(accounts.set_preference, actor, 'dark_mode', value)

    app_shell(actor, NAV, dark=bool(user.preferences.get('dark_mode')), on_dark=on_dark, on_logout=lambda: _leave())
    if language := user.preferences.get('language'):
        account.apply_language(language)
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
            '/finance/ledger': _guard(Permission.LEDGER_VIEW, ledger.view),
            '/finance/balances': _guard(_BALANCES, balances.list_view),
            '/finance/balances/{user_id}': _guard(_BALANCES, balances.detail_view),
            '/my/balance': _guard(_OWN_BALANCE, balances.my_view),
            '/finance/reconciliation': _guard(Permission.RECONCILE, reconciliation.list_view),
            '/finance/reconciliation/{import_id}': _guard(Permission.RECONCILE, reconciliation.detail_view),
            '/finance/reports': _guard(Permission.REPORTS_VIEW, reports.view),
            '/finance/rates': _guard(_RATES, fx_rates.view),
            '/finance/commissions': _guard(Permission.COMMISSIONS_MANAGE, commissions.rules_view),
            '/finance/statements': _guard(_STATEMENTS, commissions.statements_view),
            '/my/commissions': _guard(_OWN_BALANCE, commissions.my_view),
            '/jobs': jobs.list_view,
            '/jobs/{job_id}': jobs.detail_view,
            '/settings/workflow': _guard(Permission.WORKFLOW_CONFIGURE, workflow_admin.view),
            '/settings/users': _guard(Permission.USERS_MANAGE, users.list_view),
            '/settings/users/{user_id}': _guard(Permission.USERS_MANAGE, users.detail_view),
            '/settings/permissions': _guard(Permission.PERMISSIONS_MANAGE, permissions.view),
            '/settings/descriptions': _guard(Permission.SETTINGS_MANAGE, ai_settings.view),
            '/audit': _guard(Permission.AUDIT_VIEW, audit_log.view),
            '/account': account.view,
        },
        data={'actor': actor, 'on_password_changed': lambda: must_change.set_visibility(False)},
    ).classes('w-full')


def _leave(target: str = '/login') -> None:
    auth.log_out()
    ui.navigate.to(target)


class _AccountFollower:
    """Keeps one tab in step with its person's account and rights, for as long as the tab is open.

    Subscribed once per tab (NiceGUI drops the subscriptions with the tab's client); the redraw itself runs through
    a `Coalescer` anchored on the page layout, so a burst of changes (an admin ticking five boxes) is one redraw,
    and with the builder's context, which logging out needs.
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.client: Client = ui.context.client
        self.redraws = Coalescer(self._reload, self.client.layout, pause=0.2)
        live.user_changed.subscribe(self._user_changed)
        live.permissions_changed.subscribe(self._permissions_changed)

    def _user_changed(self, message: dict) -> None:
        if message['id'] == self.actor.id:
            self.redraws.poke()

    def _permissions_changed(self, roles: list[str]) -> None:
        if self.actor.role.value in roles:
            self.redraws.poke()

    async def _reload(self) -> None:
        """Log out a deactivated person; otherwise redraw with a fresh actor (the old one is refused by the services
        from the moment the change was heard of), and say so when what the person may do has changed."""
        actor = await call(accounts.load_actor, self.actor.id)
        if actor is None:
            self._clear()  # nothing of the screen stays, and the shell's routes cannot catch the way to the login page
            _leave('/login?notice=deactivated')
            return
        if not is_stale(self.actor):  # the change did not reach this person after all (a stale message)
            return
        changed = (actor.role, actor.permissions) != (self.actor.role, self.actor.permissions)
        user = await call(accounts.get_user, actor, actor.id)
        self.actor = actor
        self._clear()
        with self.client.content:
            _draw(actor, user)
            if changed:
                ui.notify('Your permissions have changed.', icon='admin_panel_settings')

    def _clear(self) -> None:
        """Take away header, drawer and screen (and with them every handler holding the old actor)."""
        for element in list(self.client.layout.default_slot.children):
            if element is not self.client.page_container:
                element.delete()
        self.client.content.clear()


def _guard(
    permission: Permission | tuple[Permission, ...], builder: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """Show a polite refusal instead of a screen the role may not open (the services would refuse anyway);
    a tuple of permissions opens the screen to holders of any one of them.

    Rights can change while a screen is being built (an admin edits the matrix): the service's refusal then takes
    the screen's place too, until the shell redraws for the new rights a moment later.
    `functools.wraps` keeps the builder's signature visible, so `ui.sub_pages` still hands it path parameters.
    """
    wanted = permission if isinstance(permission, tuple) else (permission,)

    @functools.wraps(builder)
    async def guarded(actor: Actor, **kwargs: object) -> None:
        if not any(actor.can(one) for one in wanted):
            refusal(f'You may not {wanted[0].description}.')
            return
        try:
            await builder(actor, **kwargs)
        except PermissionDenied as refused:
            refusal(str(refused))

    return guarded
