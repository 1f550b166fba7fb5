"""The ledger's core: every booking goes through `post`, which prices it in the base currency and chains its hash.

Each transaction's hash covers its booked content and the hash of the row before it, so a change made behind
the application's back breaks the chain from that row on. `post` and `post_many` take the ledger head's row lock
first, so two bookings never chain onto the same predecessor. Callers authorise and audit; `post` books and records the
`ledger.changed` event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from config import get_settings
from db.enums import TransactionType
from db.ledger import FxRate, LedgerHead, Transaction
from db.types import utcnow
from services import events
from services.errors import ValidationFailed
from services.money import CENT, CURRENCIES, check_currency

GENESIS = '0' * 64
HASHED_FIELDS = (
    'type', 'value_date', 'amount', 'currency', 'fx_rate', 'base_amount', 'base_currency', 'watch_id', 'user_id',
    'contact_id', 'batch_id', 'reverses_id', 'reference', 'memo', 'created_by_id',
)  # fmt: skip
# Fields added after the chain began: hashed only when set, so rows booked before them keep their hash.
LATER_FIELDS = ('sale_id',)
# A rate may be this many days older than the booking (weekends and holidays publish none); older is refused.
RATE_LOOKBACK_DAYS = 7
RATE = Decimal('0.00000001')
T = TransactionType
# The sign of money for the business: what comes in is positive, what goes out (or is owed out) is negative.
INFLOWS = frozenset({T.SALE})
OUTFLOWS = frozenset({T.PURCHASE, T.PLATFORM_FEE, T.SHIPPING, T.SERVICE, T.AGENT_COMMISSION, T.SELLER_COMMISSION,
                      T.ADVANCE, T.PAYOUT, T.REFUND})  # fmt: skip
_LINKS = ('watch_id', 'user_id', 'contact_id', 'batch_id', 'sale_id', 'reverses_id', 'reference', 'memo')


@dataclass(frozen=True)
class Entry:
    """What one booking says. `amount` is signed (see INFLOWS/OUTFLOWS); `fx_rate` given by hand wins over the table."""

    type: TransactionType
    amount: Decimal
    currency: str
    value_date: date
    watch_id: int | None = None
    user_id: int | None = None
    contact_id: int | None = None
    batch_id: int | None = None
    sale_id: int | None = None
    reverses_id: int | None = None
    reference: str | None = None
    memo: str | None = None
    fx_rate: Decimal | None = None


def signed(kind: TransactionType, amount: Decimal) -> Decimal:
    """The amount a person typed (positive; an adjustment may be either) with the sign its type books it with."""
    if kind in OUTFLOWS:
        return -abs(amount)
    if kind in INFLOWS:
        return abs(amount)
    return amount


def reversal(row: Transaction, memo: str | None, value_date: date | None = None) -> Entry:
    """The entry that undoes `row`: its negated amount, in its currency and at its rate, with all its links."""
    return Entry(
        type=T.REVERSAL,
        amount=-row.amount,
        currency=row.currency,
        value_date=value_date or date.today(),
        **{name: getattr(row, name) for name in ('watch_id', 'user_id', 'contact_id', 'batch_id', 'sale_id')},
        reverses_id=row.id,
        reference=row.reference,
        memo=memo,
        fx_rate=row.fx_rate,
    )


def booked_values(row: Transaction) -> dict[str, Any]:
    """What a booked row says (the content its hash covers), for the audit entry of the service that booked it."""
    return {name: getattr(row, name) for name in (*HASHED_FIELDS, *LATER_FIELDS)}


def post(session: Session, entry: Entry, *, created_by_id: int | None) -> Transaction:
    """Book one entry in the caller's transaction; ValidationFailed (nothing written) when it cannot be priced."""
    return post_many(session, [entry], created_by_id=created_by_id)[0]


def post_many(session: Session, entries: Sequence[Entry], *, created_by_id: int | None) -> list[Transaction]:
    """Book entries in order under one head lock, chaining each onto the one before; all or nothing.

    Every entry is priced first, so a refusal (ValidationFailed, naming the entry's position when there are
    several) comes before the lock is taken. The rates of a whole feed are read with one query per currency and
    the rows go in as one multi-row insert, so a thousand bookings cost about what a handful booked one by one do.
    """
    known = _known_rates(session, entries)
    priced = []
    for position, entry in enumerate(entries, start=1):
        try:
            priced.append(_priced(entry, known))
        except ValidationFailed as error:
            raise error.numbered(position, 'Booking') if len(entries) > 1 else error from None
    _lock_head(session)
    previous, base, now = last_hash(session), get_settings().base_currency, utcnow()
    rows = []
    for entry, (currency, amount, rate) in zip(entries, priced, strict=True):
        row = {name: getattr(entry, name) for name in _LINKS} | {
            'type': entry.type, 'value_date': entry.value_date, 'amount': amount, 'currency': currency,
            'fx_rate': rate, 'base_amount': (amount / rate).quantize(CENT, rounding=ROUND_HALF_EVEN),
            'base_currency': base, 'created_by_id': created_by_id, 'created_at': now, 'prev_hash': previous,
        }  # fmt: skip
        row['row_hash'] = previous = row_hash(previous, row)
        rows.append(row)
    ids = session.scalars(sa.insert(Transaction).returning(Transaction.id, sort_by_parameter_order=True), rows).all()
    events.record(session, events.LEDGER_CHANGED, ids=ids)
    events.record(session, events.WATCH_BOOKED, ids=[row['watch_id'] for row in rows if row['watch_id']])
    return list(session.scalars(select(Transaction).where(Transaction.id.in_(ids)).order_by(Transaction.id)))


