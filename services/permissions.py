"""The five roles, what each may do by default, and the one way a service checks it.

The default matrix follows ARCHITECTURE.md; an admin's overrides (table `role_permissions`, edited through
services/permission_matrix.py) are applied on top of it. Row scope is separate from permissions: an actor without
`inventory.view_all` sees only the watches they sourced.

An `Actor` is a snapshot taken when a page (or a job, or an API request) loads it, and an open page may hold
it for hours. So the process keeps a register of changes it has heard of (`notice_change`: fed by the services
that make them, right after their commit, and by the bus listener of every web process for changes made
elsewhere). `require` refuses an actor loaded before a change to its role's matrix or to its own account, with
a sentence asking for a reload; the shell of an open page reloads its actor on the same message within a second,
so people rarely see the sentence. Reading the matrix on every check would cost a query per check for the same
result. Actors that are never loaded for a person (`SYSTEM`) are never stale.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from db.accounts import RolePermission
from db.enums import Role
from services.errors import PermissionDenied, ValidationFailed

STALE = 'Your permissions have just changed; reload the page to carry on.'


class Permission(enum.StrEnum):
    """Each member's value is stored in the database; its description completes "You may not ..."."""

    description: str

    def __new__(cls, value: str, description: str) -> Permission:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    DASHBOARD_VIEW = 'dashboard.view', 'open the dashboard'
    INVENTORY_VIEW = 'inventory.view', 'see watches'
    INVENTORY_VIEW_ALL = 'inventory.view_all', "see other people's watches"
    INVENTORY_CREATE = 'inventory.create', 'take in new watches'
    INVENTORY_EDIT = 'inventory.edit', 'edit watches'
    INVENTORY_DELETE = 'inventory.delete', 'delete watches'
    INVENTORY_IMPORT = 'inventory.import', 'import watches in bulk'
    INVENTORY_EXPORT = 'inventory.export', 'export lists of watches'
    COST_VIEW = 'cost.view', 'see purchase costs'
    SERIAL_VIEW = 'serial.view', 'see serial numbers'
    IMAGES_MANAGE = 'images.manage', 'add or change photos'
    LABELS_PRINT = 'labels.print', 'print labels'
    STAGE_MOVE = 'stage.move', 'move watches between stages'
    WORKFLOW_CONFIGURE = 'workflow.configure', 'change the workflow'
    BATCHES_MANAGE = 'batches.manage', 'manage batches'
    LOCATIONS_MANAGE = 'locations.manage', 'manage locations'
    CONTACTS_VIEW = 'contacts.view', 'see contacts'
    CONTACTS_MANAGE = 'contacts.manage', 'change contacts'
    DESCRIPTIONS_WRITE = 'descriptions.write', 'write or approve descriptions'
    LISTINGS_MANAGE = 'listings.manage', 'manage platform listings and exports'
    SHIPPING_MANAGE = 'shipping.manage', 'create shipments and labels'
    LEDGER_VIEW = 'ledger.view', 'see the ledger'
    LEDGER_BOOK = 'ledger.book', 'book transactions'
    FX_MANAGE = 'fx.manage', 'manage exchange rates'
    COMMISSIONS_MANAGE = 'commissions.manage', 'manage commission rules'
    COMMISSIONS_VIEW_OWN = 'commissions.view_own', 'see your own commissions and balance'
    PAYOUTS_BOOK = 'payouts.book', 'book advances and payouts'
    RECONCILE = 'reconcile', 'reconcile statements'
    REPORTS_VIEW = 'reports.view', 'see reports'
    JOBS_VIEW_ALL = 'jobs.view_all', "see everyone's jobs"
    USERS_MANAGE = 'users.manage', 'manage users'
    PERMISSIONS_MANAGE = 'permissions.manage', 'change permissions'
    SETTINGS_MANAGE = 'settings.manage', 'change settings'
    AUDIT_VIEW = 'audit.view', 'read the audit log'
    GDPR_MANAGE = 'gdpr.manage', 'handle data-protection requests'


