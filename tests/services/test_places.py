"""Locations, batches and their journey, and moving watches: the rules, the audit, and refusals that write nothing."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import BatchStatus, LocationKind, Role
from db.inventory import Watch
from db.places import Batch, Location
from db.system import AuditEntry
from db.types import utcnow
from services import places, sku
from services.bulk import BulkResult, Refusal
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.inventory import NOT_YOURS
from services.permissions import Permission
from tests.services.test_inventory import Stock, add_location, build_stock, person


@pytest.fixture
def stock(db) -> Stock:
    return build_stock()


def _watch(watch_id: int) -> Watch:
    with session_scope() as session:
        return session.get(Watch, watch_id)


def _refused(result: BulkResult) -> dict[int, str]:
    return {refusal.watch_id: refusal.reason for refusal in result.refused}


def _entries(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def _snapshot() -> list:
    """Everything the services here may write, to prove a refusal wrote nothing."""
    with session_scope() as session:
        return [session.execute(sa.select(table).order_by(table.c.id)).all()
                for table in (Location.__table__, Batch.__table__, Watch.__table__, AuditEntry.__table__)]  # fmt: skip


def _new_batch(stock: Stock, **fields) -> places.BatchRead:
    return places.create_batch(stock.manager, {'origin_id': stock.office, 'destination_id': stock.warehouse, **fields})


# --- locations ---------------------------------------------------------------------------------------------------


def test_a_location_is_created_listed_and_audited(stock):
    created = places.create_location(
        stock.manager, {'name': '  Watchmaker   Holm ', 'kind': 'watchmaker', 'address': '', 'country': 'se'}
    )
    assert (created.name, created.kind, created.address, created.country) == (
        'Watchmaker Holm', LocationKind.WATCHMAKER, None, 'SE')  # fmt: skip
    assert 'Watchmaker Holm' in [location.name for location in places.list_locations(stock.seller)]
    assert _entries('location.created')[-1].after['name'] == 'Watchmaker Holm'


@pytest.mark.parametrize(
    ('data', 'error', 'message'),
    [
        ({'name': 'office', 'kind': 'office'}, Conflict, 'already a location called "Office"'),
        ({'name': 'Depot', 'kind': 'garage'}, ValidationFailed, 'kind'),
        ({'name': 'Depot', 'kind': 'office', 'country': 'XX'}, ValidationFailed, 'ISO 3166'),
        ({'name': 'Depot', 'kind': 'office', 'country': 'SWE'}, ValidationFailed, 'ISO 3166'),
        ({'name': '', 'kind': 'office'}, ValidationFailed, 'name'),
    ],
)
def test_bad_locations_are_refused_and_write_nothing(stock, data, error, message):
    before = _snapshot()
    with pytest.raises(error, match=message):
        places.create_location(stock.manager, data)
    assert _snapshot() == before


def test_only_location_managers_change_locations(stock):
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        places.create_location(stock.seller, {'name': 'Depot', 'kind': 'office'})
    with pytest.raises(PermissionDenied):
        places.update_location(stock.agent1, stock.office, {'name': 'Mine'})
    with pytest.raises(PermissionDenied):
        places.deactivate_location(stock.seller, stock.office)
    assert _snapshot() == before


def test_updating_a_location_changes_only_what_is_given(stock):
    updated = places.update_location(stock.manager, stock.office, {'country': 'de', 'address': 'Lange Reihe 1'})
    assert (updated.name, updated.country, updated.address) == ('Office', 'DE', 'Lange Reihe 1')
    assert _entries('location.updated')[-1].after == {'country': 'DE', 'address': 'Lange Reihe 1'}
    with pytest.raises(Conflict):
        places.update_location(stock.manager, stock.office, {'name': 'ÅRSTA WAREHOUSE'})
    with pytest.raises(ValidationFailed):
        places.update_location(stock.manager, stock.office, {'name': None})
    with pytest.raises(NotFound):
        places.update_location(stock.manager, 9999, {'name': 'Ghost'})


def test_a_location_with_watches_cannot_be_deactivated(stock):
    before = _snapshot()
    with pytest.raises(Conflict, match='2 watches are still at Office; move them first'):
        places.deactivate_location(stock.manager, stock.office)
    assert _snapshot() == before
    depot = add_location('Depot')
    places.move_location(stock.manager, [stock.ids['w1'], stock.ids['w3']], depot)
    assert places.deactivate_location(stock.manager, stock.office).active is False
    assert 'Office' not in [location.name for location in places.list_locations(stock.manager)]
    assert 'Office' in [location.name for location in places.list_locations(stock.manager, include_inactive=True)]
    with pytest.raises(ValidationFailed, match='no longer in use'):
        places.move_location(stock.manager, [stock.ids['w1']], stock.office)
    assert places.activate_location(stock.manager, stock.office).active


# --- moving watches ----------------------------------------------------------------------------------------------


def test_moving_watches_reports_each_refusal_and_bumps_versions(stock):
    depot = add_location('Depot')
    ids = [stock.ids['w1'], stock.ids['w3'], stock.ids['gone'], 424242]
    result = places.move_location(stock.manager, [*ids, stock.ids['w1']], depot)
    assert result.done == [stock.ids['w1'], stock.ids['w3']]
    assert _refused(result) == {stock.ids['gone']: NOT_YOURS, 424242: NOT_YOURS}
    assert (_watch(stock.ids['w1']).location_id, _watch(stock.ids['w1']).version) == (depot, 2)
    again = places.move_location(stock.manager, [stock.ids['w1']], depot)
    assert again.refused == [
        Refusal(watch_id=stock.ids['w1'], sku=_watch(stock.ids['w1']).sku, reason='Already at Depot.')
    ]
    entry = _entries('watches.moved')[-1]
    assert (entry.entity_type, entry.entity_id) == ('location', str(depot))
    assert entry.after == {'location_id': depot, 'watch_ids': [stock.ids['w1'], stock.ids['w3']]}
    assert entry.before == {'location_id': [stock.office, stock.office]}
    assert len(_entries('watches.moved')) == 1


def test_an_agent_moves_only_their_own_watches(stock):
    result = places.move_location(stock.agent1, [stock.ids['w1'], stock.ids['w3']], stock.warehouse)
    assert result.done == [stock.ids['w1']]
    assert result.refused == [Refusal(watch_id=stock.ids['w3'], sku=None, reason=NOT_YOURS)]
    assert _watch(stock.ids['w3']).location_id == stock.office


def test_a_role_that_may_not_edit_moves_nothing(stock):
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        places.move_location(stock.seller, [stock.ids['w1']], stock.warehouse)
    assert _snapshot() == before


# --- batches -----------------------------------------------------------------------------------------------------


def test_batch_numbers_continue_after_the_highest_of_the_month(stock):
    prefix = f'B-{sku.period_key(utcnow().date())}-'
    with session_scope() as session:
        session.add_all([Batch(batch_number=f'{prefix}007'), Batch(batch_number=f'{prefix}12x')])
    assert _new_batch(stock).batch_number == f'{prefix}008'
    assert _new_batch(stock).batch_number == f'{prefix}009'
    assert _new_batch(stock, batch_number='SPECIAL-1').batch_number == 'SPECIAL-1'
    with pytest.raises(Conflict, match='SPECIAL-1 is taken'):
        _new_batch(stock, batch_number='SPECIAL-1')


def test_the_first_batch_of_a_month_is_number_one(stock):
    batch = _new_batch(stock, notes='Weekly from Göteborg')
    assert batch.batch_number.endswith('-001')
    assert (batch.origin, batch.destination, batch.status, batch.watches) == (
        'Office', 'Årsta warehouse', BatchStatus.OPEN, 0)  # fmt: skip
    assert _entries('batch.created')[-1].after['batch_number'] == batch.batch_number


@pytest.mark.parametrize(
    ('route', 'message'),
    [
        (lambda s: {'origin_id': s.office}, 'destination'),
        (lambda s: {'origin_id': s.office, 'destination_id': -1}, 'No such location'),
        (lambda s: {'origin_id': s.office, 'destination_id': s.office}, 'differ'),
    ],
)
def test_bad_batches_are_refused_and_write_nothing(stock, route, message):
    data = route(stock)
    before = _snapshot()
    with pytest.raises((ValidationFailed, NotFound), match=message):
        places.create_batch(stock.manager, data)
    assert _snapshot() == before


def test_a_batch_travels_open_packed_shipped_delivered_and_delivery_moves_its_watches(stock):
    batch = _new_batch(stock)
    added = places.assign_watches(stock.manager, batch.id, [stock.ids['w1'], stock.ids['w5']])
    assert added.done == [stock.ids['w1'], stock.ids['w5']]
    assert places.advance_batch(stock.manager, batch.id, 'packed').status is BatchStatus.PACKED
    shipped = places.advance_batch(stock.manager, batch.id, BatchStatus.SHIPPED, carrier='DHL Express',
                                   tracking_number='1234567890')  # fmt: skip
    assert (shipped.carrier, shipped.tracking_number) == ('DHL Express', '1234567890')
    assert shipped.shipped_at is not None and shipped.delivered_at is None
    delivered = places.advance_batch(stock.manager, batch.id, 'delivered')
    assert delivered.delivered_at is not None
    assert _watch(stock.ids['w1']).location_id == stock.warehouse
    assert _watch(stock.ids['w5']).location_id == stock.warehouse
    moved = _entries('watches.moved')[-1]
    assert (moved.entity_type, moved.entity_id) == ('batch', str(batch.id))
    assert moved.after == {'location_id': stock.warehouse, 'watch_ids': [stock.ids['w1']]}  # w5 was there already
    assert [entry.after['status'] for entry in _entries('batch.packed') + _entries('batch.shipped')] == [
        'packed', 'shipped']  # fmt: skip
    assert _entries('batch.delivered')[-1].before == {'status': 'shipped', 'delivered_at': None}


@pytest.mark.parametrize(
    ('path', 'target', 'message'),
    [
        ([], 'shipped', 'is open: it can only be packed next, not shipped'),
        ([], 'delivered', 'is open: it can only be packed next, not delivered'),
        ([], 'open', 'is open: it can only be packed next, not open'),
        (['packed'], 'open', 'is packed: it can only be shipped next, not open'),
        (['packed', 'shipped', 'delivered'], 'shipped', 'is delivered: it has arrived, not shipped'),
        ([], 'lost', '"lost" is not a batch status'),
        ([], 'packed-with-carrier', 'given when the batch is shipped'),
    ],
)
def test_illegal_status_changes_are_refused_with_the_reason(stock, path, target, message):
    batch = _new_batch(stock)
    places.assign_watches(stock.manager, batch.id, [stock.ids['w1']])
    for status in path:
        places.advance_batch(stock.manager, batch.id, status)
    before = _snapshot()
    extra = {'carrier': 'DHL'} if target == 'packed-with-carrier' else {}
    with pytest.raises(ValidationFailed, match=message):
        places.advance_batch(stock.manager, batch.id, target.removesuffix('-with-carrier'), **extra)
    assert _snapshot() == before


def test_an_empty_batch_cannot_be_packed(stock):
    batch = _new_batch(stock)
    with pytest.raises(ValidationFailed, match='has no watches'):
        places.advance_batch(stock.manager, batch.id, 'packed')


def test_assignment_reports_per_watch_refusals(stock):
    batch = _new_batch(stock)
    shipped = _new_batch(stock)
    places.assign_watches(stock.manager, shipped.id, [stock.ids['w4']])
    places.advance_batch(stock.manager, shipped.id, 'packed')
    places.advance_batch(stock.manager, shipped.id, 'shipped')
    places.assign_watches(stock.manager, batch.id, [stock.ids['w1']])
    ids = [stock.ids[name] for name in ('w1', 'w2', 'w4', 'gone')]
    result = places.assign_watches(stock.manager, batch.id, ids)
    assert result.done == [stock.ids['w2']]  # taken out of the fixture's open batch
    assert _refused(result) == {
        stock.ids['w1']: 'Already in this batch.',
        stock.ids['w4']: f'On its way in batch {shipped.batch_number}.',
        stock.ids['gone']: NOT_YOURS,
    }
    assert _watch(stock.ids['w2']).batch_id == batch.id
    entry = _entries('batch.watches_added')[-1]
    assert entry.before == {'batch_id': [stock.batch]}
    assert entry.after == {'batch_id': batch.id, 'watch_ids': [stock.ids['w2']]}


def test_assignment_is_scope_checked(stock):
    # an agent allowed to manage batches still cannot put another agent's watch in one
    agent = dataclasses.replace(stock.agent1, permissions=stock.agent1.permissions | {Permission.BATCHES_MANAGE})
    batch = _new_batch(stock)
    result = places.assign_watches(agent, batch.id, [stock.ids['w1'], stock.ids['w3']])
    assert (result.done, _refused(result)) == ([stock.ids['w1']], {stock.ids['w3']: NOT_YOURS})
    filtered = places.assign_filtered(agent, batch.id, {'brands': ['Rolex', 'Omega']})
    assert (filtered.done, _refused(filtered)) == ([stock.ids['w2']], {stock.ids['w1']: 'Already in this batch.'})


def test_assign_filtered_takes_every_match(stock):
    batch = _new_batch(stock)
    result = places.assign_filtered(stock.manager, batch.id, {'has_photos': True})
    assert sorted(result.done) == sorted(stock.ids[name] for name in ('w1', 'w3', 'w5'))
    detail = places.batch_detail(stock.manager, batch.id)
    assert detail.count == detail.batch.watches == 3


def test_a_shipped_batch_takes_and_gives_up_no_watches(stock):
    batch = _new_batch(stock)
    places.assign_watches(stock.manager, batch.id, [stock.ids['w1']])
    places.advance_batch(stock.manager, batch.id, 'packed')
    places.advance_batch(stock.manager, batch.id, 'shipped')
    before = _snapshot()
    for call, argument in ((places.assign_watches, [stock.ids['w2']]), (places.remove_watches, [stock.ids['w1']]),
                           (places.assign_filtered, {})):  # fmt: skip
        with pytest.raises(ValidationFailed, match='has been shipped; its watches are fixed'):
            call(stock.manager, batch.id, argument)
    with pytest.raises(ValidationFailed, match='route is fixed'):
        places.update_batch(stock.manager, batch.id, {'destination_id': stock.office})
    assert _snapshot() == before


def test_removing_watches_from_a_batch(stock):
    result = places.remove_watches(stock.manager, stock.batch, [stock.ids['w2'], stock.ids['w1']])
    assert result.done == [stock.ids['w2']]
    assert _refused(result) == {stock.ids['w1']: 'Not in this batch.'}
    assert _watch(stock.ids['w2']).batch_id is None
    assert _entries('batch.watches_removed')[-1].after == {'batch_id': None, 'watch_ids': [stock.ids['w2']]}


def test_batch_detail_totals_cost_only_for_those_who_may_see_it(stock):
    detail = places.batch_detail(stock.manager, stock.batch, limit=1)
    assert (detail.count, detail.total_cost, detail.base_currency) == (2, Decimal('11000.50'), 'EUR')
    assert (len(detail.watches.items), detail.watches.total) == (1, 2)
    seller_view = places.batch_detail(stock.seller, stock.batch)
    assert (seller_view.count, seller_view.total_cost) == (2, None)
    assert all(row.purchase_cost_base is None for row in seller_view.watches.items)
    agent_view = places.batch_detail(stock.agent2, stock.batch)
    assert (agent_view.count, agent_view.total_cost, agent_view.batch.watches) == (1, Decimal('3000.50'), 1)
    assert [row.id for row in agent_view.watches.items] == [stock.ids['w3']]
    with pytest.raises(NotFound):
        places.batch_detail(stock.manager, 9999)


def test_batches_are_listed_newest_first_and_by_status(stock):
    first, second = _new_batch(stock), _new_batch(stock)
    places.assign_watches(stock.manager, second.id, [stock.ids['w5']])
    places.advance_batch(stock.manager, second.id, 'packed')
    listed = places.list_batches(stock.manager, 0, 2)
    assert listed.total == 3
    assert [batch.id for batch in listed.items] == [second.id, first.id]
    packed = places.list_batches(stock.manager, status='packed')
    assert [(batch.id, batch.watches) for batch in packed.items] == [(second.id, 1)]
    with pytest.raises(ValidationFailed):
        places.list_batches(stock.manager, status='lost')


def test_updating_a_batch(stock):
    batch = _new_batch(stock)
    updated = places.update_batch(
        stock.manager, batch.id, {'destination_id': add_location('Depot'), 'notes': 'Fragile'}
    )
    assert (updated.destination, updated.notes) == ('Depot', 'Fragile')
    with pytest.raises(ValidationFailed, match='differ'):
        places.update_batch(stock.manager, batch.id, {'origin_id': updated.destination_id})
    with pytest.raises(Conflict):
        places.update_batch(stock.manager, batch.id, {'batch_number': 'B-2501-001'})


def test_a_role_without_batch_rights_changes_no_batch(stock):
    batch = _new_batch(stock)
    actors = (stock.seller, stock.agent1, person(Role.FINANCE))
    before = _snapshot()
    calls = [
        lambda actor: places.create_batch(actor, {'origin_id': stock.office, 'destination_id': stock.warehouse}),
        lambda actor: places.update_batch(actor, batch.id, {'notes': 'x'}),
        lambda actor: places.assign_watches(actor, batch.id, [stock.ids['w1']]),
        lambda actor: places.assign_filtered(actor, batch.id, {}),
        lambda actor: places.remove_watches(actor, stock.batch, [stock.ids['w2']]),
        lambda actor: places.advance_batch(actor, stock.batch, 'packed'),
    ]
    for call in calls:
        for actor in actors:
            with pytest.raises(PermissionDenied):
                call(actor)
    assert _snapshot() == before
