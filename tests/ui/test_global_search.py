"""The header's search box: results as you type, keyboard moves, a scanned SKU, row scope and the empty state."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from tests.factories import make_user, make_watch
from tests.ui.session import eventually, location, open_as


def _sku(watch_id: int) -> str:
    with session_scope() as session:
        watch = session.get(Watch, watch_id)
        assert watch is not None
        return watch.sku


def _menu(user: User) -> ui.menu:
    menu = user.find(marker='search-menu').elements.pop()
    assert isinstance(menu, ui.menu)
    return menu


def _answered(user: User) -> str | None:
    """The text the dropdown's current answer is for (None before the first answer)."""
    return user.find(marker='search-results').elements.pop().props.get('data-query')


def _shown(user: User, *watch_ids: int) -> list[int]:
    """Which of these watches the dropdown shows, top to bottom."""
    rows = list(user.find(marker='search-results').elements.pop())
    with user.client:
        found = {
            w: rows.index(row)
            for w in watch_ids
            for row in ElementFilter(marker=f'search-result-{w}', local_scope=False)
        }
    return sorted(found, key=found.__getitem__)


async def _search(user: User, text: str) -> None:
    user.find(marker='global-search').clear().type(text)
    await eventually(lambda: _answered(user) == text and _menu(user).value, f'the answer for "{text}"')


async def test_typing_shows_matching_watches_and_a_way_to_all_of_them(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    rolexes = {make_watch(brand='Rolex', model='Submariner', reference='5513', year=1968) for _ in range(2)}
    omega = make_watch(brand='Omega', model='Speedmaster')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await _search(visitor, 'rolex')
    assert set(_shown(visitor, *rolexes, omega)) == rolexes
    with visitor.scope(marker='search-results'):
        await visitor.should_see('Rolex Submariner')
        await visitor.should_see('5513 · 1968')
        await visitor.should_see('Intake')
        await visitor.should_see('See all 2 results')
        await visitor.should_not_see('Omega Speedmaster')
    assert 'loading' not in visitor.find(marker='global-search').elements.pop().props
    visitor.find(marker='search-all').click()
    await eventually(lambda: location(visitor) == '/watches?q=rolex', 'the inventory searched for rolex')


async def test_a_scanned_sku_opens_its_watch_without_waiting_for_the_pause(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Rolex')
    wanted = make_watch(brand='Omega')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    visitor.find(marker='global-search').type(_sku(wanted).lower()).trigger('keydown.enter')
    await eventually(lambda: location(visitor) == f'/watches/{wanted}', 'the scanned watch to open')
    assert visitor.find(marker='global-search').elements.pop().value == ''
    assert not _menu(visitor).value


async def test_arrow_keys_move_through_the_results_and_enter_opens_the_highlighted_one(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    tudors = [make_watch(brand='Tudor', model='Ranger') for _ in range(3)]
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await _search(visitor, 'tudor')
    box = visitor.find(marker='global-search')
    first, second, _third = _shown(visitor, *tudors)
    box.trigger('keydown.down.prevent').trigger('keydown.down.prevent')
    box.trigger('keydown.down.prevent').trigger('keydown.up.prevent')
    assert 'bg-amber-100' in visitor.find(marker=f'search-result-{second}').elements.pop().classes
    assert 'bg-amber-100' not in visitor.find(marker=f'search-result-{first}').elements.pop().classes
    box.trigger('keydown.enter')
    await eventually(lambda: location(visitor) == f'/watches/{second}', 'the highlighted watch to open')


async def test_the_last_row_opens_every_result_and_escape_closes_the_dropdown(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Tudor', model='Ranger')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await _search(visitor, 'tudor')
    box = visitor.find(marker='global-search')
    box.trigger('keydown.esc')
    assert not _menu(visitor).value
    for _ in range(5):  # past the end stays on the last row
        box.trigger('keydown.down.prevent')
    assert _menu(visitor).value
    assert 'bg-amber-100' in visitor.find(marker='search-all').elements.pop().classes
    box.trigger('keydown.enter')
    await eventually(lambda: location(visitor) == '/watches?q=tudor', 'the inventory searched for tudor')


async def test_an_agent_is_offered_only_their_own_watches(visitor: User):
    agnes = make_user(Role.AGENT, email='agnes@example.com')
    other = make_user(Role.AGENT)
    mine = make_watch(brand='Rolex', agent=agnes)
    theirs = make_watch(brand='Rolex', agent=other)
    await open_as(visitor, 'agnes@example.com', '/', 'dashboard')
    await _search(visitor, 'rolex')
    assert _shown(visitor, mine, theirs) == [mine]
    await _search(visitor, _sku(theirs))
    await visitor.should_see(marker='search-empty')
    visitor.find(marker='global-search').trigger('keydown.enter')
    await eventually(lambda: location(visitor).startswith('/watches?q='), 'the list, not the foreign watch')


async def test_text_that_matches_nothing_says_so(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    make_watch(brand='Rolex')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await _search(visitor, 'zzzz')
    with visitor.scope(marker='search-empty'):
        await visitor.should_see('No watch matches “zzzz”')
    await _search(visitor, 'x' * 101)
    with visitor.scope(marker='search-empty'):
        await visitor.should_see('Search for at most 100 characters.')


async def test_only_the_latest_text_is_answered(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    omega = make_watch(brand='Omega')
    rolex = make_watch(brand='Rolex')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    box = visitor.find(marker='global-search')
    box.type('rolex')
    box.clear().type('omega')  # before the pause is over: the search for "rolex" never runs
    await eventually(lambda: _answered(visitor) == 'omega', 'the answer for omega')
    assert _shown(visitor, omega, rolex) == [omega]
    box.clear().type('o')  # one letter is too little: the dropdown closes
    await eventually(lambda: not _menu(visitor).value, 'the dropdown to close')
