"""Search text in the inventory list, its counts, selections and exports, and the search service's own calls."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from db.engine import get_engine, session_scope
from db.enums import Role
from db.inventory import Watch
from services import inventory, search, spreadsheets, watches
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import Actor
from services.search.base import FACET_CAP, RELEVANCE
from tests.services.test_inventory import build_stock, stage_id

MANY = 2_100


@pytest.fixture
def stock(db):
    return build_stock()


def _now() -> datetime:
    return datetime.now(UTC)


def _names(stock, ids) -> list[str]:
    by_id = {value: key for key, value in stock.ids.items()}
    return [by_id[watch_id] for watch_id in ids]


def test_the_list_finds_by_text_best_match_first(stock):
    page = inventory.list_watches(stock.manager, {'text': 'submarnier'}, sort=RELEVANCE)
    assert _names(stock, [row.id for row in page.items]) == ['w1']
    assert (page.total, page.total_capped) == (1, False)
    rows = inventory.list_watches(stock.manager, {'text': 'omega'}, sort='year', descending=False).items
    assert _names(stock, [row.id for row in rows]) == ['w4', 'w3']


def test_relevance_without_text_is_the_usual_newest_first(stock):
    rows = inventory.list_watches(stock.manager, {}, sort=RELEVANCE).items
    assert _names(stock, [row.id for row in rows]) == ['w5', 'w4', 'w3', 'w2', 'w1']


def test_counts_selections_and_exports_use_the_same_text_match(stock):
    wanted = {'text': 'rolex', 'stage_ids': [stage_id('listed')]}
    assert inventory.count_watches(stock.manager, wanted) == 1
    assert _names(stock, inventory.ids_for(stock.manager, wanted)) == ['w2']
    _, data = spreadsheets.export_watches(stock.manager, filters={'text': '16610-lv'})
    lines = data.decode('utf-8-sig').splitlines()
    assert len(lines) == 2 and 'Submariner' in lines[1]


def test_an_agent_counts_only_their_own_matches(stock):
    assert inventory.count_watches(stock.agent2, {'text': 'rolex'}) == 0
    assert inventory.list_watches(stock.agent2, {'text': 'rolex'}).total == 0
    assert inventory.count_watches(stock.agent1, {'text': 'rolex'}) == 2
    assert search.search_ids(stock.agent2, 'omega').total == 2


def test_a_new_watch_is_found_the_moment_it_is_saved(stock):
    new = watches.create_watch(stock.manager, watches.parse_watch({'brand': 'Heuer', 'model': 'Monaco'}))
    assert search.search_ids(stock.manager, 'monaco').ids == [new.id]
    with session_scope() as session:
        session.get(Watch, new.id).model = 'Autavia'
    assert search.search_ids(stock.manager, 'monaco').ids == []
    assert search.search_ids(stock.manager, 'autavia').ids == [new.id]


def test_a_pasted_page_of_text_is_cut_not_refused(stock):
    page = inventory.list_watches(stock.manager, {'text': 'rolex ' + 'x' * 10_000})
    assert page.total == 0
    assert inventory.count_watches(stock.manager, {'text': '"; DROP TABLE watches; --'}) == 0
    assert inventory.count_watches(stock.manager, {}) == 5


def test_the_model_filter_finds_substrings_of_any_length(stock):
    for model, expected in (('aster', {'w2', 'w3', 'w4'}), ('MT', {'w2'}), ('"x', set()), ('Black Bay', {'w5'})):
        rows = inventory.list_watches(stock.manager, {'model': model}).items
        assert set(_names(stock, [row.id for row in rows])) == expected, model


def test_a_model_substring_in_thousands_of_watches_lists_as_its_brand_does(stock):
    """The trigram index (SQLite) or pg_trgm (PostgreSQL) answers for thousands of matches as a B-tree would."""
    with session_scope() as session:
        rows = [
            {'sku': f'BLP-{n:05d}', 'brand': 'Blancpain', 'model': 'Fifty Fathoms', 'stage_id': stage_id('intake'),
             'asking_price': Decimal(1000 + n * 37 % 500), 'image_count': n % 2}
            for n in range(MANY)
        ]  # fmt: skip
        session.execute(sa.insert(Watch), rows)
    for sort, descending in (('created_at', True), ('asking_price', False)):
        by_model = inventory.list_watches(stock.manager, {'model': 'fathom'}, sort=sort, descending=descending)
        by_brand = inventory.list_watches(stock.manager, {'brands': ['Blancpain']}, sort=sort, descending=descending)
        assert [row.id for row in by_model.items] == [row.id for row in by_brand.items], sort
        assert (by_model.total, by_model.total_capped) == (by_brand.total, by_brand.total_capped)
    photos = {'model': 'fathom', 'has_photos': True}
    assert inventory.count_watches(stock.manager, photos) == MANY // 2
    assert inventory.list_watches(stock.agent1, {'model': 'fathom'}).total == 0


def test_facets_of_more_matches_than_the_cap_are_counted_over_the_first_ones_and_say_so(stock):
    with session_scope() as session:
        rows = [
            {'sku': f'BLP-{n:05d}', 'brand': 'Blancpain', 'model': 'Fifty Fathoms', 'stage_id': stage_id('intake'),
             'image_count': 0}
            for n in range(FACET_CAP + 5)
        ]  # fmt: skip
        session.execute(sa.insert(Watch), rows)
    found = search.facet_counts(stock.manager, {'text': 'fathoms'})
    assert found.sampled
    assert [(chip.label, chip.count) for chip in found.groups['brand']] == [('Blancpain', FACET_CAP)]
    assert not search.facet_counts(stock.manager, {'text': 'rolex'}).sampled


def test_the_sqlite_index_holds_exactly_the_live_watches_through_edits_deletes_and_restores(stock):
    if get_engine().dialect.name != 'sqlite':
        pytest.skip("the FTS5 index is SQLite's; PostgreSQL generates each document with its row")
    with session_scope() as session:
        for name, model, deleted in (('w1', 'Sea-Dweller', None), ('w2', 'GMT', _now()), ('gone', 'Explorer', None)):
            watch = session.get(Watch, stock.ids[name])
            watch.model, watch.deleted_at = model, deleted
    with get_engine().begin() as connection:
        for table in ('search_fts', 'search_trigram'):
            connection.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
        indexed = connection.exec_driver_sql('SELECT count(*) FROM search_fts').scalar_one()
    assert indexed == inventory.count_watches(stock.manager, {}) == 5
    for text, expected in (('dweller', ['w1']), ('explorer', ['gone']), ('gmt', []), ('submariner', [])):
        assert _names(stock, search.search_ids(stock.manager, text).ids) == expected, text
    assert {*_names(stock, inventory.ids_for(stock.manager, {'text': 'rolex'}))} == {'w1', 'gone'}


def test_facet_counts_name_stages_and_locations(stock):
    found = search.facet_counts(stock.manager, {'text': 'rolex'})
    facets = found.groups
    assert not found.sampled
    assert [(chip.label, chip.count) for chip in facets['brand']] == [('Rolex', 2)]
    assert sorted((chip.label, chip.count) for chip in facets['stage_id']) == [('Intake', 1), ('Listed', 1)]
    assert sorted(chip.label for chip in facets['location_id']) == ['Office', 'Årsta warehouse']
    assert sorted(chip.value for chip in facets['condition_grade']) == ['B', 'C']
    everything = search.facet_counts(stock.manager, {}).groups
    assert sum(chip.count for chip in everything['brand']) == 5
    assert search.facet_counts(stock.agent2, {'text': 'rolex'}).groups['brand'] == []


def test_search_refuses_those_who_may_not_see_watches_and_bad_filters(stock):
    nobody = Actor(id=stock.manager.id, email='x@example.com', name='X', role=Role.SELLER)
    with pytest.raises(PermissionDenied):
        search.search_ids(nobody, 'rolex')
    with pytest.raises(PermissionDenied):
        search.facet_counts(nobody, {'text': 'rolex'})
    with pytest.raises(ValidationFailed):
        search.search_ids(stock.manager, 'rolex', {'condition_grades': ['Z']})
    with pytest.raises(ValidationFailed):
        search.search_ids(stock.manager, 'rolex', sort='colour')
