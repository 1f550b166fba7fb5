"""Commission statements: the lines and totals, who may see whose, and the PDF and CSV files."""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest

from db.enums import Role
from services import commissions, sales, statements
from services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch

DAY = date.today() - timedelta(days=2)
START, END = DAY - timedelta(days=30), date.today()


@pytest.fixture
def sold(db):
    """Two sales with agent (5 % in SEK) and seller (3 % in EUR) commissions, the second one reversed."""
    finance, agent, seller = make_user(Role.FINANCE), make_user(Role.AGENT, name='Åsa Agent'), make_user(Role.SELLER)
    for role, percent, currency in (('agent', '5', 'SEK'), ('seller', '3', 'EUR')):
        commissions.create_rule(finance, {'role': role, 'basis': 'sale_price', 'percent': percent,
                                          'currency': currency, 'valid_from': '2020-01-01'})  # fmt: skip
    ids = []
    for price in ('10000', '4000'):
        watch_id = make_watch('listed', agent=agent, seller_id=seller.id)
        sale = sales.record_sale(finance, watch_id, {'price': price, 'currency': 'SEK', 'channel': 'tradera',
                                                     'sold_on': DAY.isoformat(), 'fx_rate': '10'})  # fmt: skip
        ids.append(sale.id)
    sales.reverse_sale(finance, ids[1], 'Returned within 14 days')
    return {'finance': finance, 'agent': agent, 'seller': seller, 'manager': make_user(Role.MANAGER)}


def test_a_statement_lists_commissions_and_reversals_with_totals(sold):
    agent = sold['agent']
    data = statements.statement(agent, agent.id, START, END)
    assert [(line.kind, line.amount, line.currency, line.base_amount, line.channel) for line in data.lines] == [
        ('Agent commission', Decimal('500.00'), 'SEK', Decimal('50.00'), 'Tradera'),
        ('Agent commission', Decimal('200.00'), 'SEK', Decimal('20.00'), 'Tradera'),
        ('Agent commission reversed', Decimal('-200.00'), 'SEK', Decimal('-20.00'), 'Tradera'),
    ]
    assert data.lines[0].calculation == '5 % of 1,000.00 EUR sale price'
    assert (data.totals.base, data.totals.by_currency, data.totals.count) == (
        Decimal('50.00'),
        {'SEK': Decimal('500.00')},
        3,
    )
    page, totals = statements.statement_page(sold['finance'], agent.id, START, END, offset=1, limit=1, descending=True)
    assert (page.total, page.items[0].amount, totals == data.totals) == (3, Decimal('200.00'), True)
    assert statements.statement(agent, agent.id, START, DAY - timedelta(days=1)).lines == []


def test_people_see_only_their_own_statement_and_finance_sees_all(sold):
    agent, seller, manager, finance = sold['agent'], sold['seller'], sold['manager'], sold['finance']
    for own, other in ((agent, seller), (seller, agent)):
        assert statements.people(own) == {own.id: own.name}
        with pytest.raises(PermissionDenied, match='only your own'):
            statements.statement(own, other.id, START, END)
        with pytest.raises(PermissionDenied):
            statements.statement_pdf(own, other.id, START, END)
    with pytest.raises(PermissionDenied):
        statements.statement(manager, agent.id, START, END)
    with pytest.raises(PermissionDenied):
        statements.people(manager)
    assert {agent.id, seller.id} <= set(statements.people(finance))
    assert len(statements.statement(finance, seller.id, START, END).lines) == 3


def test_a_backwards_period_is_refused(sold):
    with pytest.raises(ValidationFailed) as refused:
        statements.statement(sold['agent'], sold['agent'].id, END, START)
    assert 'end' in refused.value.fields


def test_the_pdf_is_an_a4_statement_with_its_lines_and_page_numbers(sold):
    pdf = statements.statement_pdf(sold['finance'], sold['agent'].id, START, END)
    assert pdf.startswith(b'%PDF')
    assert b'/MediaBox [ 0 0 595.2756 841.8898 ]' in pdf  # A4
    text = b''.join(_streams(pdf)).decode('latin-1')
    for expected in ('Commission statement', 'Agent commission reversed', '500.00 SEK', '-200.00 SEK', 'Page 1 of 1'):
        assert expected in text
    assert '(\\305sa Agent \\(agent\\)' in text  # Å in WinAnsi, brackets escaped


def test_the_csv_parses_back_with_iso_dates_and_dot_decimals(sold):
    content = statements.statement_csv(sold['agent'], sold['agent'].id, START, END)
    assert content.startswith(b'\xef\xbb\xbf')
    rows = list(csv.DictReader(io.StringIO(content.decode('utf-8-sig'))))
    assert [(row['date'], row['amount'], row['base_amount'], row['currency']) for row in rows] == [
        (DAY.isoformat(), '500.00', '50.00', 'SEK'),
        (DAY.isoformat(), '200.00', '20.00', 'SEK'),
        (date.today().isoformat(), '-200.00', '-20.00', 'SEK'),  # the reversal is booked the day it is made
    ]
    assert rows[2]['reverses_id'] == rows[1]['transaction_id']


def _streams(pdf: bytes) -> list[bytes]:
    """The page content streams as plain text (reportlab writes them ASCII85-encoded and deflated)."""
    found = re.finditer(rb'/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)~>', pdf, re.S)
    return [zlib.decompress(base64.a85decode(match.group(1))) for match in found]
