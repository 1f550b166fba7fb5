"""Locations: create with inline validation, duplicates refused under the name, retiring refused while in use."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import places
from tests.factories import make_user, make_watch
from tests.ui.session import eventually, open_as, press


def _table(user: User) -> ui.table:
    return user.find(marker='location-table').elements.pop()


async def test_create_a_location_with_inline_errors(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    places.create_location(mia, {'name': 'Stockholm office', 'kind': 'office'})
    await open_as(visitor, 'mia@example.com', '/locations', 'location-table')
    await eventually(lambda: len(_table(visitor).rows) == 1, 'one location')
    visitor.find(marker='new-location').click()
    await press(visitor, 'location-save')
    await visitor.should_see('Required.')
    visitor.find(marker='location-name').type('stockholm OFFICE')
    visitor.find(marker='location-kind').elements.pop().value = 'warehouse'
    await press(visitor, 'location-save')
    await visitor.should_see('There is already a location called "Stockholm office".')
    assert visitor.find(marker='location-name').elements.pop().error == (
        'There is already a location called "Stockholm office".'
    )
    visitor.find(marker='location-name').clear().type('Geneva warehouse')
    visitor.find(marker='location-country').type('XX')
    await press(visitor, 'location-save')
    await visitor.should_see('"XX" is not an ISO 3166 country code (two letters, such as SE)')
    visitor.find(marker='location-country').clear().type('ch')
    await press(visitor, 'location-save')
    await eventually(lambda: len(_table(visitor).rows) == 2, 'two locations')
    created = next(row for row in _table(visitor).rows if row['name'] == 'Geneva warehouse')
    assert (created['kind'], created['country']) == ('warehouse', 'CH')


async def test_retiring_a_location_with_watches_is_refused_and_an_empty_one_is_retired(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    busy = places.create_location(mia, {'name': 'Stockholm office', 'kind': 'office'})
    empty = places.create_location(mia, {'name': 'Old shelf', 'kind': 'warehouse'})
    make_watch(location_id=busy.id)
    await open_as(visitor, 'mia@example.com', '/locations', 'location-table')
    await eventually(lambda: len(_table(visitor).rows) == 2, 'two locations')
    busy_row = next(row for row in _table(visitor).rows if row['id'] == busy.id)
    visitor.find(marker='location-table').trigger('toggle', busy_row)
    await visitor.should_see(marker='confirm-yes', retries=30)
    await press(visitor, 'confirm-yes')
    await visitor.should_see('1 watch is still at Stockholm office; move it first.', retries=30)
    assert places.list_locations(mia, include_inactive=True)[1].active
    empty_row = next(row for row in _table(visitor).rows if row['id'] == empty.id)
    visitor.find(marker='location-table').trigger('toggle', empty_row)
    await visitor.should_see(marker='confirm-yes', retries=30)
    await press(visitor, 'confirm-yes')
    await eventually(lambda: not next(r for r in _table(visitor).rows if r['id'] == empty.id)['active'], 'retired')


async def test_an_agent_may_not_manage_locations(visitor: User):
    make_user(Role.AGENT, email='agnes@example.com')
    await open_as(visitor, 'agnes@example.com', '/locations', 'forbidden')
    await visitor.should_not_see(marker='location-table')
