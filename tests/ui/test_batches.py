"""Batches: create one, fill it from the inventory's bulk bar, and walk it to delivery."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.engine import session_scope
from db.enums import BatchStatus, Role
from db.inventory import Watch
from services import places
from tests.factories import make_user, make_watch
from tests.ui.session import eventually, open_as, press


def _location_of(watch_id: int) -> int | None:
    with session_scope() as session:
        return session.get(Watch, watch_id).location_id


def _chip(user: User) -> str | None:
    chips = user.find(marker='batch-status-chip').elements
    return chips.pop().text if len(chips) == 1 else None


def _two_places(actor):
    home = places.create_location(actor, {'name': 'Stockholm office', 'kind': 'office', 'country': 'SE'})
    away = places.create_location(actor, {'name': 'Geneva warehouse', 'kind': 'warehouse', 'country': 'CH'})
    return home, away


async def test_create_a_batch_assign_watches_from_inventory_and_deliver_it(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    home, away = _two_places(mia)
    chosen = [make_watch(brand='Rolex', location_id=home.id) for _ in range(2)]
    await open_as(visitor, 'mia@example.com', '/batches', 'batch-table')
    visitor.find(marker='new-batch').click()
    await visitor.should_see(marker='batch-dialog', retries=30)
    await press(visitor, 'batch-create')
    await visitor.should_see('Required.')
    visitor.find(marker='batch-origin_id').elements.pop().value = home.id
    visitor.find(marker='batch-destination_id').elements.pop().value = home.id
    await press(visitor, 'batch-create')
    await visitor.should_see('Must differ from the origin.')
    visitor.find(marker='batch-destination_id').elements.pop().value = away.id
    await press(visitor, 'batch-create')
    batch = places.list_batches(mia).items[0]
    await eventually(lambda: visitor.back_history[-1] == f'/batches/{batch.id}', 'the new batch opened')

    await visitor.open('/watches')
    await visitor.should_see(marker='inventory-table', retries=30)
    table = visitor.find(marker='inventory-table').elements.pop()
    await eventually(lambda: len(table.rows) == 2, 'two watches')
    visitor.find(marker='inventory-table').trigger('selection', {'rows': table.rows, 'added': True, 'keys': chosen})
    await press(visitor, 'bulk-batch')
    visitor.find(marker='assign-batch').elements.pop().value = batch.id
    await press(visitor, 'assign-confirm')
    await visitor.should_see('2 watches put into the batch.', retries=30)

    await visitor.open(f'/batches/{batch.id}')
    await visitor.should_see(marker='batch-watches', retries=30)
    watches = visitor.find(marker='batch-watches').elements.pop()
    assert isinstance(watches, ui.table)
    await eventually(lambda: len(watches.rows) == 2, 'the two watches in the batch')
    await visitor.should_see('2,000.00 EUR')
    for step in ('packed', 'shipped', 'delivered'):
        visitor.find(marker='advance').click()
        await visitor.should_see(marker='advance-dialog', retries=30)
        if step == 'shipped':
            await press(visitor, 'advance-confirm')
            await visitor.should_see('Required to ship.')
            visitor.find(marker='carrier').type('DHL')
            visitor.find(marker='tracking').type('JD0001')
        if step == 'delivered':
            await visitor.should_see('All 2 watches of the batch will be at Geneva warehouse from now on.')
        await press(visitor, 'advance-confirm')
        await visitor.should_see(f'is {step}.', retries=30)
        await eventually(lambda s=step: _chip(visitor) == s.title(), f'the batch {step}')
    assert places.batch_detail(mia, batch.id).batch.status is BatchStatus.DELIVERED
    assert {_location_of(i) for i in chosen} == {away.id}
    await visitor.should_not_see(marker='advance')
    await visitor.should_not_see(marker='remove-watches')


async def test_watches_can_be_taken_out_of_an_open_batch_after_confirming(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    home, away = _two_places(mia)
    batch = places.create_batch(mia, {'origin_id': home.id, 'destination_id': away.id})
    staying, leaving = make_watch(), make_watch()
    places.assign_watches(mia, batch.id, [staying, leaving])
    await open_as(visitor, 'mia@example.com', f'/batches/{batch.id}', 'batch-watches')
    table = visitor.find(marker='batch-watches').elements.pop()
    await eventually(lambda: len(table.rows) == 2, 'two watches')
    row = next(r for r in table.rows if r['id'] == leaving)
    visitor.find(marker='batch-watches').trigger('selection', {'rows': [row], 'added': True, 'keys': [leaving]})
    visitor.find(marker='remove-watches').click()
    await visitor.should_see(marker='confirm-yes', retries=30)
    await press(visitor, 'confirm-yes')
    await visitor.should_see('1 watch taken out of the batch.', retries=30)
    await eventually(lambda: [r['id'] for r in table.rows] == [staying], 'one watch left')
    assert places.batch_detail(mia, batch.id).count == 1


async def test_the_list_filters_by_status_and_a_seller_sees_no_cost(visitor: User):
    mia = make_user(Role.MANAGER)
    make_user(Role.SELLER, email='sam@example.com')
    home, away = _two_places(mia)
    first = places.create_batch(mia, {'origin_id': home.id, 'destination_id': away.id})
    second = places.create_batch(mia, {'origin_id': away.id, 'destination_id': home.id})
    places.assign_watches(mia, second.id, [make_watch()])
    places.advance_batch(mia, second.id, 'packed')
    await open_as(visitor, 'sam@example.com', '/batches', 'batch-table')
    table = visitor.find(marker='batch-table').elements.pop()
    await eventually(lambda: len(table.rows) == 2, 'both batches')
    await visitor.should_not_see(marker='new-batch')
    visitor.find(marker='batch-status').elements.pop().value = 'packed'
    await eventually(lambda: [r['batch_number'] for r in table.rows] == [second.batch_number], 'only packed')
    await visitor.open(f'/batches/{first.id}')
    await visitor.should_see(marker='batch-count', retries=30)
    await visitor.should_not_see(marker='batch-cost')
    await visitor.should_not_see(marker='advance')


async def test_a_bad_batch_id_shows_not_found(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/batches/nope', 'batch-not-found')
    await visitor.open('/batches/999')
    await visitor.should_see(marker='batch-not-found', retries=30)
