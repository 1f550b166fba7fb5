"""The curated reference table: big enough, consistent, and found however a reference is typed."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services import reference
from services.reference import ReferenceTable, by_reference, normalise_reference


def test_the_table_covers_enough_brands_and_models():
    table = reference.table()
    assert len(table.brands) >= 25
    assert len(table.models) >= 150
    assert {'Rolex', 'Omega', 'Patek Philippe', 'Audemars Piguet', 'Heuer', 'Seiko'} <= {b.name for b in table.brands}


def test_every_model_is_sane_and_its_reference_unique_once_normalised():
    models = reference.table().models
    norms = [model.reference_norm for model in models]
    assert len(set(norms)) == len(norms)
    for model in models:
        assert 1900 <= model.year_from <= model.year_to <= date.today().year, model.reference
        assert 0 < model.price_low_eur < model.price_high_eur, model.reference
        assert 15 <= model.diameter_mm <= 60, model.reference
        assert model.dials, model.reference


def test_brands_say_where_and_when_they_come_from():
    for brand in reference.brands():
        assert len(brand.country) == 2 and 1700 < brand.founded < 2000
        assert brand.background.endswith('.')
        assert reference.models(brand.name), f'{brand.name} has no models'


@pytest.mark.parametrize('typed', ['16610LV', '16610 LV', '16610-LV', '16610lv', ' 16610.lv '])
def test_a_reference_is_found_however_it_is_typed(typed):
    model = by_reference(typed)
    assert model is not None
    assert (model.brand, model.model, model.calibre) == ('Rolex', 'Submariner Date', 'Rolex 3135')


def test_long_and_unknown_references():
    assert by_reference('311 30 42 30 01 005').model == 'Speedmaster Professional Moonwatch'
    assert by_reference('145022').calibre == 'Omega 861'
    assert by_reference('3700/1a').brand == 'Patek Philippe'
    assert by_reference('no such reference') is None
    assert normalise_reference(' 5513 -.x ') == '5513X'


def test_models_of_a_brand_ignore_case_and_an_unknown_brand_has_none():
    assert {m.reference for m in reference.models('heuer')} >= {'2447', '1133'}
    assert reference.models('Not A Brand') == []


def test_the_table_refuses_colliding_references_and_unknown_brands():
    brand = reference.brands()[0].model_dump()
    model = reference.by_reference('16610').model_dump()
    twin = {**model, 'reference': '166-10'}
    with pytest.raises(ValidationError, match='same once normalised'):
        ReferenceTable.model_validate({'brands': [brand], 'models': [model, twin]})
    with pytest.raises(ValidationError, match='unknown brand'):
        ReferenceTable.model_validate({'brands': [brand], 'models': [{**model, 'brand': 'Nobody'}]})
    with pytest.raises(ValidationError, match='price_low_eur must be below'):
        ReferenceTable.model_validate({'brands': [brand], 'models': [{**model, 'price_low_eur': 99999}]})
