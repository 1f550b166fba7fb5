"""The inventory list against a real database: paging, sorting, filters, presets, columns, bulk actions, roles."""

from __future__ import annotations

import csv
import io

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.workflow import Stage
from services import inventory, places
from tests.factories import make_user, make_watch
from tests.ui.job_states import RUN
from tests.ui.session import eventually, open_as, press


def _table(user: User) -> ui.table:
    table = user.find(marker='inventory-table').elements.pop()
    assert isinstance(table, ui.table)
    return table


async def _rows(user: User, count: int | None = None) -> list[dict]:
    table = _table(user)
    await eventually(lambda: table.rows if count is None else len(table.rows) == count, f'{count} rows')
    return table.rows


def _skus(user: User) -> list[str]:
    return [row['sku'] for row in _table(user).rows]


def _request(user: User, args: dict) -> None:
    """What QTable sends when someone pages or clicks a column header."""
    user.find(marker='inventory-table').trigger('request', args)


def _stage_id(key: str) -> int:
    with session_scope() as session:
        return session.exec(select(Stage.id).where(Stage.key == key)).one()


def _watch(watch_id: int) -> Watch:
    with session_scope() as session:
        watch = session.get(Watch, watch_id)
        session.expunge(watch)
        return watch


def _select(user: User, *watch_ids: int) -> None:
    """Tick rows as QTable does: it sends the new selection, which NiceGUI keeps in `selected`."""
    rows = [row for row in _table(user).rows if row['id'] in watch_ids]
    user.find(marker='inventory-table').trigger('selection', {'rows': rows, 'added': True, 'keys': list(watch_ids)})


