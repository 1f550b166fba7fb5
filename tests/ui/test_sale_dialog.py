"""Recording and reversing a sale on the watch's page: the dialog's inline errors, the rate asked for, the card."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.ledger import Transaction
from services import sales
from tests.factories import make_user, make_watch
from tests.ui.session import PATIENCE, eventually, open_as, press


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _types(watch_id: int) -> list[TransactionType]:
    with session_scope() as session:
        return list(
            session.exec(select(Transaction.type).where(Transaction.watch_id == watch_id).order_by(Transaction.id))
        )


async def test_a_sale_is_recorded_through_the_dialog_asking_for_a_missing_rate(visitor: User):
    make_user(Role.FINANCE, email='fia@example.com')
    watch_id = make_watch('listed')
    await open_as(visitor, 'fia@example.com', f'/watches/{watch_id}', 'watch-detail')
    visitor.find(marker='record-sale').click()
    await visitor.should_see(marker='sale-dialog', retries=PATIENCE)
    await visitor.should_not_see(marker='sale-rate')  # asked for only when no rate is known
    await press(visitor, 'sale-save')
    assert _element(visitor, 'sale-price').error == 'Required.'

    _element(visitor, 'sale-price').value = 2500
    _element(visitor, 'sale-currency').value = 'USD'
    _element(visitor, 'sale-fee').value = 250.5
    _element(visitor, 'sale-reference').value = 'CW-1'
    await press(visitor, 'sale-save')
    assert _element(visitor, 'sale-rate').error == 'Enter the USD rate for this day.'
    assert _types(watch_id) == []

    _element(visitor, 'sale-rate').value = 1.25
    await press(visitor, 'sale-save')
    await visitor.should_see(marker='sale-card', retries=PATIENCE)
    await visitor.should_see('2,500.00 USD', marker='sale-price-shown')
    await visitor.should_see('Sold', marker='stage', retries=PATIENCE)
    await visitor.should_not_see(marker='record-sale')  # one sale in force at a time
    assert _types(watch_id) == [TransactionType.SALE, TransactionType.PLATFORM_FEE]
    sale = sales.sale_in_force(make_user(Role.FINANCE), watch_id)
    assert (sale.price, sale.reference, sale.bookings[1].amount) == (2500, 'CW-1', -250.5)


async def test_a_sale_is_reversed_with_a_reason(visitor: User):
    finance = make_user(Role.FINANCE, email='fia@example.com')
    watch_id = make_watch('listed')
    sales.record_sale(finance, watch_id, {'price': '900', 'currency': 'EUR', 'channel': 'direct',
                                          'sold_on': date.today().isoformat()})  # fmt: skip
    await open_as(visitor, 'fia@example.com', f'/watches/{watch_id}', 'sale-card')
    await visitor.should_not_see(marker='record-sale')
    visitor.find(marker='reverse-sale').click()
    await visitor.should_see(marker='reverse-dialog', retries=PATIENCE)
    await press(visitor, 'reverse-confirm')
    assert _element(visitor, 'reverse-reason').error == 'Required.'
    visitor.find(marker='reverse-reason').type('Buyer withdrew')
    await press(visitor, 'reverse-confirm')
    await visitor.should_see(marker='record-sale', retries=PATIENCE)
    await visitor.should_not_see(marker='sale-card')
    await visitor.should_see('Listed', marker='stage')
    assert _types(watch_id) == [TransactionType.SALE, TransactionType.REVERSAL]


async def test_people_who_do_not_book_see_the_sale_but_cannot_record_or_reverse(visitor: User):
    finance = make_user(Role.FINANCE)
    make_user(Role.MANAGER, email='max@example.com')
    unsold, sold = make_watch('listed'), make_watch('listed')
    sales.record_sale(finance, sold, {'price': '900', 'currency': 'EUR', 'channel': 'direct',
                                      'sold_on': date.today().isoformat()})  # fmt: skip
    await open_as(visitor, 'max@example.com', f'/watches/{unsold}', 'watch-detail')
    await visitor.should_not_see(marker='record-sale')
    await visitor.open(f'/watches/{sold}')
    await visitor.should_see(marker='sale-card', retries=PATIENCE)
    await visitor.should_not_see(marker='reverse-sale')
    await visitor.should_not_see(marker='sale-net')  # no ledger for operations
    await eventually(lambda: _element(visitor, 'sale-price-shown').text == '900.00 EUR', 'the price shown')
