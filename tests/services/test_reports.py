"""Finance reports: P/L by month and quarter (stock costs counted when the watch sells), by dimension, stock value,
aged stock, that the sums match the ledger, the CSV and XLSX files, and who may read them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from db.engine import session_scope
from db.enums import LocationKind, Role
from db.ledger import Transaction
from db.places import Location
from services import report_export, reports
from services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch
from tests.finance import T, book, sek_watch, sell

D = Decimal
HALF = {'start': '2025-01-01', 'end': '2025-06-30'}


@pytest.fixture
def books(db):
    """Two watches sold (one bought in SEK, March; one in EUR, April), one unsold, and bookings without a watch."""
    ann, bob = make_user(Role.AGENT, name='Ann Agent'), make_user(Role.AGENT, name='Bob Agent')
    omega = sek_watch(agent=ann)
    rolex = make_watch('sold', agent=bob, brand='Rolex', model='Datejust', seller_id=make_user(Role.SELLER).id)
    book(T.PURCHASE, '3000', 'EUR', date(2025, 1, 20), watch_id=rolex)
    sale_id, _ = sell(rolex, '5000', 'EUR', date(2025, 4, 2), channel='tradera')
    book(T.PLATFORM_FEE, '400', 'EUR', date(2025, 4, 2), watch_id=rolex, sale_id=sale_id)
    unsold = make_watch('listed', cost='1000.00')
    book(T.PURCHASE, '1000', 'EUR', date(2025, 2, 1), watch_id=unsold)
    book(T.SHIPPING, '50', 'EUR', date(2025, 2, 10), memo='Courier to the watchmaker')
    book(T.ADVANCE, '200', 'EUR', date(2025, 2, 11), user_id=ann.id)
    return {'finance': make_user(Role.FINANCE), 'omega': omega.watch_id, 'rolex': rolex, 'unsold': unsold}


def _figures(rows: list[reports.PnlRow]) -> list[tuple]:
    return [(row.key, row.revenue, row.total_costs, row.gross_profit, row.margin, row.sold) for row in rows]


def test_months_count_stock_costs_when_the_watch_sells(books):
    rows = reports.pnl_over_time(books['finance'], HALF)
    assert _figures(rows) == [
        ('2025-01', D('0.00'), D('0.00'), D('0.00'), None, 0),
        ('2025-02', D('0.00'), D('50.00'), D('-50.00'), None, 0),
        ('2025-03', D('2000.00'), D('1453.02'), D('546.98'), D('27.35'), 1),
        ('2025-04', D('5000.00'), D('3400.00'), D('1600.00'), D('32.00'), 1),
        ('2025-05', D('0.00'), D('0.00'), D('0.00'), None, 0),
        ('2025-06', D('0.00'), D('0.00'), D('0.00'), None, 0),
    ]
    assert rows[2].label == 'Mar 2025'
    assert rows[2].costs == {
        'purchase': D('909.09'), 'service': D('133.93'), 'shipping': D('0.00'), 'platform_fees': D('250.00'),
        'commissions': D('160.00'), 'adjustments': D('0.00'),
    }  # fmt: skip
    assert _figures(reports.pnl_over_time(books['finance'], HALF, 'quarter')) == [
        ('2025-Q1', D('2000.00'), D('1503.02'), D('496.98'), D('24.85'), 1),
        ('2025-Q2', D('5000.00'), D('3400.00'), D('1600.00'), D('32.00'), 1),
    ]


def test_the_sums_match_the_ledger(books):
    profit = sum((row.gross_profit for row in reports.pnl_over_time(books['finance'], HALF)), D(0))
    with session_scope() as session:
        booked = session.execute(
            sa.select(sa.func.sum(Transaction.base_amount)).where(
                Transaction.type.not_in([T.ADVANCE, T.PAYOUT]),
                sa.or_(Transaction.watch_id.is_(None), Transaction.watch_id != books['unsold']),
            )
        ).scalar_one()
    assert profit == booked == D('2096.98')
    for dimension in reports.DIMENSIONS:
        rows = reports.pnl_by(books['finance'], HALF, dimension)
        assert sum((row.gross_profit for row in rows), D(0)) == booked, dimension
        assert sum(row.sold for row in rows) == 2


def test_by_dimension_largest_revenue_first(books):
    finance = books['finance']
    by_brand = reports.pnl_by(finance, HALF, 'brand')
    assert [(row.label, row.revenue, row.gross_profit, row.sold) for row in by_brand] == [
        ('Rolex', D('5000.00'), D('1600.00'), 1), ('Omega', D('2000.00'), D('546.98'), 1),
        ('Not set', D('0.00'), D('-50.00'), 0)]  # fmt: skip
    assert [row.label for row in reports.pnl_by(finance, HALF, 'agent')] == ['Bob Agent', 'Ann Agent', 'Not set']
    assert [(row.key, row.gross_profit) for row in reports.pnl_by(finance, HALF, 'channel')] == [
        ('tradera', D('1600.00')), ('catawiki', D('546.98')), ('None', D('-50.00'))]  # fmt: skip
    march = {'start': '2025-03-01', 'end': '2025-03-31'}
    assert [row.label for row in reports.pnl_by(finance, march, 'seller')] == ['Not set']


def test_stock_value_and_aged_stock_cover_watches_in_stock_only(books):
    with session_scope() as session:
        office = Location(name='Office', kind=LocationKind.OFFICE)
        session.add(office)
        session.flush()
        office_id = office.id
    old = date.today() - timedelta(days=200)
    make_watch('intake', cost='500.00', location_id=office_id, purchased_on=old)
    finance = books['finance']
    assert [(r.key, r.label, r.count, r.value) for r in reports.stock_value(finance, 'stage')] == [
        ('intake', 'Intake', 1, D('500.00')), ('listed', 'Listed', 1, D('1000.00'))]  # fmt: skip
    assert [(r.label, r.count, r.value) for r in reports.stock_value(finance, 'location')] == [
        ('Office', 1, D('500.00')), ('No location', 1, D('1000.00'))]  # fmt: skip
    assert [(r.key, r.count, r.value) for r in reports.aged_stock(finance)] == [
        ('0-30', 1, D('1000.00')), ('31-90', 0, D('0.00')), ('91-180', 0, D('0.00')), ('181-365', 1, D('500.00')),
        ('365+', 0, D('0.00'))]  # fmt: skip


def test_a_table_downloads_as_csv_and_as_xlsx_with_numbers(books):
    name, data = report_export.export_table(books['finance'], HALF, 'months', 'csv')
    assert name == 'months-2025-01-01-2025-06-30.csv'
    lines = list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))
    assert lines[0][:3] == ['Month', 'Revenue', 'Purchase'] and lines[0][-3:] == [
        'Gross profit',
        'Margin %',
        'Watches sold',
    ]
    assert lines[3][:3] == ['Mar 2025', '2000.00', '909.09'] and lines[3][-3:] == ['546.98', '27.35', '1']
    _, data = report_export.export_table(books['finance'], HALF, 'by-brand', 'xlsx')
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == 'Profit and loss by brand'
    assert [cell.value for cell in sheet[2]][:2] == ['Rolex', 5000]
    revenue = sheet['B2']
    assert revenue.data_type == 'n' and revenue.number_format == '#,##0.00 "EUR";-#,##0.00 "EUR"'
    assert sheet['K2'].number_format == '0.00"%"' and sheet['K2'].value == 32


def test_bad_periods_dimensions_and_formats_are_refused(books):
    finance = books['finance']
    with pytest.raises(ValidationFailed, match='the period ends before it starts'):
        reports.pnl_over_time(finance, {'start': '2025-02-01', 'end': '2025-01-01'})
    with pytest.raises(ValidationFailed, match='at most 10 years'):
        reports.pnl_over_time(finance, {'start': '2000-01-01', 'end': '2025-01-01'})
    with pytest.raises(ValidationFailed, match='"colour" is not a dimension'):
        reports.pnl_by(finance, HALF, 'colour')
    with pytest.raises(ValidationFailed, match='not "pdf"'):
        report_export.export_table(finance, HALF, 'months', 'pdf')
    with pytest.raises(ValidationFailed, match='"profits" is not a table'):
        report_export.export_table(finance, HALF, 'profits', 'csv')


@pytest.mark.parametrize('role', [Role.AGENT, Role.SELLER])
def test_only_roles_with_reports_read_them(books, role):
    actor = make_user(role)
    for read in (lambda: reports.pnl_over_time(actor, HALF), lambda: reports.pnl_by(actor, HALF, 'brand'),
                 lambda: reports.stock_value(actor, 'stage'), lambda: reports.aged_stock(actor),
                 lambda: report_export.export_table(actor, HALF, 'months', 'csv')):  # fmt: skip
        with pytest.raises(PermissionDenied, match='may not see reports'):
            read()
    assert reports.pnl_over_time(make_user(Role.MANAGER), HALF)[3].gross_profit == D('1600.00')
