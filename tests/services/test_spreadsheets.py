"""Export: the selection or the filtered set, as CSV or XLSX, with costs and serials only for those who may see them."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from db.engine import session_scope
from db.inventory import Watch
from db.system import AuditEntry
from services import spreadsheets
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import Permission
from tests.services.test_inventory import Stock, audit_count, build_stock


@pytest.fixture
def stock(db) -> Stock:
    stock = build_stock()
    with session_scope() as session:
        session.get(Watch, stock.ids['w5']).serial = 'S123456'
        session.get(Watch, stock.ids['w3']).model = '=HYPERLINK("http://evil")'
    return stock


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b'\xef\xbb\xbf')
    return list(csv.DictReader(io.StringIO(data.decode('utf-8-sig'))))


def _xlsx(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data), read_only=True)['Watches']
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_a_selection_exports_as_csv_with_labels_and_costs(stock):
    name, data = spreadsheets.export_watches(stock.manager, ids=[stock.ids['w5'], stock.ids['w2'], stock.ids['gone']])
    assert name.startswith('watches-') and name.endswith('.csv')
    rows = _csv(data)
    assert [row['Brand'] for row in rows] == ['Rolex', 'Tudor']
    gmt = rows[0]
    assert (gmt['Model'], gmt['Stage'], gmt['Location'], gmt['Batch']) == (
        'GMT-Master II',
        'Listed',
        'Årsta warehouse',
        'B-2501-001',
    )
    assert (gmt['Purchase cost (base currency)'], gmt['Asking price'], gmt['Agent']) == (
        '8000.00',
        '12000.00',
        stock.agent1.name,
    )
    assert rows[1]['Serial'] == 'S123456'
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'watches.exported')).one()
    assert entry.after == {'format': 'csv', 'count': 2, 'selection': True}


def test_the_filtered_set_exports_as_xlsx_read_in_chunks(stock, monkeypatch):
    monkeypatch.setattr(spreadsheets, 'CHUNK', 2)
    name, data = spreadsheets.export_watches(stock.manager, filters={'brands': ['Rolex', 'Omega', 'Tudor']}, fmt='xlsx')
    assert name.endswith('.xlsx')
    rows = _xlsx(data)
    assert [row['Id'] for row in rows] == sorted(stock.ids[name] for name in ('w1', 'w2', 'w3', 'w4', 'w5'))
    speedmaster = next(row for row in rows if row['Id'] == stock.ids['w3'])
    assert speedmaster['Model'] == '=HYPERLINK("http://evil")'  # text, not a formula
    assert speedmaster['Purchase cost (base currency)'] == 3000.5
    assert speedmaster['Seller'] is None and speedmaster['Condition'] == 'A'
    seamaster = next(row for row in rows if row['Id'] == stock.ids['w4'])
    assert (seamaster['Seller'], seamaster['Location']) == (stock.seller.name, None)
    assert seamaster['Created (UTC)'].isoformat() == '2025-04-10T12:00:00'


def test_formula_like_text_is_quoted_in_csv(stock):
    rows = _csv(spreadsheets.export_watches(stock.manager, ids=[stock.ids['w3']])[1])
    assert rows[0]['Model'] == '\'=HYPERLINK("http://evil")'


def test_without_cost_and_serial_access_those_columns_are_left_out(stock):
    limited = dataclasses.replace(
        stock.manager, permissions=stock.manager.permissions - {Permission.COST_VIEW, Permission.SERIAL_VIEW}
    )
    for fmt, read in (('csv', _csv), ('xlsx', _xlsx)):
        rows = read(spreadsheets.export_watches(limited, fmt=fmt)[1])
        assert len(rows) == 5
        assert not {'Serial', 'Purchase cost', 'Purchase currency', 'Purchase cost (base currency)'} & set(rows[0])
        assert {'Asking price', 'Reserve price', 'Brand'} <= set(rows[0])


def test_an_agent_exports_only_their_own_watches(stock):
    agent = dataclasses.replace(stock.agent1, permissions=stock.agent1.permissions | {Permission.INVENTORY_EXPORT})
    rows = _csv(spreadsheets.export_watches(agent, ids=list(stock.ids.values()))[1])
    assert sorted(int(row['Id']) for row in rows) == [stock.ids['w1'], stock.ids['w2']]
    assert _csv(spreadsheets.export_watches(agent, filters={'brands': ['Omega']})[1]) == []


def test_roles_without_bulk_export_get_nothing_and_nothing_is_written(stock):
    before = audit_count()
    with pytest.raises(PermissionDenied, match='export lists of watches'):
        spreadsheets.export_watches(stock.agent1, ids=[stock.ids['w1']])
    assert audit_count() == before


def test_a_seller_exports_every_watch_but_never_a_purchase_cost(stock):
    rows = _csv(spreadsheets.export_watches(stock.seller, ids=[stock.ids['w1']])[1])
    assert len(rows) == 1 and not any('cost' in heading.lower() for heading in rows[0])


@pytest.mark.parametrize(
    ('options', 'message'),
    [
        ({'fmt': 'pdf'}, 'csv or xlsx'),
        ({'filters': {'grade': 'A'}}, 'grade'),
        ({'ids': list(range(100_001))}, 'at most'),
    ],
)
def test_bad_export_requests_are_refused(stock, options, message):
    before = audit_count()
    with pytest.raises(ValidationFailed, match=message):
        spreadsheets.export_watches(stock.manager, **options)
    assert audit_count() == before