P = Permission
_OPERATIONS = {
    P.DASHBOARD_VIEW,
    P.INVENTORY_VIEW,
    P.INVENTORY_VIEW_ALL,
    P.INVENTORY_CREATE,
    P.INVENTORY_EDIT,
    P.INVENTORY_DELETE,
    P.INVENTORY_IMPORT,
    P.INVENTORY_EXPORT,
    P.COST_VIEW,
    P.SERIAL_VIEW,
    P.IMAGES_MANAGE,
    P.LABELS_PRINT,
    P.STAGE_MOVE,
    P.BATCHES_MANAGE,
    P.LOCATIONS_MANAGE,
    P.CONTACTS_VIEW,
    P.CONTACTS_MANAGE,
    P.DESCRIPTIONS_WRITE,
    P.LISTINGS_MANAGE,
    P.SHIPPING_MANAGE,
    P.REPORTS_VIEW,
}
DEFAULT_MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(_OPERATIONS),
    Role.FINANCE: frozenset(
        {
            P.DASHBOARD_VIEW,
            P.INVENTORY_VIEW,
            P.INVENTORY_VIEW_ALL,
            P.INVENTORY_EXPORT,
            P.COST_VIEW,
            P.SERIAL_VIEW,
            P.CONTACTS_VIEW,
            P.CONTACTS_MANAGE,
            P.LEDGER_VIEW,
            P.LEDGER_BOOK,
            P.FX_MANAGE,
            P.COMMISSIONS_MANAGE,
            P.COMMISSIONS_VIEW_OWN,
            P.PAYOUTS_BOOK,
            P.RECONCILE,
            P.REPORTS_VIEW,
        }
    ),
    Role.AGENT: frozenset(
        {
            P.DASHBOARD_VIEW,
            P.INVENTORY_VIEW,
            P.INVENTORY_CREATE,
            P.INVENTORY_EDIT,
            P.COST_VIEW,
            P.SERIAL_VIEW,
            P.IMAGES_MANAGE,
            P.LABELS_PRINT,
            P.STAGE_MOVE,
            P.COMMISSIONS_VIEW_OWN,
        }
    ),
    Role.SELLER: frozenset(
        {
            P.DASHBOARD_VIEW,
            P.INVENTORY_VIEW,
            P.INVENTORY_VIEW_ALL,
            P.INVENTORY_EXPORT,
            P.STAGE_MOVE,
            P.DESCRIPTIONS_WRITE,
            P.LISTINGS_MANAGE,
            P.COMMISSIONS_VIEW_OWN,
        }
    ),
}


# The change register (see the module's docstring): a counter, and the value it had at the latest change heard of
# for each role and each user. An actor remembers the counter's value when it was made.
_lock = threading.Lock()
_generation = 0
_role_changed: dict[Role, int] = {}
_user_changed: dict[int, int] = {}


def current_generation() -> int:
    return _generation


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the permissions in force for their role when the actor was loaded."""

    id: int | None
    email: str
    name: str
    role: Role
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    generation: int = field(default_factory=current_generation, compare=False, repr=False)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def sees_all_watches(self) -> bool:
        """False for agents: they see only the watches they sourced."""
        return self.can(Permission.INVENTORY_VIEW_ALL)

    @property
    def label(self) -> str:
        return self.email


SYSTEM = Actor(id=None, email='system', name='System', role=Role.ADMIN, permissions=frozenset(Permission))


def require(actor: Actor, *permissions: Permission) -> None:
    """Refuse unless the actor holds every permission named and was loaded after the latest change to its rights."""
    if is_stale(actor):
        raise PermissionDenied(STALE)
    for permission in permissions:
        if not actor.can(permission):
            raise PermissionDenied(_refusal(actor, permission))


def require_any(actor: Actor, *permissions: Permission) -> None:
    """Refuse unless the actor holds at least one of the permissions (and is not stale); the sentence names the first.

    For a screen that more than one right opens (rates: whoever sees the ledger or manages rates), so the refusal
    names the right most people would ask for.
    """
    if is_stale(actor):
        raise PermissionDenied(STALE)
    if not any(actor.can(permission) for permission in permissions):
        raise PermissionDenied(_refusal(actor, permissions[0]))


def _refusal(actor: Actor, permission: Permission) -> str:
    return f'Your role ({actor.role.value}) may not {permission.description}.'


def effective_permissions(session: Session, role: Role) -> frozenset[Permission]:
    """The default matrix for the role with the admin's overrides applied."""
    overrides = session.exec(select(RolePermission).where(RolePermission.role == role)).all()
    return apply_overrides(DEFAULT_MATRIX[role], ((row.permission, row.granted) for row in overrides))


def apply_overrides(defaults: frozenset[Permission], overrides: Iterable[tuple[str, bool]]) -> frozenset[Permission]:
    granted = set(defaults)
    known = {permission.value: permission for permission in Permission}
    for name, allow in overrides:
        if name not in known:
            continue
        (granted.add if allow else granted.discard)(known[name])
    return frozenset(granted)


def is_stale(actor: Actor) -> bool:
    """True when the actor was loaded before a change to its role's rights or its account that this process heard of."""
    if actor.id is None:
        return False
    changed = max(_role_changed.get(actor.role, 0), _user_changed.get(actor.id, 0))
    return actor.generation < changed


def notice_change(*, roles: Iterable[Role] = (), user_ids: Iterable[int] = ()) -> None:
    """Record that these roles' rights or these users' accounts changed: actors loaded before now become stale."""
    global _generation
    with _lock:
        _generation += 1
        _role_changed.update(dict.fromkeys(roles, _generation))
        _user_changed.update(dict.fromkeys(user_ids, _generation))


def parse_role(value: object) -> Role:
    """A role from a screen or a request; anything else is refused with a sentence."""
    try:
        return Role(value)
    except ValueError:
        choices = ', '.join(role.value for role in Role)
        raise ValidationFailed(f'"{value}" is not a role; choose one of {choices}.', {'role': 'Not a role.'}) from None
