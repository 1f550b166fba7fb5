"""The admin's editor of the permission matrix: the grid of roles against permissions, one cell at a time.

Overrides of the default matrix live in `role_permissions`; services/permissions.py applies them. After each change
this process refuses actors loaded before it (`permissions.notice_change`) and the bus tells every web process, whose
open screens of the affected roles redraw.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.accounts import RolePermission
from db.engine import session_scope
from db.enums import Role
from db.types import utcnow
from services import audit, bus
from services.errors import Conflict, ValidationFailed
from services.permissions import (
    DEFAULT_MATRIX,
    Actor,
    Permission,
    effective_permissions,
    notice_change,
    parse_role,
    require,
)

P = Permission
TOPIC = 'permissions'  # on the bus: {'roles': [...]} whose matrix changed

# How the editor groups the permissions (every permission in exactly one group).
GROUPS: dict[str, tuple[Permission, ...]] = {
    'General': (P.DASHBOARD_VIEW, P.REPORTS_VIEW, P.JOBS_VIEW_ALL),
    'Inventory': (P.INVENTORY_VIEW, P.INVENTORY_VIEW_ALL, P.INVENTORY_CREATE, P.INVENTORY_EDIT, P.INVENTORY_DELETE,
                  P.INVENTORY_IMPORT, P.INVENTORY_EXPORT, P.COST_VIEW, P.SERIAL_VIEW, P.IMAGES_MANAGE, P.LABELS_PRINT,
                  P.STAGE_MOVE, P.BATCHES_MANAGE, P.LOCATIONS_MANAGE),
    'Contacts': (P.CONTACTS_VIEW, P.CONTACTS_MANAGE),
    'Sales and shipping': (P.DESCRIPTIONS_WRITE, P.LISTINGS_MANAGE, P.SHIPPING_MANAGE),
    'Finance': (P.LEDGER_VIEW, P.LEDGER_BOOK, P.FX_MANAGE, P.COMMISSIONS_MANAGE, P.COMMISSIONS_VIEW_OWN,
                P.PAYOUTS_BOOK, P.RECONCILE),
    'Administration': (P.WORKFLOW_CONFIGURE, P.USERS_MANAGE, P.PERMISSIONS_MANAGE, P.SETTINGS_MANAGE, P.AUDIT_VIEW,
                       P.GDPR_MANAGE),
}  # fmt: skip
# The admin role always keeps these, or a slip of the mouse could leave nobody able to put it right.
ADMIN_KEEPS = frozenset({P.USERS_MANAGE, P.PERMISSIONS_MANAGE})


class MatrixCell(BaseModel):
    """One role's side of a permission: the default, what is in force, and whether it may be changed at all."""

    role: Role
    default: bool
    granted: bool
    locked: bool

    @property
    def overridden(self) -> bool:
        return self.granted != self.default


class MatrixRow(BaseModel):
    permission: Permission
    description: str
    group: str
    cells: list[MatrixCell]


def matrix(actor: Actor) -> list[MatrixRow]:
    """Every permission (by group) against the five roles, with the default and the value in force."""
    require(actor, Permission.PERMISSIONS_MANAGE)
    with session_scope() as session:
        granted = {role: effective_permissions(session, role) for role in Role}
    return [
        MatrixRow(
            permission=permission,
            description=permission.description[:1].upper() + permission.description[1:],
            group=group,
            cells=[_cell(role, permission, permission in granted[role]) for role in Role],
        )
        for group, members in GROUPS.items()
        for permission in members
    ]


def set_permission(actor: Actor, role: object, permission: object, granted: bool) -> MatrixCell:
    """Grant or deny one permission to one role; back at the default, the override row goes.

    Affected screens hear of it on the bus once the change has committed.
    """
    require(actor, Permission.PERMISSIONS_MANAGE)
    role, permission = parse_role(role), _parse_permission(permission)
    if role is Role.ADMIN and permission in ADMIN_KEEPS and not granted:
        raise ValidationFailed(
            f'The admin role always keeps "{permission.description}", or nobody could undo a mistake.'
        )
    with session_scope() as session:
        row = session.exec(
            select(RolePermission).where(RolePermission.role == role, RolePermission.permission == permission.value)
        ).first()
        was = permission in effective_permissions(session, role)
        if was == granted:
            return _cell(role, permission, granted)
        if granted == (permission in DEFAULT_MATRIX[role]):
            if row is not None:
                session.delete(row)
        elif row is not None:  # a row that matched the default (the defaults changed since it was written)
            row.granted, row.updated_at, row.updated_by_id = granted, utcnow(), actor.id
        else:
            session.add(RolePermission(role=role, permission=permission.value, granted=granted, updated_by_id=actor.id))
        _audit(session, actor, 'permission.changed', role.value, {permission.value: was}, {permission.value: granted})
        _flush(session)
    _announce([role])
    return _cell(role, permission, granted)


def reset_defaults(actor: Actor) -> int:
    """Drop every override, so each role has the default matrix again; returns how many overrides went."""
    require(actor, Permission.PERMISSIONS_MANAGE)
    with session_scope() as session:
        rows = session.exec(select(RolePermission)).all()
        if not rows:
            return 0
        before = {f'{row.role.value}:{row.permission}': row.granted for row in rows}
        for row in rows:
            session.delete(row)
        _audit(session, actor, 'permissions.reset', None, before, {})
    _announce({row.role for row in rows})
    return len(rows)


def _cell(role: Role, permission: Permission, granted: bool) -> MatrixCell:
    locked = role is Role.ADMIN and permission in ADMIN_KEEPS
    return MatrixCell(role=role, default=permission in DEFAULT_MATRIX[role], granted=granted, locked=locked)


def _parse_permission(value: object) -> Permission:
    try:
        return Permission(value)
    except ValueError:
        raise ValidationFailed(f'"{value}" is not a permission.', {'permission': 'Not a permission.'}) from None


def _flush(session: Session) -> None:
    """Write now, so two admins changing the same cell at once end in a sentence rather than a crash."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict('Someone else changed this permission at the same moment; reload and try again.') from None


def _audit(session: Session, actor: Actor, action: str, role: str | None, before: dict, after: dict) -> None:
    audit.record(session, actor, action, 'role', role, before=before, after=after)


def _announce(roles: Iterable[Role]) -> None:
    """After commit: this process refuses stale actors at once; every web process redraws the affected screens."""
    changed = sorted(set(roles))
    notice_change(roles=changed)
    bus.get_bus().publish(TOPIC, {'roles': [role.value for role in changed]})
