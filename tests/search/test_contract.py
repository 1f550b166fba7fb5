"""One contract for every search backend: the same catalogue, the same questions, the same answers.

SQLite FTS5 always runs (on its own SQLite database when the run is on PostgreSQL); PostgreSQL runs when
SV_TEST_DATABASE_URL is set; Meilisearch runs only against a real server named by SV_TEST_MEILI_URL (and
SV_TEST_MEILI_KEY), and the run reports it as skipped otherwise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from config import get_settings
from db import engine as db_engine
from db.engine import session_scope
from db.enums import LocationKind, Role
from db.inventory import Watch
from db.places import Location
from db.workflow import Stage
from services import inventory, watch_order, watches
from services.permissions import Actor
from services.search.base import RELEVANCE, TOTAL_CAP, SearchBackend, SearchRequest, SearchResult
from services.watch_filter import WatchFilter
from tests import databases
from tests.factories import make_watch
from tests.services.test_inventory import person

PG_URL = os.environ.get('SV_TEST_DATABASE_URL', '')
# Well over the cap of totals: SQLite then reads a sorted page from the sort's index (services/search/sqlite.py).
COMMON_WORD = 2_100
MEILI_URL = os.environ.get('SV_TEST_MEILI_URL', '')


@dataclasses.dataclass
class Catalogue:
    """Seven live watches and a deleted one, the people who see them, and the backend under test."""

    backend: SearchBackend
    manager: Actor
    agent1: Actor
    agent2: Actor
    seller: Actor
    ids: dict[str, int]

    def result(self, text: str, actor: Actor | None = None, **options) -> SearchResult:
        with session_scope() as session:
            return self.backend.search(session, actor or self.manager, SearchRequest(text=text, **options))

    def find(self, text: str, actor: Actor | None = None, **options) -> list[str]:
        """The names of the matches, in the backend's order."""
        names = {value: key for key, value in self.ids.items()}
        return [names.get(watch_id, str(watch_id)) for watch_id in self.result(text, actor, **options).ids]

    def refresh(self, *names: str) -> None:
        with session_scope() as session:
            self.backend.index(session, [self.ids[name] for name in names])

    def add_many(self, count: int, agent: Actor | None = None, *, brand: str = 'Zenith', dearer: int = 0) -> None:
        """`count` El Primero watches of `brand` (Zenith by default) in one insert, every third one the agent's,
        with prices (from 1,000 plus `dearer`) and dates that vary."""
        with session_scope() as session:
            stage = session.exec(select(Stage.id).where(Stage.key == 'intake')).one()
            first = _at('2024-01-01')
            rows = [
                {'sku': f'{brand[:3].upper()}-{n:05d}', 'brand': brand, 'model': 'El Primero', 'stage_id': stage,
                 'image_count': 0, 'asking_price': Decimal(1000 + dearer + n * 37 % 500),
                 'created_at': first + timedelta(hours=n * 7919 % 9973),
                 'agent_id': agent.id if agent and n % 3 == 0 else None}
                for n in range(count)
            ]  # fmt: skip
            session.execute(sa.insert(Watch), rows)
            session.flush()
            self.backend.index(session, list(session.exec(select(Watch.id).where(Watch.brand == brand)).all()))


@pytest.fixture(params=['sqlite', 'postgres', 'meili'])
def catalogue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalogue]:
    name = request.param
    if name == 'postgres' and not PG_URL:
        pytest.skip('SV_TEST_DATABASE_URL not set: PostgreSQL backend not exercised')
    if name == 'meili' and not MEILI_URL:
        pytest.skip('SV_TEST_MEILI_URL not set: Meilisearch backend not exercised')
    if name == 'sqlite' and PG_URL:
        with own_sqlite(tmp_path):
            yield from _catalogue(name)
        return
    request.getfixturevalue('database_url')
    yield from _catalogue(name)


@dataclasses.dataclass(frozen=True)
class _Place:
    office: int
    warehouse: int


