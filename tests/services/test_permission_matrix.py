"""The permission matrix editor: overrides stored and dropped, applied by `effective_permissions` at once, the
admin role's guard, refusals that change nothing, audit entries, and stale actors refused after a change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.accounts import RolePermission
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry
from services import accounts, permission_matrix
from services.errors import PermissionDenied, ValidationFailed
from services.permission_matrix import GROUPS
from services.permissions import DEFAULT_MATRIX, Permission, effective_permissions, require
from tests.factories import make_user


def _overrides() -> set[tuple[str, str, bool]]:
    with session_scope() as session:
        return {(row.role.value, row.permission, row.granted) for row in session.exec(select(RolePermission)).all()}


def _entries() -> list[AuditEntry]:
    with session_scope() as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.entity_type == 'role').order_by(AuditEntry.id)).all()
        )


def _in_force(role: Role) -> frozenset[Permission]:
    with session_scope() as session:
        return effective_permissions(session, role)


def test_every_permission_is_in_exactly_one_group_and_the_matrix_shows_defaults(db):
    grouped = [permission for members in GROUPS.values() for permission in members]
    assert sorted(grouped) == sorted(Permission)
    rows = permission_matrix.matrix(make_user(Role.ADMIN))
    assert len(rows) == len(Permission)
    stage_move = next(row for row in rows if row.permission is Permission.STAGE_MOVE)
    assert stage_move.description == 'Move watches between stages'
    cells = {cell.role: cell for cell in stage_move.cells}
    assert [cell.role for cell in stage_move.cells] == list(Role)
    assert cells[Role.SELLER].granted and cells[Role.SELLER].default and not cells[Role.SELLER].overridden
    assert not cells[Role.FINANCE].granted
    users_manage = next(row for row in rows if row.permission is Permission.USERS_MANAGE)
    assert [cell.locked for cell in users_manage.cells] == [True, False, False, False, False]


def test_a_change_is_an_override_applied_at_once_and_undone_by_going_back(db):
    admin = make_user(Role.ADMIN)
    seller = make_user(Role.SELLER)
    cell = permission_matrix.set_permission(admin, 'seller', 'stage.move', False)
    assert (cell.granted, cell.default, cell.overridden) == (False, True, True)
    assert _overrides() == {('seller', 'stage.move', False)}
    assert Permission.STAGE_MOVE not in _in_force(Role.SELLER)
    assert not accounts.load_actor(seller.id).can(Permission.STAGE_MOVE)
    with pytest.raises(PermissionDenied, match='permissions have just changed'):  # the page's actor from before
        require(seller, Permission.INVENTORY_VIEW)
    permission_matrix.set_permission(admin, Role.SELLER, Permission.COST_VIEW, True)
    assert Permission.COST_VIEW in _in_force(Role.SELLER)
    permission_matrix.set_permission(admin, 'seller', 'stage.move', True)  # back to the default: the row goes
    assert _overrides() == {('seller', 'cost.view', True)}
    assert _in_force(Role.SELLER) == DEFAULT_MATRIX[Role.SELLER] | {Permission.COST_VIEW}
    entries = _entries()
    assert [(entry.action, entry.entity_id, entry.before, entry.after) for entry in entries] == [
        ('permission.changed', 'seller', {'stage.move': True}, {'stage.move': False}),
        ('permission.changed', 'seller', {'cost.view': False}, {'cost.view': True}),
        ('permission.changed', 'seller', {'stage.move': False}, {'stage.move': True}),
    ]
    permission_matrix.set_permission(admin, 'seller', 'cost.view', True)  # no change: nothing written
    assert len(_entries()) == 3


def test_the_admin_role_keeps_the_rights_to_put_things_right(db):
    admin = make_user(Role.ADMIN)
    for permission in ('users.manage', 'permissions.manage'):
        with pytest.raises(ValidationFailed, match='admin role always keeps'):
            permission_matrix.set_permission(admin, 'admin', permission, False)
    permission_matrix.set_permission(admin, 'admin', 'gdpr.manage', False)  # anything else may go
    assert _overrides() == {('admin', 'gdpr.manage', False)}
    fresh = accounts.load_actor(admin.id)
    require(fresh, Permission.USERS_MANAGE, Permission.PERMISSIONS_MANAGE)


def test_refused_input_and_permission_change_nothing(db):
    admin = make_user(Role.ADMIN)
    manager = make_user(Role.MANAGER)
    with pytest.raises(ValidationFailed, match='"emperor" is not a role'):
        permission_matrix.set_permission(admin, 'emperor', 'stage.move', False)
    with pytest.raises(ValidationFailed, match=r'"fly\.away" is not a permission'):
        permission_matrix.set_permission(admin, 'seller', 'fly.away', True)
    for attempt in (
        lambda: permission_matrix.matrix(manager),
        lambda: permission_matrix.set_permission(manager, 'manager', 'users.manage', True),
        lambda: permission_matrix.reset_defaults(manager),
    ):
        with pytest.raises(PermissionDenied, match='may not change permissions'):
            attempt()
    assert _overrides() == set()
    assert _entries() == []


def test_reset_drops_every_override_in_one_audited_step(db):
    admin = make_user(Role.ADMIN)
    permission_matrix.set_permission(admin, 'seller', 'stage.move', False)
    permission_matrix.set_permission(admin, 'agent', 'contacts.view', True)
    assert permission_matrix.reset_defaults(admin) == 2
    assert _overrides() == set()
    assert all(_in_force(role) == DEFAULT_MATRIX[role] for role in Role)
    reset = _entries()[-1]
    assert (reset.action, reset.before, reset.after) == (
        'permissions.reset',
        {'seller:stage.move': False, 'agent:contacts.view': True},
        {},
    )
    assert permission_matrix.reset_defaults(admin) == 0
    assert len(_entries()) == 3


def test_an_actor_of_another_role_is_not_disturbed(db):
    admin = make_user(Role.ADMIN)
    manager = make_user(Role.MANAGER)
    permission_matrix.set_permission(admin, 'seller', 'stage.move', False)
    require(manager, Permission.STAGE_MOVE)
    require(admin, Permission.PERMISSIONS_MANAGE)
