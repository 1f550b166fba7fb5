"""Screens follow other people's changes as they happen: the inventory list keeps its page, sort, filters and
selection, a watch's page redraws (or says so while the viewer is busy), the dashboard re-reads its figures, and a
screen that goes away leaves nothing subscribed."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from components import live
from db.enums import Role
from services import watches
from services.permissions import Actor
from tests.factories import make_user, make_watch, take_in
from tests.ui.session import PATIENCE, eventually, log_in, open_as, press


def _edit(actor: Actor, watch_id: int, **values: object) -> watches.WatchRead:
    """Another person's save, through the service as their screen would make it."""
    current = watches.get_watch(actor, watch_id)
    return watches.update_watch(actor, watch_id, watches.parse_watch(values, partial=True), version=current.version)


def _table(user: User) -> ui.table:
    table = user.find(marker='inventory-table').elements.pop()
    assert isinstance(table, ui.table)
    return table


def _text(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


async def test_the_list_shows_anothers_edit_and_keeps_page_sort_filters_and_selection(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    omegas = [make_watch(brand='Omega', model=f'Seamaster {n:02d}') for n in range(30)]
    make_watch(brand='Rolex', model='Datejust')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    visitor.find(marker='filter-brands').elements.pop().value = ['Omega']
    await eventually(lambda: _text(visitor, 'inventory-total') == '30 watches', 'the Omegas only')
    page_two = {'page': 2, 'rowsPerPage': 10, 'sortBy': 'model', 'descending': True}
    visitor.find(marker='inventory-table').trigger('request', {'pagination': page_two})
    await eventually(lambda: _table(visitor).rows[0]['model'] == 'Seamaster 19', 'page 2 of the models, Z-A')
    shown = [row['id'] for row in _table(visitor).rows]
    ticked = _table(visitor).rows[:2]
    visitor.find(marker='inventory-table').trigger('selection', {'rows': ticked, 'added': True, 'keys': []})
    await visitor.should_see('2 selected')

    _edit(admin, shown[5], model='Seamaster 14 Chronometer')

    await eventually(lambda: _table(visitor).rows[5]['model'] == 'Seamaster 14 Chronometer', 'the edit, unreloaded')
    pagination = _table(visitor).pagination
    assert (pagination['page'], pagination['rowsPerPage'], pagination['sortBy'], pagination['descending']) == (
        2, 10, 'model', True)  # fmt: skip
    assert [row['id'] for row in _table(visitor).rows] == shown
    assert visitor.find(marker='filter-brands').elements.pop().value == ['Omega']
    assert [row['id'] for row in _table(visitor).selected] == [row['id'] for row in ticked]
    await visitor.should_see('2 selected')
    assert len(omegas) == 30


async def test_a_new_watch_that_matches_joins_the_list_and_its_count(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    make_watch(brand='Rolex', model='Datejust')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await eventually(lambda: _text(visitor, 'inventory-total') == '1 watch', 'one watch')
    take_in(admin, brand='Rolex', model='Submariner')
    await eventually(lambda: _text(visitor, 'inventory-total') == '2 watches', 'the new watch counted')
    assert {row['model'] for row in _table(visitor).rows} == {'Datejust', 'Submariner'}


async def test_a_watch_page_redraws_when_someone_else_saves_it(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    watch = take_in(admin, brand='Rolex', model='Datejust')
    other = take_in(admin, brand='Omega', model='Speedmaster')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}', 'watch-detail')
    _edit(admin, other.id, model='Speedmaster Professional')  # not this page's watch
    _edit(admin, watch.id, model='Datejust 36')
    await eventually(lambda: _text(visitor, 'watch-title') == 'Rolex Datejust 36', 'the new model in the title')
    await visitor.should_see('model: Datejust → Datejust 36', marker='timeline')
    await visitor.should_not_see('Someone else just changed this watch.')


async def test_a_viewer_in_a_dialog_is_told_instead_of_interrupted(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    watch = take_in(admin, brand='Rolex', model='Datejust')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}', 'watch-detail')
    visitor.find(marker='delete-watch').click()
    await visitor.should_see(marker='confirm-delete')
    _edit(admin, watch.id, model='Datejust 36')
    await visitor.should_see('Someone else just changed this watch.', retries=30)
    assert _text(visitor, 'watch-title') == 'Rolex Datejust'
    await visitor.should_see(marker='confirm-delete')  # the dialog is still open
    await press(visitor, 'show-changes')
    await eventually(lambda: _text(visitor, 'watch-title') == 'Rolex Datejust 36', 'the changes on request')


async def test_the_edit_form_warns_and_keeps_the_input(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    watch = take_in(admin, brand='Rolex', model='Datejust')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}/edit', 'watch-form')
    visitor.find(marker='model').clear().type('Datejust Turn-O-Graph')
    _edit(admin, watch.id, notes='Serviced in 2021')
    await visitor.should_see('Someone else just changed this watch. Your input is kept', retries=30)
    assert visitor.find(marker='model').elements.pop().value == 'Datejust Turn-O-Graph'


async def test_the_dashboard_re_reads_its_figures(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    manager = make_user(Role.MANAGER)
    make_watch('intake', cost='1000.00')
    await open_as(visitor, 'ada@example.com', '/', 'dashboard')
    assert _text(visitor, 'tile-in-stock-value') == '1'
    take_in(manager, brand='Rolex', model='Submariner')
    await eventually(lambda: _text(visitor, 'tile-in-stock-value') == '2', 'the new watch in stock')


async def test_screens_that_go_away_leave_nothing_subscribed(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    watch = make_watch()
    lists, bells = len(live.watch_changed.callbacks), len(live.notification.callbacks)
    await log_in(visitor, 'mia@example.com')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    client = visitor.client
    assert (len(live.watch_changed.callbacks), len(live.notification.callbacks)) == (lists + 1, bells + 1)
    for path, screen in (('/watches', 'inventory-table'), ('/account', 'account'), (f'/watches/{watch}', 'moves')):
        visitor.navigate.to(path)  # inside the shell: the screen is swapped, the tab stays
        await visitor.should_see(marker=screen, retries=PATIENCE)
        assert len(live.watch_changed.callbacks) == lists + (screen != 'account')
    assert visitor.client is client
    client.delete()  # what NiceGUI does once a closed tab has not come back within the reconnect timeout
    assert (len(live.watch_changed.callbacks), len(live.notification.callbacks)) == (lists, bells)