def _known_rates(session: Session, entries: Sequence[Entry]) -> dict[str, list[tuple[date, Decimal]]]:
    """Each currency's table rates over the days the entries need (a week before the earliest on), newest first."""
    base = get_settings().base_currency
    days: dict[str, list[date]] = {}
    for entry in entries:
        currency = str(entry.currency).strip().upper()
        if entry.fx_rate is None and currency != base and currency in CURRENCIES:
            days.setdefault(currency, []).append(entry.value_date)
    return {
        currency: list(session.execute(
            select(FxRate.rate_date, FxRate.rate)
            .where(FxRate.currency == currency, FxRate.rate_date <= max(wanted))
            .where(FxRate.rate_date >= min(wanted) - timedelta(days=RATE_LOOKBACK_DAYS))
            .order_by(FxRate.rate_date.desc())
        ).all())
        for currency, wanted in days.items()
    }  # fmt: skip


def _priced(entry: Entry, known: dict[str, list[tuple[date, Decimal]]]) -> tuple[str, Decimal, Decimal]:
    """The entry's currency, its amount to the cent and its rate (given by hand, or from `known`)."""
    currency = check_currency(entry.currency)
    amount = Decimal(entry.amount).quantize(CENT, rounding=ROUND_HALF_EVEN)
    if amount == 0:
        raise ValidationFailed('An amount of zero cannot be booked.', {'amount': 'Enter an amount other than 0.'})
    if entry.fx_rate is not None or currency == get_settings().base_currency:
        return currency, amount, _given_rate(entry.fx_rate)
    oldest = entry.value_date - timedelta(days=RATE_LOOKBACK_DAYS)
    found = next((rate for day, rate in known.get(currency, ()) if oldest <= day <= entry.value_date), None)
    if found is None:
        raise _no_rate(currency, entry.value_date)
    return currency, amount, found


def rate_for(session: Session, currency: str, day: date, given: Decimal | None = None) -> Decimal:
    """Units of `currency` per one unit of the base currency on `day`: given by hand, or the latest within a week."""
    if given is not None or currency == get_settings().base_currency:
        return _given_rate(given)
    found = session.exec(
        select(FxRate.rate)
        .where(FxRate.currency == currency, FxRate.rate_date <= day)
        .where(FxRate.rate_date >= day - timedelta(days=RATE_LOOKBACK_DAYS))
        .order_by(FxRate.rate_date.desc())
        .limit(1)
    ).first()
    if found is None:
        raise _no_rate(currency, day)
    return found


def _given_rate(given: Decimal | None) -> Decimal:
    """A rate typed by hand, checked and rounded like the table's; none given means the base currency's 1."""
    if given is None:
        return Decimal(1)
    rate = Decimal(given)
    if not rate.is_finite() or rate <= 0:
        raise ValidationFailed('An exchange rate must be above 0.', {'fx_rate': 'Enter a rate above 0.'})
    return rate.quantize(RATE, rounding=ROUND_HALF_EVEN)


def _no_rate(currency: str, day: date) -> ValidationFailed:
    return ValidationFailed(
        f'No {currency} exchange rate is known for {day.isoformat()} or the days just before it; '
        'fetch the rates or enter the rate by hand.',
        {'fx_rate': f'Enter the {currency} rate for this day.'},
    )


def last_hash(session: Session) -> str:
    """The hash the next row chains onto: the newest row's, or the genesis value for an empty ledger."""
    found = session.execute(sa.select(Transaction.row_hash).order_by(Transaction.id.desc()).limit(1)).scalar()
    return found or GENESIS


def _lock_head(session: Session) -> None:
    """Take the head row's write lock (a row lock on PostgreSQL, the database's write lock on SQLite)."""
    session.execute(sa.update(LedgerHead).where(LedgerHead.id == 1).values(booked_at=utcnow()))


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical text of the row's booked content."""
    content = {name: _canonical(row.get(name)) for name in HASHED_FIELDS}
    content |= {name: _canonical(row[name]) for name in LATER_FIELDS if row.get(name) is not None}
    canonical = json.dumps(content, sort_keys=True)
    return hashlib.sha256(f'{prev_hash}|{canonical}'.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), 'f')
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, 'value'):
        return value.value
    return value
