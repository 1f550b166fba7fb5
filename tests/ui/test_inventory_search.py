"""Searching the inventory list: best match first while there is text, and facet chips that narrow the list."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.workflow import Stage
from tests.factories import make_user, make_watch
from tests.ui.session import PATIENCE, eventually, open_as


def _table(user: User) -> ui.table:
    table = user.find(marker='inventory-table').elements.pop()
    assert isinstance(table, ui.table)
    return table


def _ids(user: User) -> set[int]:
    return {row['id'] for row in _table(user).rows}


def _stage_id(key: str) -> int:
    with session_scope() as session:
        return session.exec(select(Stage.id).where(Stage.key == key)).one()


def _chip_text(user: User, marker: str) -> str:
    chip = user.find(marker=marker).elements.pop()
    return ' '.join(label.text for label in chip if isinstance(label, ui.label))


async def test_a_search_from_the_header_lists_best_matches_first_with_facet_counts(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    subs = {make_watch('listed', brand='Rolex', model='Submariner') for _ in range(2)}
    subs.add(make_watch('intake', brand='Rolex', model='Submariner', condition_grade='B'))
    make_watch('intake', brand='Omega', model='Seamaster')
    await open_as(visitor, 'mia@example.com', '/watches?q=submariner', 'inventory-table')
    await eventually(lambda: _ids(visitor) == subs, 'the three Submariners')
    assert _table(visitor).pagination['sortBy'] == 'relevance'
    await visitor.should_see(marker='facets')
    await visitor.should_see(marker='facet-brand-Rolex', retries=PATIENCE)
    assert _chip_text(visitor, 'facet-brand-Rolex') == 'Rolex 3'
    assert _chip_text(visitor, f'facet-stage_id-{_stage_id("listed")}') == 'Listed 2'
    assert _chip_text(visitor, 'facet-condition_grade-B') == 'B 1'
    await visitor.should_not_see(marker='facet-brand-Omega')


async def test_a_facet_chip_narrows_the_list_and_a_second_click_widens_it_again(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    listed = {make_watch('listed', brand='Rolex', model='Submariner') for _ in range(2)}
    waiting = make_watch('intake', brand='Rolex', model='Submariner')
    await open_as(visitor, 'mia@example.com', '/watches?q=submariner', 'inventory-table')
    await eventually(lambda: len(_ids(visitor)) == 3, 'three Submariners')
    chip = f'facet-stage_id-{_stage_id("listed")}'
    await visitor.should_see(marker=chip, retries=PATIENCE)
    visitor.find(marker=chip).click()
    await eventually(lambda: _ids(visitor) == listed, 'only the listed ones')
    assert visitor.find(marker='filter-stage_ids').elements.pop().value == [_stage_id('listed')]
    await eventually(lambda: visitor.find(marker=chip).elements.pop().props.get('icon') == 'check', 'a ticked chip')
    visitor.find(marker=chip).click()
    await eventually(lambda: _ids(visitor) == {*listed, waiting}, 'all three again')
    assert visitor.find(marker='filter-stage_ids').elements.pop().value == []


async def test_typing_in_the_list_box_sorts_by_relevance_and_clearing_it_goes_back_to_newest(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    rolex = make_watch(brand='Rolex', model='Datejust')
    make_watch(brand='Omega', model='Seamaster')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory-table')
    await eventually(lambda: len(_ids(visitor)) == 2, 'both watches')
    await visitor.should_not_see(marker='facets')
    visitor.find(marker='filter-text').type('datejust')
    await eventually(lambda: _ids(visitor) == {rolex}, 'only the Datejust')
    assert _table(visitor).pagination['sortBy'] == 'relevance'
    await visitor.should_see(marker='facets')
    visitor.find(marker='filter-text').clear()
    await eventually(lambda: len(_ids(visitor)) == 2, 'both watches again')
    assert _table(visitor).pagination['sortBy'] == 'created_at'
    await visitor.should_not_see(marker='facets')


async def test_an_agent_counts_only_their_own_watches(visitor: User):
    agnes = make_user(Role.AGENT, email='agnes@example.com')
    mine = make_watch(brand='Rolex', model='Submariner', agent=agnes)
    make_watch(brand='Rolex', model='Submariner', agent=make_user(Role.AGENT))
    await open_as(visitor, 'agnes@example.com', '/watches?q=submariner', 'inventory-table')
    await eventually(lambda: _ids(visitor) == {mine}, 'only her own watch')
    await visitor.should_see(marker='facet-brand-Rolex', retries=PATIENCE)
    assert _chip_text(visitor, 'facet-brand-Rolex') == 'Rolex 1'