def _catalogue(name: str) -> Iterator[Catalogue]:
    from services import search

    manager, agent1, agent2, seller = person(Role.MANAGER), person(Role.AGENT), person(Role.AGENT), person(Role.SELLER)
    ids = _watches(agent1, agent2, _places())
    backend = _meili() if name == 'meili' else search.backend()
    assert backend.name == name
    if name == 'meili':
        with session_scope() as session:
            backend.rebuild(session)
    try:
        yield Catalogue(backend, manager, agent1, agent2, seller, ids)
    finally:
        if name == 'meili':
            backend.drop()


def _meili() -> SearchBackend:
    from services.search.meili import MeiliBackend

    return MeiliBackend(MEILI_URL, os.environ.get('SV_TEST_MEILI_KEY', ''), index_uid=f'test_{uuid.uuid4().hex}')


@contextlib.contextmanager
def own_sqlite(tmp_path: Path) -> Iterator[None]:
    """A migrated SQLite database of this test's own, installed as the process-wide engine."""
    url = databases.create_template('', tmp_path)
    os.environ['SV_DATABASE_URL'] = url
    get_settings.cache_clear()
    db_engine.use_engine(db_engine.make_engine(url))
    try:
        yield
    finally:
        db_engine.use_engine(None)
        os.environ.pop('SV_DATABASE_URL', None)
        get_settings.cache_clear()


def _places() -> _Place:
    with session_scope() as session:
        office = Location(name='Office', kind=LocationKind.OFFICE)
        warehouse = Location(name='Warehouse', kind=LocationKind.WAREHOUSE)
        session.add_all([office, warehouse])
        session.flush()
        return _Place(office.id, warehouse.id)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f'{day}T12:00:00').replace(tzinfo=UTC)


def _watches(agent1: Actor, agent2: Actor, places: _Place) -> dict[str, int]:
    office, warehouse = places.office, places.warehouse
    # fmt: off
    return {
        'sub': make_watch('intake', agent=agent1, brand='Rolex', model='Submariner', reference='16610 LV',
                          reference_norm='16610LV', serial='T123456', calibre='3135', condition_grade='B',
                          location_id=office, asking_price=Decimal('9000'), created_at=_at('2025-01-10'), year=2003),
        'gmt': make_watch('listed', agent=agent1, brand='Rolex', model='GMT-Master II', reference='16710',
                          reference_norm='16710', serial='U987654', calibre='3185', condition_grade='C',
                          location_id=warehouse, asking_price=Decimal('12000'), created_at=_at('2025-02-10'),
                          year=1999, notes='Oyster bracelet, stretched'),
        'datejust': make_watch('listed', agent=agent1, brand='Rolex', model='Datejust Oyster', reference='16234',
                               reference_norm='16234', calibre='3135', condition_grade='B', location_id=office,
                               asking_price=Decimal('6500'), created_at=_at('2025-02-20'), year=1995),
        'speedy': make_watch('listed', agent=agent2, brand='Omega', model='Speedmaster Professional',
                             reference='311.30.42.30.01.005', reference_norm='31130423001005', calibre='1861',
                             condition_grade='A', location_id=office, asking_price=Decimal('5000'),
                             created_at=_at('2025-03-10'), year=2015,
                             description='The Moonwatch, with a hesalite crystal.'),
        'seamaster': make_watch('delivered', agent=agent2, brand='Omega', model='Seamaster 300', reference='2254.50',
                                reference_norm='225450', calibre='1120', condition_grade='B',
                                created_at=_at('2025-04-10'), year=1998,
                                notes='Bracelet stretch consistent with age.'),
        'blackbay': make_watch('intake', brand='Tudor', model='Black Bay', reference='79230R', reference_norm='79230R',
                               calibre='MT5602', condition_grade='D', location_id=warehouse,
                               asking_price=Decimal('3000'), created_at=_at('2025-05-10'), year=2018,
                               description='Burgundy bezel and a riveted bracelet.'),
        'genève': make_watch('intake', brand='Patek Philippe', model='Calatrava Genève', reference='3919',
                             reference_norm='3919', calibre='215', condition_grade='A', location_id=office,
                             created_at=_at('2025-06-10'), year=1990),
        'gone': make_watch('intake', agent=agent1, brand='Rolex', model='Submariner', reference='16610 LV',
                           reference_norm='16610LV', created_at=_at('2025-01-11'), deleted_at=_at('2025-06-01')),
    }
    # fmt: on


