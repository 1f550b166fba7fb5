"""Workflow admin: stages renamed, reordered and switched, moves allowed per role, and refusals shown."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import workflow
from tests.factories import make_user, make_watch
from tests.ui.session import eventually, open_as, press


def _stage(key: str) -> workflow.StageRead:
    return next(stage for stage in workflow.stages() if stage.key == key)


def _move(source: str, target: str) -> workflow.TransitionRead | None:
    ids = (_stage(source).id, _stage(target).id)
    return next((t for t in workflow.transitions() if (t.from_stage_id, t.to_stage_id) == ids), None)


def _only(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


async def test_a_stage_is_renamed_moved_up_and_a_new_one_added(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', '/settings/workflow', 'workflow-admin')
    await visitor.should_see(marker='stage-photographed')
    _only(visitor, 'name-photographed').value = 'Photo shoot done'
    visitor.find(marker='name-photographed').trigger('keydown.enter')
    await eventually(lambda: _stage('photographed').name == 'Photo shoot done', 'the rename')
    await press(visitor, 'up-described')
    order = [stage.key for stage in workflow.stages()]
    assert order.index('described') < order.index('photographed')

    visitor.find(marker='new-stage-name').type('Awaiting parts')
    await press(visitor, 'add-stage')
    await visitor.should_see(marker='stage-awaiting_parts')
    assert _stage('awaiting_parts').in_stock


async def test_roles_and_moves_are_changed_and_removed(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', '/settings/workflow', 'workflow-admin')
    move = _move('intake', 'photographed')
    assert move is not None and Role.SELLER not in move.roles
    mark = f'{move.from_stage_id}-{move.to_stage_id}'
    _only(visitor, f'role-{mark}-seller').value = True
    await eventually(lambda: Role.SELLER in (_move('intake', 'photographed') or move).roles, 'sellers to be allowed')
    await visitor.should_see(marker=f'role-{mark}-seller')
    _only(visitor, f'auto-{mark}').value = True
    await eventually(lambda: (_move('intake', 'photographed') or move).automatic, 'the move to be automatic')
    await press(visitor, f'remove-{mark}')
    await eventually(lambda: _move('intake', 'photographed') is None, 'the move to be removed')
    await visitor.should_not_see(marker=f'move-{mark}')


async def test_refusals_are_shown_and_change_nothing(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    make_watch('photographed')
    await open_as(visitor, 'ada@example.com', '/settings/workflow', 'workflow-admin')
    _only(visitor, 'active-photographed').value = False
    await visitor.should_see(marker='workflow-refusal')
    await visitor.should_see('1 watch is still in Photographed; move them elsewhere first.')
    assert _stage('photographed').active
    assert _only(visitor, 'active-photographed').value is True

    visitor.find(marker='new-stage-name').type('Intake')
    await press(visitor, 'add-stage')
    await visitor.should_see('There is already a stage called Intake.')


async def test_a_manager_may_not_open_it(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/settings/workflow', 'forbidden')
    await visitor.should_not_see(marker='workflow-admin')