async def test_the_list_pages_on_the_server_and_remembers_where_it_was(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    ids = [make_watch(brand='Omega', model=f'Model {n:02d}') for n in range(30)]
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    assert len(await _rows(visitor, 25)) == 25
    await visitor.should_see('30 watches')
    _request(visitor, {'pagination': {'page': 2, 'rowsPerPage': 25, 'sortBy': 'sku'}})
    await eventually(lambda: len(_table(visitor).rows) == 5, 'the second page')
    assert _table(visitor).pagination['rowsNumber'] == 30
    last = _skus(visitor)
    await visitor.open('/')
    await visitor.open('/watches')
    await visitor.should_see(marker='inventory-table', retries=30)
    await _rows(visitor)
    await eventually(lambda: _skus(visitor) == last, 'the same page after coming back')
    assert _table(visitor).pagination['page'] == 2
    assert len(ids) == 30


async def test_sorting_by_a_column_asks_the_server(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Zenith', model='El Primero')
    make_watch(brand='Breitling', model='Navitimer')
    make_watch(brand='Omega', model='Constellation')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 3)
    _request(visitor, {'pagination': {'page': 1, 'rowsPerPage': 25, 'sortBy': 'brand', 'descending': False}})
    await eventually(lambda: [r['brand'] for r in _table(visitor).rows] == ['Breitling', 'Omega', 'Zenith'], 'A-Z')
    _request(visitor, {'pagination': {'page': 1, 'rowsPerPage': 25, 'sortBy': 'brand', 'descending': True}})
    await eventually(lambda: [r['brand'] for r in _table(visitor).rows] == ['Zenith', 'Omega', 'Breitling'], 'Z-A')


async def test_filters_narrow_the_list_and_a_bad_range_is_explained(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Rolex', model='Submariner', asking_price='9000.00', price_currency='EUR')
    make_watch(brand='Rolex', model='Datejust', asking_price='4000.00', price_currency='EUR')
    make_watch('listed', brand='Omega', model='Seamaster', asking_price='3000.00', price_currency='EUR')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 3)
    visitor.find(marker='filter-brands').elements.pop().value = ['Rolex']
    await eventually(lambda: {r['brand'] for r in _table(visitor).rows} == {'Rolex'}, 'only Rolex')
    visitor.find(marker='filter-model').type('sub')
    await eventually(lambda: [r['model'] for r in _table(visitor).rows] == ['Submariner'], 'only the Submariner')
    visitor.find(marker='filter-model').clear()
    visitor.find(marker='filter-price_min').elements.pop().value = 5000
    visitor.find(marker='filter-price_max').elements.pop().value = 1000
    await visitor.should_see('the lowest price is above the highest')
    visitor.find(marker='filter-price_max').elements.pop().value = None
    await eventually(lambda: [r['model'] for r in _table(visitor).rows] == ['Submariner'], 'only above 5,000')
    await press(visitor, 'clear-filters')
    visitor.find(marker='filter-stage_ids').elements.pop().value = [_stage_id('listed')]
    await eventually(lambda: [r['stage'] for r in _table(visitor).rows] == ['Listed'], 'only listed watches')


async def test_a_capped_total_reads_as_a_lower_bound(visitor: User, monkeypatch):
    monkeypatch.setattr(inventory, 'COUNT_CAP', 5)
    make_user(Role.MANAGER, email='mia@example.com')
    for _ in range(8):
        make_watch()
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    _request(visitor, {'pagination': {'page': 1, 'rowsPerPage': 2, 'sortBy': 'sku'}})
    await visitor.should_see('5+ watches', retries=30)
    assert '5+' in _table(visitor).props[':pagination-label']


async def test_presets_save_apply_and_delete(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Rolex', model='Submariner')
    make_watch(brand='Omega', model='Seamaster')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 2)
    visitor.find(marker='filter-brands').elements.pop().value = ['Rolex']
    await eventually(lambda: len(_table(visitor).rows) == 1, 'only Rolex')
    visitor.find(marker='save-preset').click()
    await press(visitor, 'preset-save')
    await visitor.should_see('Required.')
    visitor.find(marker='preset-name').type('Rolex only')
    await press(visitor, 'preset-save')
    assert [p.name for p in inventory.presets(mia)] == ['Rolex only']
    await press(visitor, 'clear-filters')
    await eventually(lambda: len(_table(visitor).rows) == 2, 'both watches again')
    await visitor.should_see(marker='preset-Rolex only', retries=30)
    visitor.find(marker='preset-Rolex only').click()
    await eventually(lambda: [r['brand'] for r in _table(visitor).rows] == ['Rolex'], 'the preset applied')
    assert visitor.find(marker='filter-brands').elements.pop().value == ['Rolex']
    visitor.find(marker='delete-preset-Rolex only').click()
    await visitor.should_see(marker='confirm-yes', retries=30)
    await press(visitor, 'confirm-yes')
    await eventually(lambda: not inventory.presets(mia), 'the preset deleted')


async def test_the_column_chooser_is_remembered(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    make_watch()
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 1)
    visitor.find(marker='columns').click()
    await visitor.should_see(marker='column-location', retries=30)
    visitor.find(marker='column-location').click()
    visitor.find(marker='column-agent').click()
    await press(visitor, 'columns-save')
    names = [column['name'] for column in _table(visitor).columns]
    assert 'location' not in names
    assert 'agent' in names
    assert inventory.columns(mia) == names


async def test_a_bulk_stage_move_reports_the_moved_and_the_refused(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    fine = make_watch('intake', brand='Rolex')
    stuck = make_watch('sold', brand='Omega')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 2)
    _select(visitor, fine, stuck)
    await visitor.should_see('2 selected')
    visitor.find(marker=f'to-stage-{_stage_id("photographed")}').click()
    await visitor.should_see('1 watch moved; 1 refused.', retries=30)
    await visitor.should_see(marker='refusals')
    assert _watch(fine).stage_id == _stage_id('photographed')
    assert _watch(stuck).stage_id == _stage_id('sold')
    sku = _watch(stuck).sku
    await visitor.should_see(sku)


async def test_select_all_matching_assigns_every_match_to_a_batch(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    home = places.create_location(mia, {'name': 'Stockholm office', 'kind': 'office', 'country': 'SE'})
    away = places.create_location(mia, {'name': 'Geneva warehouse', 'kind': 'warehouse', 'country': 'CH'})
    batch = places.create_batch(mia, {'origin_id': home.id, 'destination_id': away.id})
    rolexes = [make_watch(brand='Rolex') for _ in range(30)]
    omega = make_watch(brand='Omega')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    visitor.find(marker='filter-brands').elements.pop().value = ['Rolex']
    await eventually(lambda: visitor.find(marker='inventory-total').elements.pop().text == '30 watches', '30')
    _select(visitor, _table(visitor).rows[0]['id'])
    visitor.find(marker='select-all').click()
    await visitor.should_see('30 selected (all matching)')
    await press(visitor, 'bulk-batch')
    visitor.find(marker='assign-batch').elements.pop().value = batch.id
    await press(visitor, 'assign-confirm')
    await visitor.should_see('30 watches put into the batch.', retries=30)
    assert {_watch(i).batch_id for i in rolexes} == {batch.id}
    assert _watch(omega).batch_id is None


async def _downloaded(visitor: User, count: int) -> bytes:
    """The `count`th file the browser received: a job's result downloads itself when the job is done."""
    await eventually(lambda: len(visitor.download.http_responses) >= count, f'download {count}', patience=RUN)
    return visitor.download.http_responses[count - 1].content


@pytest.mark.usefixtures('task_workers')
async def test_exports_the_selection_as_csv(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    chosen = make_watch(brand='Rolex', model='Submariner')
    make_watch(brand='Omega', model='Seamaster')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 2)
    _select(visitor, chosen)
    visitor.find(marker='bulk-export-csv').click()
    lines = list(csv.DictReader(io.StringIO((await _downloaded(visitor, 1)).decode('utf-8-sig'))))
    assert [(line['Brand'], line['Model']) for line in lines] == [('Rolex', 'Submariner')]
    await press(visitor, 'job-dialog-close')
    visitor.find(marker='export-all-csv').click()
    assert len(list(csv.DictReader(io.StringIO((await _downloaded(visitor, 2)).decode('utf-8-sig'))))) == 2


@pytest.mark.usefixtures('task_workers')
async def test_labels_download_as_pdf(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    chosen = make_watch(brand='Rolex', model='Submariner')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 1)
    _select(visitor, chosen)
    visitor.find(marker='labels-brother').click()
    assert (await _downloaded(visitor, 1)).startswith(b'%PDF')


async def test_a_seller_sees_no_cost_column_and_an_agent_only_their_watches(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    agent = make_user(Role.AGENT, email='agnes@example.com')
    make_watch(brand='Rolex', agent=agent)
    make_watch(brand='Omega')
    await open_as(visitor, 'sam@example.com', '/watches', 'inventory-table')
    rows = await _rows(visitor, 2)
    assert 'purchase_cost_base' not in {column['name'] for column in _table(visitor).columns}
    assert {row['purchase_cost_base'] for row in rows} == {'—'}
    visitor.find(marker='columns').click()
    await visitor.should_see(marker='column-sku', retries=30)
    await visitor.should_not_see(marker='column-purchase_cost_base')


async def test_an_agent_sees_only_their_own_watches_and_no_agent_filter(visitor: User):
    agent = make_user(Role.AGENT, email='agnes@example.com')
    mine = make_watch(brand='Rolex', agent=agent)
    make_watch(brand='Omega')
    await open_as(visitor, 'agnes@example.com', '/watches', 'inventory-table')
    rows = await _rows(visitor, 1)
    assert [row['id'] for row in rows] == [mine]
    await visitor.should_not_see(marker='filter-agent_id')
    await visitor.should_not_see(marker='bulk-batch')


async def test_finance_gets_only_the_bulk_actions_it_may_take(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    make_watch()
    await open_as(visitor, 'fay@example.com', '/watches', 'inventory-table')
    await _rows(visitor, 1)
    for marker in ('bulk-stage', 'bulk-batch', 'bulk-location', 'bulk-labels', 'import'):
        await visitor.should_not_see(marker=marker)
    await visitor.should_see(marker='export-all')
    assert _table(visitor).props['selection'] == 'multiple'


async def test_the_header_box_opens_a_scanned_sku_and_searches_other_text(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    wanted = make_watch(brand='Rolex')
    make_watch(brand='Omega')
    sku = _watch(wanted).sku
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    box = visitor.find(marker='global-search')
    box.type(sku.lower()).trigger('keydown.enter')
    await eventually(lambda: visitor.back_history[-1] == f'/watches/{wanted}', 'the watch opened')
    visitor.find(marker='global-search').clear().type('Omega').trigger('keydown.enter')
    await visitor.should_see(marker='inventory-table', retries=30)
    await eventually(lambda: [r['brand'] for r in _table(visitor).rows] == ['Omega'], 'only Omega')
    assert visitor.find(marker='filter-text').elements.pop().value == 'Omega'
