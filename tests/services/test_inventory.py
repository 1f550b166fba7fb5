"""The inventory list: every filter and sort on a small known stock, row scope, cost privacy, totals, presets."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import func, select

from db.accounts import User
from db.engine import session_scope
from db.enums import LocationKind, Role
from db.inventory import WatchImage
from db.places import Batch, Location
from db.system import AuditEntry
from db.workflow import Stage
from services import accounts, inventory, watch_order
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.permissions import Actor, Permission
from services.watch_filter import WatchFilter
from tests.factories import make_watch

_numbers = itertools.count(1)


@dataclasses.dataclass
class Stock:
    """Five live watches (w1..w5) and a deleted one, with the people and places they refer to."""

    manager: Actor
    agent1: Actor
    agent2: Actor
    seller: Actor
    office: int
    warehouse: int
    batch: int
    ids: dict[str, int]

    def names(self, ids: list[int]) -> set[str]:
        by_id = {value: key for key, value in self.ids.items()}
        return {by_id[watch_id] for watch_id in ids}


def person(role: Role) -> Actor:
    """A user without a password (argon2 would cost half a second each), as an actor."""
    with session_scope() as session:
        user = User(email=f'{role.value}{next(_numbers)}@example.com', name=f'{role.value.title()} {next(_numbers)}',
                    role=role)  # fmt: skip
        session.add(user)
        session.flush()
        user_id = user.id
    actor = accounts.load_actor(user_id)
    assert actor is not None
    return actor


def add_location(name: str, kind: LocationKind = LocationKind.OFFICE) -> int:
    with session_scope() as session:
        location = Location(name=name, kind=kind)
        session.add(location)
        session.flush()
        return location.id


def stage_id(key: str) -> int:
    with session_scope() as session:
        return session.exec(select(Stage.id).where(Stage.key == key)).one()


def audit_count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f'{day}T12:00:00').replace(tzinfo=UTC)


@pytest.fixture
def stock(db) -> Stock:
    return build_stock()


def build_stock() -> Stock:
    manager, agent1, agent2, seller = person(Role.MANAGER), person(Role.AGENT), person(Role.AGENT), person(Role.SELLER)
    office, warehouse = add_location('Office'), add_location('Årsta warehouse', LocationKind.WAREHOUSE)
    with session_scope() as session:
        batch = Batch(batch_number='B-2501-001', origin_id=office, destination_id=warehouse)
        session.add(batch)
        session.flush()
        batch_id = batch.id
    # fmt: off
    ids = {
        'w1': make_watch('intake', agent=agent1, brand='Rolex', model='Submariner', reference='16610 LV',
                         reference_norm='16610LV', condition_grade='B', location_id=office,
                         asking_price=Decimal('9000'), created_at=_at('2025-01-10'), image_count=2, year=2003,
                         cost='6000.00'),
        'w2': make_watch('listed', agent=agent1, brand='Rolex', model='GMT-Master II', reference='16710',
                         reference_norm='16710', condition_grade='C', location_id=warehouse, batch_id=batch_id,
                         asking_price=Decimal('12000'), created_at=_at('2025-02-10'), year=1999, cost='8000.00'),
        'w3': make_watch('listed', agent=agent2, brand='Omega', model='Speedmaster', reference='311.30.42.30.01.005',
                         reference_norm='31130423001005', condition_grade='A', location_id=office, batch_id=batch_id,
                         asking_price=Decimal('5000'), created_at=_at('2025-03-10'), image_count=1, year=2015,
                         cost='3000.50'),
        'w4': make_watch('delivered', agent=agent2, seller_id=seller.id, brand='Omega', model='Seamaster',
                         reference='2254.50', reference_norm='225450', condition_grade='B',
                         created_at=_at('2025-04-10'), year=1998, cost='1500.00'),
        'w5': make_watch('intake', brand='Tudor', model='Black Bay', reference='79230R', reference_norm='79230R',
                         condition_grade='D', location_id=warehouse, asking_price=Decimal('3000'),
                         created_at=_at('2025-05-10'), image_count=3, year=2018, cost=None),
        'gone': make_watch('intake', agent=agent1, brand='Rolex', model='Submariner', reference_norm='16610LV',
                           created_at=_at('2025-01-11'), deleted_at=_at('2025-06-01')),
    }
    # fmt: on
    return Stock(manager, agent1, agent2, seller, office, warehouse, batch_id, ids)


def _listed(actor: Actor, filters: dict | None = None, **options) -> list[int]:
    return [row.id for row in inventory.list_watches(actor, filters, **options).items]


# --- filters -----------------------------------------------------------------------------------------------------

CASES = [
    ({}, {'w1', 'w2', 'w3', 'w4', 'w5'}),
    ({'brands': ['Rolex']}, {'w1', 'w2'}),
    ({'brands': ['Rolex', 'Tudor']}, {'w1', 'w2', 'w5'}),
    ({'model': 'MASTER'}, {'w2', 'w3', 'w4'}),
    ({'model': 'sub'}, {'w1'}),
    ({'model': '%'}, set()),
    ({'reference': '16610-lv'}, {'w1'}),
    ({'reference': '16610 LV'}, {'w1'}),
    ({'reference': '1661'}, {'w1'}),
    ({'reference': '311.30'}, {'w3'}),
    ({'reference': '6610'}, set()),
    ({'condition_grades': ['B']}, {'w1', 'w4'}),
    ({'condition_grades': ['A', 'D']}, {'w3', 'w5'}),
    ({'price_min': '5000', 'price_max': '9000'}, {'w1', 'w3'}),
    ({'price_min': '9000.01'}, {'w2'}),
    ({'created_from': '2025-02-10', 'created_to': '2025-03-10'}, {'w2', 'w3'}),
    ({'created_to': '2025-01-10'}, {'w1'}),
    ({'has_photos': True}, {'w1', 'w3', 'w5'}),
    ({'has_photos': False}, {'w2', 'w4'}),
    ({'text': 'rolex'}, {'w1', 'w2'}),
    ({'text': '79230'}, {'w5'}),
    ({'text': '16610-L'}, {'w1'}),
    ({'text': 'Submariner'}, {'w1'}),
    ({'brands': ['Omega'], 'has_photos': True}, {'w3'}),
    ({'text': '  ', 'model': ''}, {'w1', 'w2', 'w3', 'w4', 'w5'}),
]


def test_each_filter_returns_exactly_the_matching_watches(stock):
    for filters, expected in CASES:
        page = inventory.list_watches(stock.manager, filters)
        assert stock.names([row.id for row in page.items]) == expected, filters
        assert page.total == len(expected), filters
        assert stock.names(inventory.ids_for(stock.manager, filters)) == expected, filters
        assert inventory.count_watches(stock.manager, filters) == len(expected), filters


def test_filters_by_the_ids_of_places_stages_batches_and_people(stock):
    cases = [
        ({'location_ids': [stock.office]}, {'w1', 'w3'}),
        ({'location_ids': [stock.office, stock.warehouse]}, {'w1', 'w2', 'w3', 'w5'}),
        ({'stage_ids': [stage_id('listed')]}, {'w2', 'w3'}),
        ({'stage_ids': [stage_id('intake'), stage_id('delivered')]}, {'w1', 'w4', 'w5'}),
        ({'batch_id': stock.batch}, {'w2', 'w3'}),
        ({'agent_id': stock.agent2.id}, {'w3', 'w4'}),
        ({'seller_id': stock.seller.id}, {'w4'}),
    ]
    for filters, expected in cases:
        assert stock.names(_listed(stock.manager, filters)) == expected, filters


def test_text_matches_a_sku_prefix(stock):
    sku = inventory.list_watches(stock.manager, {'brands': ['Tudor']}).items[0].sku
    assert stock.names(_listed(stock.manager, {'text': sku.lower()})) == {'w5'}
    assert set(_listed(stock.manager, {'text': sku[:3]})) == set(stock.ids.values()) - {stock.ids['gone']}


@pytest.mark.parametrize(
    'filters',
    [
        {'colour': 'blue'},
        {'condition_grades': ['Z']},
        {'price_min': '10', 'price_max': '5'},
        {'price_min': '-1'},
        {'price_min': '1.001'},
        {'created_from': '2025-02-01', 'created_to': '2025-01-01'},
        {'location_ids': ['office']},
    ],
)
def test_malformed_filters_are_refused_with_a_sentence(stock, filters):
    with pytest.raises(ValidationFailed) as refused:
        inventory.list_watches(stock.manager, filters)
    assert str(refused.value).startswith('The ')


# --- sorting -----------------------------------------------------------------------------------------------------


def _sort_key(row, sort: str, stage_positions: dict[int, int]):
    if sort == 'stage':
        return stage_positions[row.stage_id]
    return getattr(row, sort)


def test_every_sort_orders_the_rows_with_the_id_breaking_ties(stock):
    with session_scope() as session:
        positions = dict(session.exec(select(Stage.id, Stage.position)).all())
    for sort in [sort for sort in watch_order.SORTS if sort != 'relevance']:  # relevance needs search text
        for descending in (False, True):
            rows = inventory.list_watches(stock.manager, sort=sort, descending=descending).items
            keyed = [(_sort_key(row, sort, positions), row.id) for row in rows]
            present = [item for item in keyed if item[0] is not None]
            assert present == sorted(present, reverse=descending), (sort, descending)
            # rows without a value sort together at one end (which end is the database's own rule)
            blanks = [index for index, item in enumerate(keyed) if item[0] is None]
            ends = ([], list(range(len(blanks))), list(range(len(keyed) - len(blanks), len(keyed))))
            assert blanks in ends, (sort, descending)
            assert len(rows) == 5


def test_location_sorts_by_name_not_by_id(stock):
    names = [row.location for row in inventory.list_watches(stock.manager, sort='location', descending=False).items]
    assert [name for name in names if name] == ['Office', 'Office', 'Årsta warehouse', 'Årsta warehouse']


def test_stage_sorts_in_workflow_order_even_when_ids_disagree(stock):
    with session_scope() as session:
        session.get(Stage, stage_id('intake')).position = 999
    rows = inventory.list_watches(stock.manager, sort='stage', descending=False).items
    assert [row.stage for row in rows][-2:] == ['Intake', 'Intake']


@pytest.mark.parametrize(
    ('sort', 'ascending'),
    [
        ('location', ['w1', 'w3', 'w2', 'w5', 'w4']),  # Office, Årsta warehouse, then the one without a location
        ('stage', ['w1', 'w5', 'w2', 'w3', 'w4']),  # Intake, Listed, Delivered
    ],
)
def test_label_sorts_page_label_by_label_both_ways_on_every_database(stock, sort, ascending):
    by_id = {value: key for key, value in stock.ids.items()}
    for descending, expected in ((False, ascending), (True, ascending[::-1])):
        for limit in (1, 2, 3, 5):
            pages = [
                _listed(stock.manager, sort=sort, descending=descending, offset=o, limit=limit)
                for o in range(0, 6, limit)
            ]
            assert [by_id[i] for page in pages for i in page] == expected, (descending, limit)


def test_an_agent_pages_through_only_their_own_watches_by_label(stock):
    assert _listed(stock.agent1, sort='location', descending=False) == [stock.ids['w1'], stock.ids['w2']]
    assert _listed(stock.agent1, sort='location', descending=False, offset=1, limit=1) == [stock.ids['w2']]
    assert _listed(stock.agent2, sort='stage', descending=True, offset=1) == [stock.ids['w3']]
    assert _listed(stock.agent2, sort='stage', offset=2) == []


def test_pages_of_a_sort_with_ties_join_up_without_gaps_or_repeats(stock):
    paged = [i for offset in range(0, 6, 2) for i in _listed(stock.manager, sort='brand', offset=offset, limit=2)]
    assert paged == _listed(stock.manager, sort='brand')
    assert len(set(paged)) == 5


def test_an_unknown_sort_is_refused(stock):
    with pytest.raises(ValidationFailed, match='cannot be sorted by "serial"'):
        inventory.list_watches(stock.manager, sort='serial')


# --- rows, totals, scope -----------------------------------------------------------------------------------------


def test_a_row_carries_its_labels_and_primary_photo(stock):
    with session_scope() as session:
        images = [
            WatchImage(
                watch_id=stock.ids['w1'],
                position=index,
                is_primary=index == 1,
                checksum=f'c{index}',
                content_type='image/jpeg',
                width=10,
                height=10,
                size_bytes=1,
            )
            for index in range(2)
        ]
        session.add_all(images)
        session.flush()
        primary = images[1].id
    row = next(row for row in inventory.list_watches(stock.manager).items if row.id == stock.ids['w2'])
    assert (row.stage, row.location, row.batch, row.agent) == (
        'Listed',
        'Årsta warehouse',
        'B-2501-001',
        stock.agent1.name,
    )
    assert row.purchase_cost_base == Decimal('8000.00')
    first = next(row for row in inventory.list_watches(stock.manager).items if row.id == stock.ids['w1'])
    assert first.primary_photo_id == primary


def test_totals_are_exact_up_to_the_cap_and_flagged_beyond(stock, monkeypatch):
    page = inventory.list_watches(stock.manager, limit=2)
    assert (page.total, page.total_capped) == (5, False)
    assert inventory.list_watches(stock.manager, offset=4, limit=2).total == 5
    assert inventory.list_watches(stock.manager, offset=10, limit=2).total == 5
    monkeypatch.setattr(inventory, 'COUNT_CAP', 3)
    capped = inventory.list_watches(stock.manager, limit=2)
    assert (capped.total, capped.total_capped) == (3, True)
    assert inventory.count_watches(stock.manager) == 5


def test_an_agent_sees_only_their_own_watches_in_rows_totals_and_ids(stock):
    assert stock.names(_listed(stock.agent1)) == {'w1', 'w2'}
    assert inventory.list_watches(stock.agent1, limit=1).total == 2
    assert stock.names(inventory.ids_for(stock.agent1)) == {'w1', 'w2'}
    assert inventory.count_watches(stock.agent1, {'brands': ['Omega']}) == 0
    assert _listed(stock.agent1, {'agent_id': stock.agent2.id}) == []
    assert stock.names(_listed(stock.agent2, {'batch_id': stock.batch})) == {'w3'}


def test_a_seller_gets_no_cost_and_cannot_sort_by_it(stock):
    rows = inventory.list_watches(stock.seller).items
    assert len(rows) == 5
    assert all(row.purchase_cost_base is None for row in rows)
    with pytest.raises(PermissionDenied, match='purchase costs'):
        inventory.list_watches(stock.seller, sort='purchase_cost_base')


def test_ids_for_stops_at_the_limit(stock):
    assert len(inventory.ids_for(stock.manager, limit=3)) == 3


def test_a_role_without_inventory_access_is_refused(stock):
    nobody = dataclasses.replace(stock.manager, permissions=frozenset())
    for call in (inventory.list_watches, inventory.ids_for, inventory.count_watches, inventory.presets):
        with pytest.raises(PermissionDenied):
            call(nobody)


# --- presets and columns -----------------------------------------------------------------------------------------


def test_presets_round_trip_and_replace_by_name(stock):
    inventory.save_preset(stock.seller, '  Rolex  in stock ', {'brands': ['Rolex'], 'has_photos': True})
    inventory.save_preset(stock.seller, 'Cheap', WatchFilter(price_max=Decimal('5000')))
    inventory.save_preset(stock.seller, 'Cheap', {'price_max': '4000'})
    saved = inventory.presets(stock.seller)
    assert [preset.name for preset in saved] == ['Cheap', 'Rolex in stock']
    assert saved[0].filters == WatchFilter(price_max=Decimal('4000'))
    assert stock.names(_listed(stock.seller, saved[1].filters)) == {'w1'}
    assert inventory.presets(stock.manager) == []
    inventory.delete_preset(stock.seller, 'Cheap')
    assert [preset.name for preset in inventory.presets(stock.seller)] == ['Rolex in stock']
    with session_scope() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.actor_id == stock.seller.id)).all()
    assert actions.count('user.preference') == 4


@pytest.mark.parametrize(
    ('name', 'filters', 'error'),
    [('', {}, ValidationFailed), ('x' * 61, {}, ValidationFailed), ('Bad', {'grade': 'A'}, ValidationFailed)],
)
def test_bad_presets_are_refused_and_write_nothing(stock, name, filters, error):
    before = audit_count()
    with pytest.raises(error):
        inventory.save_preset(stock.seller, name, filters)
    assert inventory.presets(stock.seller) == []
    assert audit_count() == before


def test_deleting_a_missing_preset_says_so(stock):
    with pytest.raises(NotFound, match='no preset called "Nope"'):
        inventory.delete_preset(stock.seller, 'Nope')


def test_presets_are_limited_in_number(stock, monkeypatch):
    monkeypatch.setattr(inventory, 'MAX_PRESETS', 2)
    inventory.save_preset(stock.seller, 'a', {})
    inventory.save_preset(stock.seller, 'b', {})
    inventory.save_preset(stock.seller, 'b', {'model': 'x'})
    with pytest.raises(ValidationFailed, match='2 presets already'):
        inventory.save_preset(stock.seller, 'c', {})


def test_columns_round_trip_and_keep_other_preferences(stock):
    assert 'purchase_cost_base' not in inventory.columns(stock.seller)
    assert inventory.columns(stock.manager) == list(inventory.DEFAULT_COLUMNS)
    inventory.save_preset(stock.manager, 'Mine', {'brands': ['Omega']})
    assert inventory.set_columns(stock.manager, ['sku', 'purchase_cost_base', 'brand']) == [
        'sku', 'purchase_cost_base', 'brand']  # fmt: skip
    assert inventory.columns(stock.manager) == ['sku', 'purchase_cost_base', 'brand']
    assert [preset.name for preset in inventory.presets(stock.manager)] == ['Mine']


@pytest.mark.parametrize(
    ('names', 'error', 'message'),
    [
        ([], ValidationFailed, 'at least one'),
        (['sku', 'sku'], ValidationFailed, 'each once'),
        (['sku', 'colour'], ValidationFailed, 'no column "colour"'),
        (['sku', 'purchase_cost_base'], PermissionDenied, 'purchase_cost_base'),
    ],
)
def test_bad_column_choices_are_refused_and_write_nothing(stock, names, error, message):
    before = audit_count()
    with pytest.raises(error, match=message):
        inventory.set_columns(stock.seller, names)
    assert inventory.columns(stock.seller) == [c for c in inventory.DEFAULT_COLUMNS if c != 'purchase_cost_base']
    assert audit_count() == before


def test_a_role_that_loses_cost_access_loses_the_cost_column(stock):
    inventory.set_columns(stock.manager, ['sku', 'purchase_cost_base'])
    without = dataclasses.replace(stock.manager, permissions=stock.manager.permissions - {Permission.COST_VIEW})
    assert inventory.columns(without) == ['sku']


def test_the_column_chooser_offers_the_cost_column_only_with_cost_access(stock):
    assert inventory.available_columns(stock.manager) == inventory.COLUMNS
    without = dataclasses.replace(stock.manager, permissions=stock.manager.permissions - {Permission.COST_VIEW})
    assert 'purchase_cost_base' not in inventory.available_columns(without)
    assert len(inventory.available_columns(without)) == len(inventory.COLUMNS) - 1
