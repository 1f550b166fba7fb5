"""Reconciliation on screen: a statement uploaded and matched with its counts as tiles, a broken file refused with
its rows named, a new mapping checked inline, and a difference approved with a memo from the lines table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.ledger import Transaction
from db.reconciliation import StatementImport
from db.sales import Sale
from tests.factories import make_user, make_watch
from tests.finance import book
from tests.ui.session import PATIENCE, eventually, location, open_as, press

PATH = '/finance/reconciliation'
MARCH = (
    'Date;Amount;Currency;Reference;Text\n'
    '2026-03-12;850.00;EUR;CW-1001;Catawiki payout\n'
    '2026-03-12;500.00;EUR;CW-1002;Catawiki payout\n'
    '2026-03-13;99.00;EUR;XX-1;Interest\n'
)


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _sale(reference: str, price: str, fee: str) -> None:
    """A sale in force and its bookings, as the sales service would make them (net payout = price - fee)."""
    day = date(2026, 3, 10)
    watch_id = make_watch('sold')
    with session_scope() as session:
        sale = Sale(watch_id=watch_id, channel='catawiki', price=Decimal(price), currency='EUR', sold_on=day,
                    reference=reference)  # fmt: skip
        session.add(sale)
        session.flush()
        links = {'watch_id': watch_id, 'sale_id': sale.id, 'reference': reference}
    book(TransactionType.SALE, price, 'EUR', day, **links)
    book(TransactionType.PLATFORM_FEE, fee, 'EUR', day, **links)


async def _upload(user: User, name: str, text: str) -> None:
    element = _element(user, 'statement-upload')
    assert isinstance(element, ui.upload)
    await element.handle_uploads([SmallFileUpload(name, 'text/csv', text.encode())])


def _adjustments() -> list[Transaction]:
    with session_scope() as session:
        return list(session.exec(select(Transaction).where(Transaction.type == TransactionType.ADJUSTMENT)))


async def test_a_statement_is_matched_and_a_difference_approved(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    _sale('CW-1001', '1000.00', '150.00')
    _sale('CW-1002', '500.00', '20.00')
    await open_as(visitor, 'fay@example.com', PATH, 'statement-import')
    await visitor.should_see('Columns Date (date), Amount (amount), Currency (currency), Reference (reference)')
    await _upload(visitor, 'march.csv', MARCH)
    await visitor.should_see(marker='statement-detail', retries=PATIENCE)
    assert location(visitor).startswith(f'{PATH}/')
    for status, count in (('matched', '1'), ('mismatched', '1'), ('unmatched', '1'), ('approved', '0')):
        assert _element(visitor, f'count-{status}-value').text == count
    table = _element(visitor, 'line-table')
    await eventually(lambda: len(table.rows) == 3, 'the three lines')
    assert [(row['line_no'], row['status']) for row in table.rows] == [(2, 'matched'), (3, 'mismatched'),
                                                                      (4, 'unmatched')]  # fmt: skip
    visitor.find(marker='line-table').trigger('approve', table.rows[1])
    await visitor.should_see(marker='approve-dialog', retries=PATIENCE)
    assert _element(visitor, 'approve-expected').text == '480.00 EUR'
    assert _element(visitor, 'approve-difference').text == '20.00 EUR'
    await press(visitor, 'approve-save')
    assert _element(visitor, 'approve-memo').error == 'Required.'
    assert _adjustments() == []
    visitor.find(marker='approve-memo').type('Catawiki refunded part of its fee')
    await press(visitor, 'approve-save')
    await eventually(lambda: _element(visitor, 'count-approved-value').text == '1', 'the approved tile to count 1')
    (adjustment,) = _adjustments()
    assert (adjustment.amount, adjustment.memo) == (Decimal('20.00'), 'Catawiki refunded part of its fee')
    _element(visitor, 'line-status').value = 'approved'
    await eventually(lambda: [row['line_no'] for row in table.rows] == [3], 'only the approved line')


async def test_a_broken_statement_is_refused_with_its_rows(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', PATH, 'statement-import')
    await _upload(visitor, 'bad.csv', MARCH.replace('2026-03-13', '13.03.2026'))
    await visitor.should_see(marker='import-refused', retries=PATIENCE)
    await visitor.should_see('Line 4: "13.03.2026" is not a date written as 2026-03-31')
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(StatementImport)).one() == 0


async def test_a_new_mapping_is_checked_inline_and_offered(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', PATH, 'statement-import')
    visitor.find(marker='new-mapping').click()
    await visitor.should_see(marker='mapping-dialog', retries=PATIENCE)
    await press(visitor, 'mapping-save')
    assert _element(visitor, 'mapping-name').error == 'Required.'
    for marker, text in (('mapping-name', 'Nordbank'), ('mapping-date_column', 'Bokföringsdag'),
                         ('mapping-amount_column', 'Belopp'), ('mapping-reference_column', 'Referens'),
                         ('mapping-sample_date', '31.03.2026')):  # fmt: skip
        visitor.find(marker=marker).type(text)
    await press(visitor, 'mapping-save')
    assert _element(visitor, 'mapping-default_currency').error == 'Give a currency column or a default currency.'
    visitor.find(marker='mapping-default_currency').type('SEK')
    await press(visitor, 'mapping-save')
    assert _element(visitor, 'mapping-sample_date').error == 'Not a date written as 2026-03-31.'
    _element(visitor, 'mapping-date_format').value = '%d.%m.%Y'
    _element(visitor, 'mapping-decimal_separator').value = ','
    await press(visitor, 'mapping-save')
    await visitor.should_see('Mapping "Nordbank" saved.', retries=PATIENCE)
    assert _element(visitor, 'statement-mapping').options[_element(visitor, 'statement-mapping').value] == 'Nordbank'
    await visitor.should_see('dates as 31.03.2026; "," before the decimals; default currency SEK.')


async def test_other_roles_are_shown_a_refusal(visitor: User):
    make_user(Role.MANAGER, email='max@example.com')
    await open_as(visitor, 'max@example.com', PATH, 'forbidden')
    await visitor.should_see('You may not reconcile statements.')
