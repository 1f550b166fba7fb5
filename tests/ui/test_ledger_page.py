"""The ledger screen: open to finance and refused to an agent, paged and filtered on the server, booking through the
dialog (inline errors, the rate asked for by hand), reversing through a row's menu, and the chain verified."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing import User

from db.enums import Role, TransactionType
from services import bookings
from tests.factories import make_user, make_watch
from tests.finance import book, rate
from tests.services.test_ledger_verify import seed_ledger, tamper
from tests.ui.session import PATIENCE, eventually, open_as, press

T = TransactionType
DAY = date(2025, 3, 3)


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _ids(user: User) -> list[int]:
    return [row['id'] for row in _element(user, 'ledger-table').rows]


async def test_finance_sees_the_ledger_newest_first_and_filters_it(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    watch_id = make_watch()
    purchase = book(T.PURCHASE, '900', 'EUR', DAY, watch_id=watch_id, reference='PO-1')
    fee = book(T.PLATFORM_FEE, '50', 'EUR', DAY)
    await open_as(visitor, 'fay@example.com', '/finance/ledger', 'ledger-table')
    await eventually(lambda: _ids(visitor) == [fee, purchase], 'both bookings, newest first')
    (row,) = [row for row in _element(visitor, 'ledger-table').rows if row['id'] == purchase]
    assert (row['type_label'], row['amount_text'], row['base_text'], row['watch_id']) == (
        'Purchase', '-900.00 EUR', '-900.00 EUR', watch_id)  # fmt: skip
    _element(visitor, 'ledger-filter-types').value = ['platform_fee']
    await eventually(lambda: _ids(visitor) == [fee], 'only the fee')
    _element(visitor, 'ledger-filter-types').value = []
    visitor.find(marker='ledger-filter-reference').type('PO')
    await eventually(lambda: _ids(visitor) == [purchase], 'only the purchase by its reference')


async def test_an_agent_is_refused_the_ledger(visitor: User):
    make_user(Role.AGENT, email='abe@example.com')
    await open_as(visitor, 'abe@example.com', '/finance/ledger', 'forbidden')
    with visitor.scope(marker='nav'):
        await visitor.should_not_see('Ledger')


async def test_a_booking_through_the_dialog_checks_inline_and_asks_for_a_missing_rate(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', '/finance/ledger', 'ledger-table')
    visitor.find(marker='book').click()
    await visitor.should_see(marker='booking-dialog', retries=PATIENCE)
    await press(visitor, 'booking-save')
    assert _element(visitor, 'booking-amount').error == 'Required.'
    visitor.find(marker='booking-amount').type('0')
    await press(visitor, 'booking-save')
    assert _element(visitor, 'booking-amount').error == 'enter an amount other than 0'
    visitor.find(marker='booking-amount').clear().type('120')
    visitor.find(marker='booking-watch-id').type('NO-SUCH-SKU')
    await press(visitor, 'booking-save')
    assert _element(visitor, 'booking-watch-id').error == 'Unknown SKU.'
    visitor.find(marker='booking-watch-id').clear()
    _element(visitor, 'booking-type').value = 'shipping'
    _element(visitor, 'booking-currency').value = 'USD'
    await visitor.should_not_see(marker='booking-fx-rate')
    await press(visitor, 'booking-save')
    rate_field = _element(visitor, 'booking-fx-rate')
    assert rate_field.visible and rate_field.error == 'Enter the USD rate for this day.'
    visitor.find(marker='booking-fx-rate').type('1.25')
    await press(visitor, 'booking-save')
    await visitor.should_see('Shipping of 120.00 USD booked', retries=PATIENCE)
    await eventually(lambda: len(_ids(visitor)) == 1, 'the booking in the list')
    (row,) = _element(visitor, 'ledger-table').rows
    assert (row['amount_text'], row['base_text']) == ('-120.00 USD', '-96.00 EUR')


async def test_a_row_is_reversed_through_its_menu_with_a_reason(visitor: User):
    fay = make_user(Role.FINANCE, email='fay@example.com')
    rate('SEK', DAY, '11.50')
    row = bookings.book(fay, {'type': 'service', 'amount': '1500', 'currency': 'SEK', 'value_date': DAY})
    await open_as(visitor, 'fay@example.com', '/finance/ledger', 'ledger-table')
    await eventually(lambda: _ids(visitor) == [row.id], 'the booking')
    (shown,) = _element(visitor, 'ledger-table').rows
    assert shown['reversible']
    visitor.find(marker='ledger-table').trigger('reverse', shown)
    await visitor.should_see(marker='reverse-dialog', retries=PATIENCE)
    visitor.find(marker='reverse-reason').type('no')
    await press(visitor, 'reverse-save')
    assert 'at least 3 characters' in _element(visitor, 'reverse-reason').error
    visitor.find(marker='reverse-reason').clear().type('Booked on the wrong watch')
    await press(visitor, 'reverse-save')
    await visitor.should_see(f'Transaction {row.id} reversed by transaction', retries=PATIENCE)
    await eventually(lambda: len(_ids(visitor)) == 2, 'the reversal in the list')
    undone, original = _element(visitor, 'ledger-table').rows
    assert (undone['type_label'], undone['amount_text'], undone['reverses_id']) == (
        'Reversal', '1,500.00 SEK', row.id)  # fmt: skip
    assert (original['reversed_by_id'], original['reversible']) == (undone['id'], False)


async def test_an_admin_verifies_the_chain_and_is_shown_the_broken_row(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    ids = seed_ledger(4)
    await open_as(visitor, 'ada@example.com', '/finance/ledger', 'ledger-table')
    visitor.find(marker='verify-chain').click()
    await visitor.should_see('Ledger intact: 4 rows.', retries=PATIENCE)
    tamper(f'UPDATE transactions SET amount = amount + 1 WHERE id = {ids[1]}')
    visitor.find(marker='verify-chain').click()
    await visitor.should_see(f'Ledger broken at row {ids[1]}: its content does not match its hash.', retries=PATIENCE)
    visitor.find(marker='verify-show').click()
    await eventually(lambda: _ids(visitor) == [ids[1], ids[0]], 'the list from the broken row down')


async def test_finance_has_no_verify_button(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', '/finance/ledger', 'ledger-table')
    await visitor.should_not_see(marker='verify-chain')
    await visitor.should_see(marker='book')
