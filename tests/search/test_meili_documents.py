"""The Meilisearch document mapping and filter builder, checked without a server (none can be installed here)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from db.enums import Role
from db.inventory import Watch
from services.permissions import DEFAULT_MATRIX, Actor
from services.search.base import FACETS, RELEVANCE
from services.search.meili import SETTINGS
from services.search.meili_documents import (
    SEARCHABLE,
    SORTS,
    Ranks,
    document,
    filter_string,
    quote,
    serial_condition,
    timestamp,
)
from services.watch_filter import WatchFilter

MANAGER = Actor(id=1, email='m@example.com', name='M', role=Role.MANAGER, permissions=DEFAULT_MATRIX[Role.MANAGER])
AGENT = Actor(id=7, email='a@example.com', name='A', role=Role.AGENT, permissions=DEFAULT_MATRIX[Role.AGENT])
RANKS = Ranks(stages={1: 10, 5: 50}, locations={3: 'Årsta warehouse'})


def _watch(**fields) -> Watch:
    values = {
        'id': 42, 'sku': 'SV-2505-0042', 'brand': 'Rolex', 'model': 'Submariner', 'reference': '16610 LV',
        'reference_norm': '16610LV', 'serial': 'w123456', 'stage_id': 5, 'location_id': 3,
        'asking_price': Decimal('12500.50'), 'purchase_cost_base': Decimal('8000.00'), 'image_count': 2,
        'created_at': datetime(2025, 5, 1, 12, 0, tzinfo=UTC), 'description': 'Kermit bezel', 'notes': 'Box worn',
    }  # fmt: skip
    return Watch(**(values | fields))


def test_a_document_carries_numbers_for_money_and_timestamps_for_times():
    doc = document(_watch(), RANKS)
    assert doc['id'] == 42 and doc['sku'] == 'SV-2505-0042'
    assert doc['asking_price'] == 12500.5 and isinstance(doc['asking_price'], float)
    assert doc['purchase_cost_base'] == 8000.0
    assert doc['created_at'] == 1746100800 and isinstance(doc['created_at'], int)
    assert (doc['stage_rank'], doc['location_name']) == (50, 'Årsta warehouse')
    assert (doc['description'], doc['notes']) == ('Kermit bezel', 'Box worn')


def test_a_document_stores_the_reference_three_ways_and_the_serial_upper_case():
    doc = document(_watch(), RANKS)
    assert (doc['reference'], doc['reference_norm'], doc['reference_parts']) == ('16610 LV', '16610LV', '16610 LV')
    assert document(_watch(reference='311.30.42.30.01.005'), RANKS)['reference_parts'] == '311 30 42 30 01 005'
    assert document(_watch(reference='16610-LV'), RANKS)['reference_parts'] == '16610 LV'
    assert doc['serial'] == 'W123456'


def test_missing_values_stay_empty_rather_than_zero():
    doc = document(_watch(reference=None, reference_norm=None, serial=None, asking_price=None, location_id=None), RANKS)
    assert doc['reference_parts'] is None and doc['serial'] is None
    assert doc['asking_price'] is None and doc['location_name'] is None


def test_a_time_without_a_zone_is_taken_as_utc():
    assert timestamp(datetime(2025, 5, 1, 12, 0)) == timestamp(datetime(2025, 5, 1, 12, 0, tzinfo=UTC))


def test_no_filter_for_someone_who_sees_everything_is_an_empty_string():
    assert filter_string(WatchFilter(), MANAGER) == ''


def test_an_agent_is_always_limited_to_their_own_watches():
    assert filter_string(WatchFilter(), AGENT) == 'agent_id = 7'
    assert filter_string(WatchFilter(brands=['Omega']), AGENT) == 'agent_id = 7 AND brand IN ["Omega"]'


def test_an_agent_without_an_id_sees_nothing():
    nobody = Actor(id=None, email='x@example.com', name='X', role=Role.AGENT, permissions=AGENT.permissions)
    assert filter_string(WatchFilter(), nobody) == 'agent_id = 0'


def test_quotes_and_backslashes_in_values_are_escaped():
    assert quote('Patek "Phil" \\ Co') == r'"Patek \"Phil\" \\ Co"'
    made = filter_string(WatchFilter(brands=['A "B"'], model='x" OR agent_id != 7'), MANAGER)
    assert made == r'brand IN ["A \"B\""] AND model CONTAINS "x\" OR agent_id != 7"'


def test_lists_become_in_lists_and_ids_stay_numbers():
    made = filter_string(WatchFilter(stage_ids=[1, 5], location_ids=[3], condition_grades=['A', 'B']), MANAGER)
    assert made == 'condition_grade IN ["A", "B"] AND location_id IN [3] AND stage_id IN [1, 5]'


def test_single_links_are_equalities():
    made = filter_string(WatchFilter(batch_id=4, agent_id=9, seller_id=11), MANAGER)
    assert made == 'batch_id = 4 AND agent_id = 9 AND seller_id = 11'


def test_price_ranges_are_inclusive_and_exact():
    made = filter_string(WatchFilter(price_min=Decimal('2000'), price_max=Decimal('5000.50')), MANAGER)
    assert made == 'asking_price >= 2000 AND asking_price <= 5000.50'


def test_dates_cover_whole_days_in_utc():
    made = filter_string(WatchFilter(created_from=date(2025, 5, 1), created_to=date(2025, 5, 31)), MANAGER)
    first, after_last = timestamp(datetime(2025, 5, 1, tzinfo=UTC)), timestamp(datetime(2025, 6, 1, tzinfo=UTC))
    assert made == f'created_at >= {first} AND created_at < {after_last}'


@pytest.mark.parametrize('typed', ['16610LV', '16610 LV', '16610-lv'])
def test_a_reference_filter_is_a_prefix_of_the_normalised_reference(typed: str):
    assert filter_string(WatchFilter(reference=typed), MANAGER) == 'reference_norm STARTS WITH "16610LV"'


def test_a_reference_of_punctuation_only_filters_nothing():
    assert filter_string(WatchFilter(reference='--'), MANAGER) == ''


def test_the_filter_text_is_left_to_the_query():
    assert filter_string(WatchFilter(text='submariner'), MANAGER) == ''


@pytest.mark.parametrize(('wanted', 'made'), [(True, 'image_count > 0'), (False, 'image_count = 0')])
def test_photos_or_none(wanted: bool, made: str):
    assert filter_string(WatchFilter(has_photos=wanted), MANAGER) == made


def test_every_filter_field_but_the_text_narrows_the_search():
    """A field added to the list's filter must not be silently ignored by Meilisearch."""
    samples = {'brands': ['x'], 'model': 'x', 'reference': 'x', 'condition_grades': ['A'],
               'location_ids': [1], 'stage_ids': [1], 'batch_id': 1, 'agent_id': 1, 'seller_id': 1,
               'price_min': Decimal(1), 'price_max': Decimal(1), 'created_from': date(2025, 1, 1),
               'created_to': date(2025, 1, 1), 'has_photos': True}  # fmt: skip
    assert set(samples) == set(WatchFilter.model_fields) - {'text'}
    for name, value in samples.items():
        assert filter_string(WatchFilter(**{name: value}), MANAGER), name


def test_a_serial_is_matched_exactly_in_upper_case():
    assert serial_condition(' w12"3 ') == r'serial = "W12\"3"'


def test_the_index_settings_name_only_attributes_the_documents_have():
    keys = set(document(_watch(), RANKS))
    assert set(SETTINGS['searchableAttributes']) <= keys
    assert set(SETTINGS['filterableAttributes']) <= keys
    assert set(SETTINGS['sortableAttributes']) <= keys
    assert set(FACETS) <= set(SETTINGS['filterableAttributes'])
    assert set(SETTINGS['typoTolerance']['disableOnAttributes']) <= set(SEARCHABLE)
    assert 'serial' not in SEARCHABLE  # serials match only exactly, and only for roles that may see them


def test_every_list_sort_has_a_sortable_attribute():
    from services.watch_order import SORTS as LIST_SORTS

    assert set(SORTS) == set(LIST_SORTS) - {RELEVANCE}  # relevance is the engine's own order
    assert set(SORTS.values()) <= set(SETTINGS['sortableAttributes'])
