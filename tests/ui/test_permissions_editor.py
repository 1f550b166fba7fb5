"""The permission grid: a click is saved at once and marked as changed, the admin's own rights are locked, a reset
asks first, and roles without the right are refused the screen."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import accounts
from services.permissions import Permission
from tests.factories import make_user
from tests.ui.session import PATIENCE, eventually, open_as, press


def _box(user: User, role: str, permission: str) -> ui.checkbox:
    (box,) = user.find(marker=f'cell-{role}-{permission}').elements
    return box


async def test_a_click_is_saved_at_once_and_a_reset_undoes_everything(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    sam = make_user(Role.SELLER)
    await open_as(visitor, 'ada@example.com', '/settings/permissions', 'permissions')
    await visitor.should_see('Move watches between stages', retries=PATIENCE)
    assert _box(visitor, 'seller', 'stage.move').value is True
    await press(visitor, 'cell-seller-stage.move')
    await visitor.should_see('Seller may no longer move watches between stages.', retries=PATIENCE)
    assert not accounts.load_actor(sam.id).can(Permission.STAGE_MOVE)
    assert 'ring-amber-400' in _box(visitor, 'seller', 'stage.move').parent_slot.parent.classes
    await press(visitor, 'reset-permissions')
    await visitor.should_see(marker='confirm', retries=PATIENCE)
    await press(visitor, 'confirm-yes')
    await visitor.should_see('Defaults restored (1 change undone).', retries=PATIENCE)
    await eventually(lambda: _box(visitor, 'seller', 'stage.move').value is True, 'the box ticked again')
    assert accounts.load_actor(sam.id).can(Permission.STAGE_MOVE)


async def test_the_admins_rights_to_put_things_right_are_locked(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', '/settings/permissions', 'permissions')
    await visitor.should_see('Manage users', retries=PATIENCE)
    for permission in ('users.manage', 'permissions.manage'):
        assert not _box(visitor, 'admin', permission).enabled
    assert _box(visitor, 'admin', 'gdpr.manage').enabled


@pytest.mark.parametrize('role', [Role.MANAGER, Role.SELLER])
async def test_other_roles_are_refused_the_screens(visitor: User, role: Role):
    make_user(role, email='someone@example.com')
    await open_as(visitor, 'someone@example.com', '/settings/permissions', 'forbidden')
    await visitor.should_see('You may not change permissions.')
    await visitor.open('/settings/users')
    await visitor.should_see('You may not manage users.', retries=PATIENCE)
