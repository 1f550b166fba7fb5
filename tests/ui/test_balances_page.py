"""Balances on screen: everyone's list for finance, one person's account with its running balance, the advance and
payout dialog with inline refusals and a rate asked for when none is known, one's own balance, and live updates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from nicegui import ui
from nicegui.testing import User

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.ledger import FxRate
from services import balances, ledger
from tests.factories import make_user
from tests.ui.session import PATIENCE, eventually, location, open_as, press

DAY = date(2025, 3, 3)


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _rows(user: User, marker: str) -> list[dict]:
    return _element(user, marker).rows


def _commission(user_id: int, amount: str, day: date = DAY) -> None:
    with session_scope() as session:
        entry = ledger.Entry(type=TransactionType.AGENT_COMMISSION, amount=-Decimal(amount), currency='EUR',
                             value_date=day, user_id=user_id)  # fmt: skip
        ledger.post(session, entry, created_by_id=None)


async def test_finance_sees_everyones_balance_and_opens_one(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    anna = make_user(Role.AGENT, name='Anna Agent')
    make_user(Role.SELLER, name='Sven Seller')
    _commission(anna.id, '1250.50')
    await open_as(visitor, 'fay@example.com', '/finance/balances', 'balance-table')
    await eventually(lambda: [row['name'] for row in _rows(visitor, 'balance-table')] == ['Anna Agent', 'Sven Seller'],
                     'the agent and the seller by name')  # fmt: skip
    first = _rows(visitor, 'balance-table')[0]
    assert (first['commissions_text'], first['balance_text'], first['negative']) == (
        '1,250.50 EUR', '1,250.50 EUR', False)  # fmt: skip
    visitor.find(marker='balance-search').type('sven')
    await eventually(lambda: [row['name'] for row in _rows(visitor, 'balance-table')] == ['Sven Seller'], 'only Sven')
    visitor.find(marker='balance-table').trigger('open', {'id': anna.id})
    await eventually(lambda: location(visitor) == f'/finance/balances/{anna.id}', "Anna's account")


async def test_a_payout_is_checked_inline_refused_beyond_the_balance_and_booked_with_a_reason(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    anna = make_user(Role.AGENT, name='Anna Agent')
    _commission(anna.id, '100')
    await open_as(visitor, 'fay@example.com', f'/finance/balances/{anna.id}', 'balance-account')
    await visitor.should_see('100.00 EUR', marker='tile-balance-value', retries=PATIENCE)
    await eventually(lambda: [row['running_text'] for row in _rows(visitor, 'movement-table')] == ['100.00 EUR'],
                     'the commission with its running balance')  # fmt: skip
    visitor.find(marker='book-payout').click()
    await visitor.should_see(marker='payment-dialog', retries=PATIENCE)
    await press(visitor, 'payment-save')
    assert _element(visitor, 'payment-amount').error == 'Required.'
    visitor.find(marker='payment-amount').type('0')
    await press(visitor, 'payment-save')
    assert _element(visitor, 'payment-amount').error == 'enter an amount other than 0'
    visitor.find(marker='payment-amount').clear().type('150')
    await press(visitor, 'payment-save')
    assert _element(visitor, 'payment-amount').error == 'More than the 100.00 EUR owed.'
    _element(visitor, 'payment-overdraw').value = True
    await press(visitor, 'payment-save')
    assert _element(visitor, 'payment-memo').error == 'Say why it may exceed the balance.'
    visitor.find(marker='payment-memo').type('Advance on the Daytona')
    await press(visitor, 'payment-save')
    await visitor.should_see('-50.00 EUR', marker='tile-balance-value', retries=PATIENCE)
    await eventually(lambda: [row['running_text'] for row in _rows(visitor, 'movement-table')] == [
        '-50.00 EUR', '100.00 EUR'], 'the payout above the commission')  # fmt: skip
    assert balances.balance(anna, anna.id).payouts == Decimal('150.00')


async def test_an_advance_in_a_currency_without_a_rate_asks_for_one(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    anna = make_user(Role.AGENT, name='Anna Agent')
    with session_scope() as session:
        session.add(FxRate(rate_date=DAY, currency='SEK', rate=Decimal('11.00'), source='manual'))
    await open_as(visitor, 'ada@example.com', f'/finance/balances/{anna.id}', 'balance-account')
    visitor.find(marker='book-advance').click()
    await visitor.should_see(marker='payment-dialog', retries=PATIENCE)
    await visitor.should_not_see(marker='payment-fx-rate')  # until the service asks for it
    visitor.find(marker='payment-amount').type('10000')
    _element(visitor, 'payment-currency').value = 'SEK'
    visitor.find(marker='payment-value-date').clear().type('2024-01-10')
    await press(visitor, 'payment-save')
    assert _element(visitor, 'payment-fx-rate').error == 'Enter the SEK rate for this day.'
    visitor.find(marker='payment-fx-rate').type('12.5')
    await press(visitor, 'payment-save')
    await visitor.should_see('-800.00 EUR', marker='tile-balance-value', retries=PATIENCE)
    assert balances.balance(anna, anna.id).advances == Decimal('800.00')


async def test_an_agent_sees_their_own_balance_without_booking_and_not_the_list(visitor: User):
    anna = make_user(Role.AGENT, email='anna@example.com')
    _commission(anna.id, '40')
    await open_as(visitor, 'anna@example.com', '/my/balance', 'balance-account')
    await visitor.should_see('Owed to you', retries=PATIENCE)
    await visitor.should_see('40.00 EUR', marker='tile-balance-value')
    await visitor.should_see(marker='nav-my/balance')
    await visitor.should_not_see(marker='nav-finance/balances')
    await visitor.should_not_see(marker='book-payout')
    await visitor.should_not_see(marker='book-advance')
    await visitor.open('/finance/balances')
    await visitor.should_see(marker='forbidden', retries=PATIENCE)
    await visitor.should_see('You may not see the ledger.')


async def test_the_account_follows_bookings_made_elsewhere(visitor: User):
    finance = make_user(Role.FINANCE, email='fay@example.com')
    sven = make_user(Role.SELLER, name='Sven Seller')
    await open_as(visitor, 'fay@example.com', f'/finance/balances/{sven.id}', 'balance-account')
    await visitor.should_see('0.00 EUR', marker='tile-balance-value', retries=PATIENCE)
    balances.book_advance(finance, sven.id, '75', 'EUR', DAY, 'Float for the fair')
    await visitor.should_see('-75.00 EUR', marker='tile-balance-value', retries=PATIENCE)
    await eventually(lambda: [row['detail'] for row in _rows(visitor, 'movement-table')] == ['Float for the fair'],
                     'the advance in the movements')  # fmt: skip