def _stage(key: str) -> int:
    with session_scope() as session:
        return session.exec(select(Stage.id).where(Stage.key == key)).one()


# --- what it finds -----------------------------------------------------------------------------------------------


def test_one_word_finds_brand_and_model(catalogue):
    assert set(catalogue.find('submariner')) == {'sub'}
    assert set(catalogue.find('OMEGA')) == {'speedy', 'seamaster'}
    assert set(catalogue.find('rolex')) == {'sub', 'gmt', 'datejust'}


def test_two_words_must_both_match(catalogue):
    assert set(catalogue.find('rolex 3135')) == {'sub', 'datejust'}
    assert catalogue.find('omega 3135') == []


def test_the_last_word_matches_as_a_prefix_while_typing(catalogue):
    assert catalogue.find('speedm') == ['speedy']
    assert catalogue.find('rolex sub') == ['sub']
    assert set(catalogue.find('rol')) == {'sub', 'gmt', 'datejust'}


def test_a_typo_still_finds_the_watch(catalogue):
    assert catalogue.find('submarnier') == ['sub']
    assert catalogue.find('speedmastr') == ['speedy']
    assert catalogue.find('rolex submarnier') == ['sub']


def test_a_reference_matches_however_it_is_written(catalogue):
    for typed in ('16610LV', '16610 LV', '16610-LV', '16610lv', '16610'):
        assert catalogue.find(typed) == ['sub'], typed
    for typed in ('311.30.42', '3113042', '311.30.42.30.01.005'):
        assert catalogue.find(typed) == ['speedy'], typed


def test_a_sku_matches_exactly_and_by_its_start(catalogue):
    with session_scope() as session:
        sku = session.get(Watch, catalogue.ids['blackbay']).sku
    assert catalogue.find(sku) == ['blackbay']
    assert catalogue.find(sku.lower()) == ['blackbay']
    assert len(catalogue.find(sku[:3])) == 7  # every live watch shares the SKU's start


def test_a_serial_matches_only_exactly_and_only_for_roles_that_may_see_serials(catalogue):
    assert catalogue.find('T123456') == ['sub']
    assert catalogue.find('t123456') == ['sub']
    assert catalogue.find('T12345') == []
    assert catalogue.find('T123456', catalogue.seller) == []


def test_calibre_description_and_notes_are_searched(catalogue):
    assert catalogue.find('1861') == ['speedy']
    assert catalogue.find('hesalite') == ['speedy']
    assert catalogue.find('moonwatch') == ['speedy']
    assert set(catalogue.find('bracelet')) == {'gmt', 'seamaster', 'blackbay'}


def test_letters_beyond_ascii_are_words_too(catalogue):
    assert catalogue.find('genève') == ['genève']
    assert catalogue.find('calatrava gen') == ['genève']


# --- combined with the list --------------------------------------------------------------------------------------


def test_search_combines_with_every_filter(catalogue):
    listed = WatchFilter(stage_ids=[_stage('listed')])
    assert set(catalogue.find('rolex', filters=listed)) == {'gmt', 'datejust'}
    assert catalogue.find('rolex', filters=WatchFilter(condition_grades=['C'])) == ['gmt']
    assert catalogue.find('rolex', filters=WatchFilter(price_max=Decimal('7000'))) == ['datejust']
    assert catalogue.find('bracelet', filters=WatchFilter(brands=['Tudor', 'Omega'], has_photos=False)) in (
        ['seamaster', 'blackbay'],
        ['blackbay', 'seamaster'],
    )
    assert catalogue.find('omega', filters=WatchFilter(created_from=date(2025, 4, 1))) == ['seamaster']


def test_every_sort_orders_matches_as_the_list_orders_them(catalogue):
    rolex = WatchFilter(brands=['Rolex'])
    for sort in [sort for sort in watch_order.SORTS if sort != RELEVANCE]:
        for descending in (False, True):
            listed = inventory.list_watches(catalogue.manager, rolex, sort=sort, descending=descending)
            found = catalogue.result('rolex', sort=sort, descending=descending).ids
            assert found == [row.id for row in listed.items], (sort, descending)


