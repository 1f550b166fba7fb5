"""The workflow: legal and illegal moves with their reasons, history, bulk moves, automatic moves, configuration."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.system import AuditEntry
from db.types import utcnow
from db.workflow import Stage, StageEvent, StageTransition
from services import watches, workflow
from services.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch, take_in


@pytest.fixture
def stage(db) -> dict[str, int]:
    """Stage ids by key."""
    return {read.key: read.id for read in workflow.stages()}


def _footprint() -> tuple:
    with session_scope() as session:
        rows = lambda table: session.exec(select(table)).all()  # noqa: E731
        return (
            [watch.model_dump() for watch in rows(Watch)],
            [event.model_dump() for event in rows(StageEvent)],
            [stage.model_dump() for stage in rows(Stage)],
            sorted((t.from_stage_id, t.to_stage_id, tuple(t.roles), t.automatic) for t in rows(StageTransition)),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def test_stages_come_in_workflow_order_with_their_settings(db):
    read = workflow.stages()
    assert [s.key for s in read][:8] == [
        'intake', 'photographed', 'described', 'ready_to_list', 'listed', 'sold', 'shipped', 'delivered',
    ]  # fmt: skip
    assert [s.key for s in read if s.is_initial] == ['intake']
    assert {s.key for s in read if not s.in_stock} == {'sold', 'shipped', 'delivered'}
    assert read[0].colour == '#64748b' and all(s.active for s in read)


def test_transitions_name_both_stages_and_the_roles(db):
    found = {(t.from_name, t.to_name): t for t in workflow.transitions()}
    assert found['Intake', 'Photographed'].roles == [Role.ADMIN, Role.MANAGER, Role.AGENT]
    assert found['Listed', 'Sold'].automatic and not found['Intake', 'Photographed'].automatic
    assert ('Intake', 'Sold') not in found


@pytest.mark.parametrize(
    ('role', 'expected'),
    [
        (Role.ADMIN, ['ready_to_list', 'sold']),
        (Role.MANAGER, ['ready_to_list', 'sold']),
        (Role.SELLER, ['ready_to_list', 'sold']),
        (Role.FINANCE, []),  # finance books sales; the move to Sold follows as a system move
        (Role.AGENT, []),
    ],
)
def test_allowed_moves_offer_what_the_role_may_do_from_the_current_stage(db, role, expected):
    actor = make_user(role)
    watch_id = make_watch('listed', agent=actor if role is Role.AGENT else None)
    assert [s.key for s in workflow.allowed_moves(actor, watch_id)] == expected


def test_an_agent_may_photograph_their_own_watch_but_not_see_anothers(db, stage):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    mine, theirs = take_in(agent), take_in(other)
    assert [s.key for s in workflow.allowed_moves(agent, mine.id)] == ['photographed']
    with pytest.raises(NotFound):
        workflow.allowed_moves(agent, theirs.id)
    before = _footprint()
    with pytest.raises(NotFound):
        workflow.move_watch(agent, theirs.id, stage['photographed'])
    assert _footprint() == before
    assert workflow.move_watch(agent, mine.id, stage['photographed']).stage_key == 'photographed'


def test_a_legal_move_writes_history_bumps_the_version_and_is_audited(db, stage):
    manager = make_user(Role.MANAGER, name='Anna Berg')
    watch = take_in(manager)
    moved = workflow.move_watch(manager, watch.id, stage['photographed'], note='  Ten photos, white box  ', version=1)
    assert (moved.stage_key, moved.stage_name, moved.version) == ('photographed', 'Photographed', 2)
    newest = workflow.history(manager, watch.id)[0]
    assert (newest.actor_name, newest.from_name, newest.to_name) == ('Anna Berg', 'Intake', 'Photographed')
    assert newest.note == 'Ten photos, white box'
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'watch.stage_moved')).one()
    assert entry.before == {'stage': 'intake'}
    assert entry.after == {'stage': 'photographed', 'note': 'Ten photos, white box'}
    assert entry.entity_id == str(watch.id) and entry.actor_id == manager.id


@pytest.mark.parametrize(
    ('role', 'start', 'target', 'reason'),
    [
        (Role.MANAGER, 'intake', 'sold', 'There is no move from Intake to Sold.'),
        (Role.ADMIN, 'delivered', 'listed', 'There is no move from Delivered to Listed.'),
        (Role.AGENT, 'listed', 'sold', 'Your role (agent) may not move watches from Listed to Sold.'),
        (Role.SELLER, 'intake', 'photographed', 'Your role (seller) may not move watches from Intake to Photographed.'),
        (Role.SELLER, 'sold', 'shipped', 'Your role (seller) may not move watches from Sold to Shipped.'),
        (Role.MANAGER, 'intake', 'intake', 'This watch is already in Intake.'),
    ],
)
def test_an_illegal_move_is_refused_with_its_reason_and_changes_nothing(db, stage, role, start, target, reason):
    actor = make_user(role)
    watch_id = make_watch(start, agent=actor if role is Role.AGENT else None)
    before = _footprint()
    with pytest.raises(InvalidTransition) as refused:
        workflow.move_watch(actor, watch_id, stage[target])
    assert str(refused.value) == reason
    assert _footprint() == before


def test_roles_without_stage_moves_are_refused_before_anything_else(db, stage):
    finance = make_user(Role.FINANCE)
    watch_id = make_watch('listed')
    with pytest.raises(PermissionDenied, match=r'Your role \(finance\) may not move watches between stages.'):
        workflow.move_watch(finance, watch_id, stage['sold'])
    with pytest.raises(PermissionDenied):
        workflow.move_watches(finance, [watch_id], stage['sold'])


def test_selling_sets_the_sale_date_once(db, stage):
    seller, manager = make_user(Role.SELLER), make_user(Role.MANAGER)
    fresh = make_watch('listed')
    sold = workflow.move_watch(seller, fresh, stage['sold'])
    assert sold.sold_on == date.today()
    resold = make_watch('listed', sold_on=date(2026, 1, 2))
    assert workflow.move_watch(manager, resold, stage['sold']).sold_on == date(2026, 1, 2)


def test_a_move_on_a_stale_version_is_refused(db, stage):
    anna, bo = make_user(Role.MANAGER, name='Anna Berg'), make_user(Role.MANAGER)
    watch = take_in(anna)
    watches.update_watch(anna, watch.id, watches.WatchUpdate(dial='silver'), version=1)
    before = _footprint()
    with pytest.raises(Conflict, match=r'^Anna Berg saved this watch at'):
        workflow.move_watch(bo, watch.id, stage['photographed'], version=1)
    assert _footprint() == before
    workflow.move_watch(anna, watch.id, stage['photographed'], version=2)
    with pytest.raises(Conflict, match=r'^Anna Berg moved this watch at \d\d:\d\d while you were editing;'):
        watches.update_watch(bo, watch.id, watches.WatchUpdate(dial='gold'), version=2)


def test_moves_into_a_switched_off_stage_are_refused(db, stage):
    admin = make_user(Role.ADMIN)
    watch = take_in(admin)
    workflow.update_stage(admin, stage['on_hold'], active=False)
    assert 'on_hold' not in [s.key for s in workflow.allowed_moves(admin, watch.id)]
    with pytest.raises(InvalidTransition, match=r'^The stage On hold is no longer in use.$'):
        workflow.move_watch(admin, watch.id, stage['on_hold'])


def test_a_note_longer_than_the_history_keeps_is_refused(db, stage):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager)
    before = _footprint()
    with pytest.raises(ValidationFailed, match=r'500 characters'):
        workflow.move_watch(manager, watch.id, stage['photographed'], note='x' * 501)
    assert _footprint() == before


def test_history_lists_every_move_newest_first(db, stage):
    manager = make_user(Role.MANAGER, name='Anna Berg')
    seller = make_user(Role.SELLER, name='Sara Sälj')
    watch = take_in(manager)
    workflow.move_watch(manager, watch.id, stage['photographed'])
    workflow.move_watch(seller, watch.id, stage['described'], note='Text approved')
    steps = [(e.actor_name, e.from_name, e.to_name, e.note) for e in workflow.history(seller, watch.id)]
    assert steps == [
        ('Sara Sälj', 'Photographed', 'Described', 'Text approved'),
        ('Anna Berg', 'Intake', 'Photographed', None),
        ('Anna Berg', None, 'Intake', None),
    ]
    with pytest.raises(NotFound):
        workflow.history(make_user(Role.AGENT), watch.id)


def test_a_bulk_move_moves_what_it_may_and_reports_each_refusal(db, stage):
    manager = make_user(Role.MANAGER)
    first, second = take_in(manager), take_in(manager)
    listed = watches.get_watch(manager, make_watch('listed'))
    gone = take_in(manager)
    watches.delete_watch(manager, gone.id, version=1)
    result = workflow.move_watches(manager, [first.id, listed.id, second.id, gone.id, first.id], stage['photographed'])
    assert result.done == [first.id, second.id]
    assert [(r.watch_id, r.sku, r.reason) for r in result.refused] == [
        (listed.id, listed.sku, 'There is no move from Listed to Photographed.'),
        (gone.id, None, 'No such watch, or it is not one of yours.'),
    ]
    assert watches.get_watch(manager, first.id).stage_key == watches.get_watch(manager, second.id).stage_key
    assert watches.get_watch(manager, listed.id).stage_key == 'listed'
    assert len(workflow.history(manager, first.id)) == 2


def test_a_bulk_move_by_an_agent_touches_only_their_own_watches(db, stage):
    agent, manager = make_user(Role.AGENT), make_user(Role.MANAGER)
    mine, theirs = take_in(agent), take_in(manager)
    result = workflow.move_watches(agent, [mine.id, theirs.id], stage['photographed'])
    assert result.done == [mine.id] and [(r.watch_id, r.sku) for r in result.refused] == [(theirs.id, None)]
    assert watches.get_watch(manager, theirs.id).stage_key == 'intake'


def test_the_system_makes_only_automatic_moves(db):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch('listed')
    sold = workflow.system_move(watch_id, 'sold', reason='Catawiki lot 81234 sold')
    assert sold.stage_key == 'sold' and sold.sold_on == date.today()
    event = workflow.history(manager, watch_id)[0]
    assert (event.actor_name, event.note) == ('System', 'Catawiki lot 81234 sold')
    before = _footprint()
    with pytest.raises(InvalidTransition, match=r'^The move from Sold to Listed is never made automatically.$'):
        workflow.system_move(watch_id, 'listed', reason='relist')
    with pytest.raises(InvalidTransition, match=r'^There is no move from Sold to Delivered.$'):
        workflow.system_move(watch_id, 'delivered', reason='DHL')
    with pytest.raises(NotFound):
        workflow.system_move(watch_id, 'no_such_stage', reason='?')
    assert _footprint() == before


ADMIN_ONLY = [
    lambda actor, stage: workflow.create_stage(actor, 'Appraisal', '#123456'),
    lambda actor, stage: workflow.update_stage(actor, stage['listed'], name='Online'),
    lambda actor, stage: workflow.reorder_stages(actor, list(reversed(stage.values()))),
    lambda actor, stage: workflow.set_transition(actor, stage['intake'], stage['sold'], [Role.MANAGER]),
    lambda actor, stage: workflow.remove_transition(actor, stage['intake'], stage['photographed']),
]


@pytest.mark.parametrize('role', [Role.MANAGER, Role.FINANCE, Role.AGENT, Role.SELLER])
@pytest.mark.parametrize('change', ADMIN_ONLY)
def test_only_an_admin_configures_the_workflow(db, stage, role, change):
    actor = make_user(role)
    before = _footprint()
    with pytest.raises(PermissionDenied, match=f'Your role \\({role.value}\\) may not change the workflow.'):
        change(actor, stage)
    assert _footprint() == before
    change(make_user(Role.ADMIN), stage)
    assert _footprint() != before


def test_a_new_stage_gets_a_key_from_its_name_and_goes_last(db):
    admin = make_user(Role.ADMIN)
    created = workflow.create_stage(admin, '  Värdering  hos  expert ', '#0EA5E9', in_stock=False)
    assert (created.key, created.name, created.colour) == ('vardering_hos_expert', 'Värdering hos expert', '#0ea5e9')
    assert not created.in_stock and not created.is_initial and created.active
    assert workflow.stages()[-1].id == created.id
    again = workflow.create_stage(admin, 'Värdering hos expert!', '#fff')
    assert again.key == 'vardering_hos_expert_2'
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'stage.created')).first()
    assert entry.after['key'] == 'vardering_hos_expert' and entry.after['colour'] == '#0ea5e9'


@pytest.mark.parametrize(
    ('name', 'colour', 'field', 'message'),
    [
        ('   ', '#fff', 'name', 'Enter 1 to 60 characters.'),
        ('x' * 61, '#fff', 'name', 'Enter 1 to 60 characters.'),
        ('listed', '#fff', 'name', 'This name is taken.'),
        ('Appraisal', 'red', 'colour', 'Enter the colour as #rgb or #rrggbb, e.g. #0ea5e9.'),
        ('Appraisal', '#12345', 'colour', 'Enter the colour as #rgb or #rrggbb, e.g. #0ea5e9.'),
        ('Appraisal', '#ggg', 'colour', 'Enter the colour as #rgb or #rrggbb, e.g. #0ea5e9.'),
    ],
)
def test_bad_stage_names_and_colours_are_refused(db, name, colour, field, message):
    admin = make_user(Role.ADMIN)
    before = _footprint()
    with pytest.raises(ValidationFailed) as refused:
        workflow.create_stage(admin, name, colour)
    assert refused.value.fields == {field: message}
    assert _footprint() == before


def test_update_stage_renames_and_audits_only_what_changed(db, stage):
    admin = make_user(Role.ADMIN)
    renamed = workflow.update_stage(admin, stage['listed'], name='Online', colour='#abc', in_stock=True)
    assert (renamed.key, renamed.name, renamed.colour) == ('listed', 'Online', '#abc')
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'stage.updated')).one()
    assert (entry.before, entry.after) == (
        {'name': 'Listed', 'colour': '#f59e0b'},
        {'name': 'Online', 'colour': '#abc'},
    )
    with pytest.raises(ValidationFailed, match=r'There is already a stage called Sold.'):
        workflow.update_stage(admin, stage['listed'], name='SOLD')


def test_a_stage_that_starts_watches_or_still_holds_some_cannot_be_switched_off(db, stage):
    admin = make_user(Role.ADMIN)
    make_watch('listed')
    make_watch('listed')
    make_watch('sold')
    make_watch('sold', deleted_at=utcnow())
    before = _footprint()
    with pytest.raises(ValidationFailed) as initial:
        workflow.update_stage(admin, stage['intake'], active=False)
    assert initial.value.fields == {'active': 'New watches start in Intake, so it cannot be switched off.'}
    with pytest.raises(ValidationFailed, match=r'^2 watches are still in Listed; move them elsewhere first.$'):
        workflow.update_stage(admin, stage['listed'], active=False)
    with pytest.raises(ValidationFailed, match=r'^1 watch is still in Sold; move them elsewhere first.$'):
        workflow.update_stage(admin, stage['sold'], active=False)
    assert _footprint() == before
    assert not workflow.update_stage(admin, stage['returned'], active=False).active


def test_reorder_needs_every_stage_exactly_once(db, stage):
    admin = make_user(Role.ADMIN)
    order = sorted(stage.values(), reverse=True)
    before = _footprint()
    for wrong in (order[:-1], [*order, order[0]], [*order[:-1], 999]):
        with pytest.raises(ValidationFailed, match=r'every stage exactly once'):
            workflow.reorder_stages(admin, wrong)
    assert _footprint() == before
    assert [s.id for s in workflow.reorder_stages(admin, order)] == order
    assert [s.id for s in workflow.stages()] == order


def test_an_admin_adds_changes_and_removes_a_move_and_the_workflow_follows(db, stage):
    admin, manager, seller = make_user(Role.ADMIN), make_user(Role.MANAGER), make_user(Role.SELLER)
    watch = take_in(manager)
    created = workflow.set_transition(admin, stage['intake'], stage['listed'], ['seller', Role.SELLER])
    assert (created.from_name, created.to_name, created.roles, created.automatic) == (
        'Intake', 'Listed', [Role.SELLER], False
    )  # fmt: skip
    assert 'listed' in [s.key for s in workflow.allowed_moves(seller, watch.id)]
    with pytest.raises(InvalidTransition, match=r'Your role \(manager\) may not move watches from Intake to Listed.'):
        workflow.move_watch(manager, watch.id, stage['listed'])
    changed = workflow.set_transition(admin, stage['intake'], stage['listed'], [Role.MANAGER], automatic=True)
    assert changed.id == created.id and changed.roles == [Role.MANAGER] and changed.automatic
    workflow.remove_transition(admin, stage['intake'], stage['listed'])
    with pytest.raises(InvalidTransition, match=r'^There is no move from Intake to Listed.$'):
        workflow.move_watch(admin, watch.id, stage['listed'])
    with session_scope() as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.before).where(AuditEntry.entity_type == 'stage_transition')
        )
        audited = [(action, before and before.get('roles')) for action, before in actions]
    assert audited == [('transition.set', None), ('transition.set', ['seller']), ('transition.removed', ['manager'])]


def test_bad_transitions_are_refused(db, stage):
    admin = make_user(Role.ADMIN)
    before = _footprint()
    with pytest.raises(ValidationFailed, match=r'^A stage cannot move to itself.$'):
        workflow.set_transition(admin, stage['listed'], stage['listed'], [Role.MANAGER])
    with pytest.raises(ValidationFailed) as unknown:
        workflow.set_transition(admin, stage['intake'], stage['sold'], ['manager', 'emperor'])
    assert unknown.value.fields == {
        'roles': 'Unknown role emperor; choose from admin, manager, finance, agent, seller.'
    }
    with pytest.raises(NotFound, match=r'No such stage.'):
        workflow.set_transition(admin, stage['intake'], 999, [Role.MANAGER])
    with pytest.raises(NotFound, match=r'^There is no move from Intake to Sold.$'):
        workflow.remove_transition(admin, stage['intake'], stage['sold'])
    assert _footprint() == before
