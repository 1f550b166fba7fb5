"""Ledger rows for finance tests, booked through `ledger.post` (the one way rows are booked) with Sale rows made
directly, so these tests do not depend on the sales service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from db.engine import session_scope
from db.enums import TransactionType
from db.ledger import FxRate, Transaction
from db.sales import Sale
from services import ledger
from services.permissions import Actor
from tests.factories import make_watch

T = TransactionType


def rate(currency: str, day: date, value: str) -> None:
    """Units of `currency` per one unit of the base currency on `day`."""
    with session_scope() as session:
        session.add(FxRate(currency=currency, rate_date=day, rate=Decimal(value), source='manual'))


def book(kind: TransactionType, amount: str, currency: str, day: date, **links) -> int:
    """Book `amount` (as typed: positive) with the sign its type takes; returns the transaction's id."""
    entry = ledger.Entry(type=kind, amount=ledger.signed(kind, Decimal(amount)), currency=currency, value_date=day,
                         **links)  # fmt: skip
    with session_scope() as session:
        return ledger.post(session, entry, created_by_id=None).id


def reverse(transaction_id: int, day: date) -> int:
    """Book the reversal of a row: its negated amount, in its currency and at its rate."""
    with session_scope() as session:
        row = session.get(Transaction, transaction_id)
        links = {'watch_id': row.watch_id, 'sale_id': row.sale_id, 'reverses_id': row.id, 'fx_rate': row.fx_rate}
        entry = ledger.Entry(type=T.REVERSAL, amount=-row.amount, currency=row.currency, value_date=day, **links)
        return ledger.post(session, entry, created_by_id=None).id


def sell(watch_id: int, price: str, currency: str, day: date, *, channel: str = 'catawiki') -> tuple[int, int]:
    """A sale in force and its booking; returns (sale id, transaction id)."""
    with session_scope() as session:
        sale = Sale(watch_id=watch_id, channel=channel, price=Decimal(price), currency=currency, sold_on=day)
        session.add(sale)
        session.flush()
        sale_id = sale.id
    return sale_id, book(T.SALE, price, currency, day, watch_id=watch_id, sale_id=sale_id)


@dataclass(frozen=True)
class SekWatch:
    watch_id: int
    purchase: int
    service: int
    sale_id: int
    fee: int


def sek_watch(agent: Actor | None = None, **fields) -> SekWatch:
    """Bought for 10,000 SEK at 11.00, serviced for 1,500 SEK at 11.20, sold for 2,000 EUR when SEK stood at
    11.50, with a 250 EUR platform fee and commissions of 100 EUR (agent) and 60 EUR (seller)."""
    rate('SEK', date(2025, 1, 10), '11.00')
    rate('SEK', date(2025, 2, 3), '11.20')
    rate('SEK', date(2025, 3, 3), '11.50')
    watch_id = make_watch('sold', cost='909.09', agent=agent, **fields)
    purchase = book(T.PURCHASE, '10000', 'SEK', date(2025, 1, 10), watch_id=watch_id, reference='PO-1')
    service = book(T.SERVICE, '1500', 'SEK', date(2025, 2, 3), watch_id=watch_id, memo='Full service')
    sale_id, _ = sell(watch_id, '2000', 'EUR', date(2025, 3, 3))
    fee = book(T.PLATFORM_FEE, '250', 'EUR', date(2025, 3, 3), watch_id=watch_id, sale_id=sale_id)
    book(T.AGENT_COMMISSION, '100', 'EUR', date(2025, 3, 4), watch_id=watch_id, sale_id=sale_id)
    book(T.SELLER_COMMISSION, '60', 'EUR', date(2025, 3, 4), watch_id=watch_id, sale_id=sale_id)
    return SekWatch(watch_id, purchase, service, sale_id, fee)