def test_relevance_puts_identity_matches_first(catalogue):
    found = catalogue.find('oyster', sort=RELEVANCE)
    assert found == ['datejust', 'gmt']  # in the model beats in the notes
    with session_scope() as session:
        sku = session.get(Watch, catalogue.ids['seamaster']).sku
    assert catalogue.find(sku)[0] == 'seamaster'


def test_pages_follow_each_other_without_gaps(catalogue):
    whole = catalogue.find('rolex', sort='created_at')
    pages = [catalogue.find('rolex', sort='created_at', offset=offset, limit=2) for offset in (0, 2)]
    assert pages[0] + pages[1] == whole
    assert catalogue.result('rolex', sort='created_at', offset=2, limit=2).total == 3


def test_facets_count_the_matches(catalogue):
    facets = catalogue.result('rolex', facets=True).facets
    assert facets['brand'] == {'Rolex': 3}
    assert facets['condition_grade'] == {'B': 2, 'C': 1}
    assert facets['stage_id'] == {str(_stage('listed')): 2, str(_stage('intake')): 1}
    assert sum(facets['location_id'].values()) == 3


def test_totals_are_exact_up_to_the_cap(catalogue):
    catalogue.add_many(TOTAL_CAP + 5)
    capped = catalogue.result('zenith', limit=10)
    assert (capped.total, capped.capped, len(capped.ids)) == (TOTAL_CAP, True, 10)
    exact = catalogue.result('zenith', filters=WatchFilter(brands=['Zenith']), limit=2000)
    assert len(exact.ids) == TOTAL_CAP + 5 or exact.capped
    assert catalogue.result('rolex').total == 3
    assert catalogue.result('rolex').capped is False


def test_relevance_pages_follow_each_other_without_gaps(catalogue):
    for text, actor in (('rolex', catalogue.manager), ('oyster', catalogue.manager), ('rolex', catalogue.agent1)):
        whole = catalogue.find(text, actor)
        pages = [catalogue.find(text, actor, offset=offset, limit=1) for offset in range(len(whole) + 1)]
        assert [name for page in pages for name in page] == whole, text
        assert catalogue.result(text, actor, offset=1, limit=1).total == len(whole)


def test_relevance_pages_are_the_same_whether_the_newest_watches_hold_them_or_not(catalogue):
    """PostgreSQL looks for each relevance class's page among the newest watches first; how many it looks at
    must never change the answer."""
    if not hasattr(catalogue.backend, 'window'):
        pytest.skip(f'{catalogue.backend.name} reads each relevance class whole')
    catalogue.add_many(120, agent=catalogue.agent1)
    catalogue.add_many(60, brand='Tudor')
    asked = [('zenith', catalogue.manager), ('primero', catalogue.agent1), ('tudor', catalogue.manager),
             ('el pri', catalogue.manager), ('bracelet', catalogue.manager), ('rolex', catalogue.agent1)]  # fmt: skip
    pages = [(0, 50), (50, 50), (100, 50), (3, 7)]
    catalogue.backend.window = 1_000_000

    def answers() -> list[list[str]]:
        return [catalogue.find(text, actor, offset=offset, limit=limit)
                for text, actor in asked for offset, limit in pages]  # fmt: skip

    everything = answers()
    for window in (1, 30, 100):
        catalogue.backend.window = window
        assert answers() == everything, window
    assert [len(page) for page in everything[8:12]] == [50, 11, 0, 7]  # 60 new Tudors and the Black Bay


def test_relevance_keeps_to_filters_and_scope(catalogue):
    listed = WatchFilter(stage_ids=[_stage('listed')])
    assert catalogue.find('rolex', filters=listed) in (['gmt', 'datejust'], ['datejust', 'gmt'])
    assert catalogue.find('bracelet', catalogue.agent2) == ['seamaster']
    assert catalogue.find('16610', catalogue.agent1, filters=listed) == []
    assert catalogue.find('T123456', filters=WatchFilter(condition_grades=['B'])) == ['sub']


def test_a_word_in_thousands_of_watches_pages_and_sorts_as_the_list_does(catalogue):
    """So common a word that the databases read the list in its own order rather than match by match."""
    catalogue.add_many(COMMON_WORD, agent=catalogue.agent1)
    mine, few = WatchFilter(brands=['Zenith'], has_photos=False), WatchFilter(brands=['Zenith'], price_max=1100)
    for actor, filters in ((catalogue.manager, None), (catalogue.agent1, None), (catalogue.manager, few)):
        for sort, descending in (('created_at', True), ('asking_price', False), ('stage', False)):
            listed = inventory.list_watches(actor, filters or mine, sort=sort, descending=descending, offset=50)
            searched = filters or WatchFilter()
            found = catalogue.result('zenith', actor, filters=searched, sort=sort, descending=descending, offset=50)
            assert found.ids == [row.id for row in listed.items], (actor.role, filters, sort)
    best = catalogue.result('zenith', offset=40, limit=20)
    assert len(set(best.ids)) == 20 and (best.total, best.capped) == (TOTAL_CAP, True)
    assert catalogue.result('zenith', catalogue.agent2).ids == []


@pytest.mark.parametrize('walk', [2_000, 10], ids=['walk-first', 'bands'])
def test_words_clustered_in_price_page_by_price_as_the_list_does(catalogue, walk):
    """Each brand in its own price range, some unpriced, and fresh statistics. PostgreSQL looks for a page among
    the first watches in price order, then band by band of prices (the walk made short, so the bands are read):
    pages and totals (cheapest and dearest first, unpriced ones included) are the list's."""
    if hasattr(catalogue.backend, 'price_walk'):
        catalogue.backend.price_walk = walk
    elif walk != 2_000:
        pytest.skip(f'{catalogue.backend.name} reads a page by price one way')
    catalogue.add_many(COMMON_WORD // 2)
    catalogue.add_many(COMMON_WORD // 2, brand='Tudor', dearer=600)
    with session_scope() as session:
        session.execute(sa.update(Watch).where(Watch.brand == 'Tudor', Watch.id % 10 == 0).values(asking_price=None))
        if catalogue.backend.name != 'meili':
            session.execute(sa.text('ANALYZE watches'))
        else:
            catalogue.backend.index(session, list(session.exec(select(Watch.id).where(Watch.brand == 'Tudor'))))
    primero, tudor, dearer = WatchFilter(model='El Primero'), {'brands': ['Tudor']}, {'price_min': Decimal(1550)}
    # (words, the search's filters, the list's filters that select the same watches)
    asked = (('tudor', WatchFilter(), WatchFilter(**tudor)), ('primero', WatchFilter(), primero),
             ('primero', WatchFilter(**tudor), primero.model_copy(update=tudor)),
             ('primero', WatchFilter(**dearer), primero.model_copy(update=dearer)))  # fmt: skip
    capped = set()
    for text, filters, same in asked:
        for descending in (False, True):
            for offset in (0, 100, 700):  # the first band, past the unpriced ones, and far into the list
                options = {'sort': 'asking_price', 'descending': descending, 'offset': offset}
                listed = inventory.list_watches(catalogue.manager, same, **options)
                found = catalogue.result(text, filters=filters, **options)
                assert found.ids == [row.id for row in listed.items], (text, filters, options)
                assert (found.total, found.capped) == (listed.total, listed.total_capped), (text, filters, options)
                capped.add(found.capped)
    assert capped == {True, False}  # totals past the cap and exact ones


def test_a_common_word_among_brands_by_price_pages_as_the_list_does(catalogue):
    """Two brands whose prices overlap only in part, so the page mixes them where their prices interleave."""
    catalogue.add_many(COMMON_WORD // 2)
    catalogue.add_many(COMMON_WORD // 2, brand='Tudor', dearer=300)
    both = WatchFilter(brands=['Zenith', 'Tudor'], price_max=Decimal('1600'))
    for descending in (False, True):
        for offset in (0, 700):  # one end of the range, and where the two brands' prices interleave
            options = {'sort': 'asking_price', 'descending': descending, 'offset': offset}
            listed = inventory.list_watches(catalogue.manager, both, **options)
            found = catalogue.result('primero', filters=both, **options)
            assert found.ids == [row.id for row in listed.items], options
    assert {row.brand for row in listed.items} == {'Zenith', 'Tudor'}


def test_a_typo_is_corrected_to_a_word_added_since(catalogue):
    new = watches.create_watch(catalogue.manager, watches.parse_watch({'brand': 'Heuer', 'model': 'Autavia'}))
    with session_scope() as session:
        catalogue.backend.index(session, [new.id])
    assert catalogue.result('autavai').ids == [new.id]


# --- scope and changes -------------------------------------------------------------------------------------------


def test_an_agent_finds_and_counts_only_their_own_watches(catalogue):
    assert catalogue.find('rolex', catalogue.agent2) == []
    assert catalogue.result('rolex', catalogue.agent2, facets=True).total == 0
    assert set(catalogue.find('omega', catalogue.agent2)) == {'speedy', 'seamaster'}
    facets = catalogue.result('bracelet', catalogue.agent1, facets=True).facets
    assert facets['brand'] == {'Rolex': 1}
    assert catalogue.find('T123456', catalogue.agent2) == []


def test_changes_are_found_at_once_and_deleted_watches_never(catalogue):
    assert 'gone' not in catalogue.find('submariner')
    with session_scope() as session:
        session.get(Watch, catalogue.ids['blackbay']).model = 'Pelagos'
        session.get(Watch, catalogue.ids['speedy']).deleted_at = _at('2025-07-01')
    catalogue.refresh('blackbay', 'speedy')
    assert catalogue.find('pelagos') == ['blackbay']
    assert catalogue.find('black bay') == []
    assert catalogue.find('speedmaster') == []
    new = watches.create_watch(catalogue.manager, watches.parse_watch({'brand': 'Heuer', 'model': 'Carrera'}))
    with session_scope() as session:
        catalogue.backend.index(session, [new.id])
    assert catalogue.result('carrera').ids == [new.id]


def test_a_deleted_watch_leaves_every_answer_and_a_restored_one_returns(catalogue):
    for deleted_at in (_at('2025-07-01'), None):
        with session_scope() as session:
            session.get(Watch, catalogue.ids['speedy']).deleted_at = deleted_at
        catalogue.refresh('speedy')
        expected = [] if deleted_at else ['speedy']
        for text in ('speedmaster', 'speedmastr', 'moonwatch', '311.30.42'):
            assert catalogue.find(text) == expected, (text, deleted_at)
        assert catalogue.result('omega', facets=True).facets['brand'] == {'Omega': 1 + len(expected)}


def test_a_rebuild_reports_progress_and_leaves_search_answering(catalogue):
    reports: list[tuple[int, int]] = []
    with session_scope() as session:
        loaded = catalogue.backend.rebuild(session, lambda done, total: reports.append((done, total)))
    assert loaded >= 7
    assert reports and reports[-1][0] == reports[-1][1] >= 7
    assert catalogue.find('submariner') == ['sub']


# --- bad input -----------------------------------------------------------------------------------------------------

ODD = ['', '   ', '***', '"', '""', "'", '(', ')', ':', '^', '-', '+', '*"-:^()']


@pytest.mark.parametrize('text', ODD)
def test_text_without_searchable_words_finds_nothing_and_fails_nothing(catalogue, text):
    found = catalogue.result(text, facets=True)
    assert (found.ids, found.total, found.capped) == ([], 0, False)


def test_search_syntax_is_taken_as_plain_words(catalogue):
    assert set(catalogue.find('"rolex"')) == {'sub', 'gmt', 'datejust'}
    assert set(catalogue.find('rolex*')) == {'sub', 'gmt', 'datejust'}
    assert set(catalogue.find('-rolex')) == {'sub', 'gmt', 'datejust'}  # a minus is no exclusion
    assert catalogue.find('rolex OR omega') == []  # words, all of which must match
    assert catalogue.find('rolex NOT submariner') == []
    assert catalogue.find('NEAR(rolex submariner)') == []
    assert catalogue.find('sub:marine') == []


def test_sql_fragments_are_just_words(catalogue):
    for text in ("'; DROP TABLE watches; --", "rolex' OR '1'='1", 'rolex") OR 1=1 --', '%', '_', '\\'):
        assert catalogue.find(text) == [], text
    assert set(catalogue.find('rolex')) == {'sub', 'gmt', 'datejust'}


def test_a_pasted_page_of_text_is_cut_not_refused(catalogue):
    assert catalogue.find('submariner ' * 1000) == ['sub']
    assert catalogue.find('x' * 10_000) == []
