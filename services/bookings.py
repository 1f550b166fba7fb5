"""Booking by hand: the authorised, audited way a person books, reverses and reads ledger rows.

Every row still goes through `ledger.post`, which prices and chains it; this module decides who may book what,
checks what a row links to, and gives screens rows that carry the names behind the ids. A correction is a
reversal (the negated amount at the original rate), never an edit; a row that belongs to a sale is reversed with
its sale, as a whole, by the sales service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy.orm import aliased
from sqlmodel import Session, func

from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.places import Batch
from services import audit, contacts, ledger, lookups
from services.errors import Conflict, NotFound, ValidationFailed
from services.money import CENT, CurrencyCode, TypedRate, check_currency
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require, require_any
from services.validation import validated
from services.watch_filter import TEXT_MAX_LENGTH, starts_with

T = TransactionType
R = TypeVar('R')
BOOKABLE = tuple(kind for kind in T if kind is not T.REVERSAL)
PAYMENTS = frozenset({T.ADVANCE, T.PAYOUT})  # money handed to a person: PAYOUTS_BOOK, not LEDGER_BOOK
EARLIEST = date(2000, 1, 1)
MAX_AMOUNT = Decimal('999999999999.99')  # twelve integer digits
COUNT_CAP = 1_000
BATCH_MAX = 1_000  # bookings one `book_many` call takes: one unit of work, one head lock
ALREADY_REVERSED = 'Transaction {id} has already been reversed; nothing was booked.'
_AUDITED = ('type', 'value_date', 'amount', 'currency', 'fx_rate', 'base_amount', 'watch_id', 'user_id',
            'contact_id', 'batch_id', 'sale_id', 'reverses_id', 'reference', 'memo')  # fmt: skip


# --- shared checks -----------------------------------------------------------------------------------------------


def amount_as_typed(value: Decimal, *, negative_allowed: bool = False) -> Decimal:
    """An amount as a person types it: finite, not zero, cents at most, twelve integer digits at most."""
    if not value.is_finite():
        raise ValueError('enter a number')
    if value == 0:
        raise ValueError('enter an amount other than 0')
    if value < 0 and not negative_allowed:
        raise ValueError('enter an amount above 0 (only an adjustment may be negative)')
    if value != value.quantize(CENT):
        raise ValueError('use at most 2 decimals')
    if abs(value) > MAX_AMOUNT:
        raise ValueError('this amount is too large (at most 12 digits before the decimal point)')
    return value


def booking_day(value: date) -> date:
    """A value date a booking may carry: not after today, not before 2000."""
    if value > date.today():
        raise ValueError('the date cannot be in the future')
    if value < EARLIEST:
        raise ValueError('the date cannot be before 2000')
    return value


def permission_for(kind: TransactionType) -> Permission:
    """The right booking (or reversing) a row of this type takes: money handed to a person needs its own."""
    return Permission.PAYOUTS_BOOK if kind in PAYMENTS else Permission.LEDGER_BOOK


# The checks above as field types, for every model that takes a payment or a booking as a person types it.
PositiveAmount = Annotated[Decimal, AfterValidator(amount_as_typed)]
BookingDay = Annotated[date, AfterValidator(booking_day)]


# --- schemas -----------------------------------------------------------------------------------------------------


class BookingIn(BaseModel):
    """One booking as a person types it: the amount positive (an adjustment may be negative), the sign by type."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    type: TransactionType
    amount: Decimal
    currency: CurrencyCode
    value_date: BookingDay
    watch_id: int | None = None
    user_id: int | None = None
    contact_id: int | None = None
    batch_id: int | None = None
    reference: str | None = Field(default=None, max_length=80)
    memo: str | None = Field(default=None, max_length=500)
    fx_rate: TypedRate | None = None

    @field_validator('watch_id', 'user_id', 'contact_id', 'batch_id', 'reference', 'memo', 'fx_rate', mode='before')
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """Screens send '' for a field left empty."""
        return None if value == '' else value

    @field_validator('type')
    @classmethod
    def _type(cls, value: TransactionType) -> TransactionType:
        if value is T.REVERSAL:
            raise ValueError('a reversal is booked with "Reverse…" on the row it corrects')
        return value

    @field_validator('amount')
    @classmethod
    def _amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        return amount_as_typed(value, negative_allowed=info.data.get('type') is T.ADJUSTMENT)


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=500)


class LedgerFilter(BaseModel):
    """What the ledger list is narrowed to; every field optional. `sku` is a watch's exact SKU."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    types: list[TransactionType] = []
    date_from: date | None = None
    date_to: date | None = None
    currency: str | None = None
    sku: str | None = Field(default=None, max_length=40)
    watch_id: int | None = None
    user_id: int | None = None
    contact_id: int | None = None
    reference: str | None = Field(default=None, max_length=80)
    reversed: Literal['any', 'reversed', 'not_reversed'] = 'any'
    to_id: int | None = None  # rows up to this one: a broken row found by the verification, on top

    @field_validator('date_from', 'date_to', 'currency', 'sku', 'watch_id', 'user_id', 'contact_id', 'reference',
                     'to_id', mode='before')  # fmt: skip
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == '' else value

    @field_validator('currency')
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)


class TransactionRead(BaseModel):
    """A ledger row with the names behind its links; `reversed_by_id` is the reversal that undid it, if any."""

    id: int
    type: TransactionType
    value_date: date
    amount: Decimal
    currency: str
    fx_rate: Decimal
    base_amount: Decimal
    base_currency: str
    watch_id: int | None
    watch_sku: str | None
    user_id: int | None
    user_name: str | None
    contact_id: int | None
    contact_name: str | None
    batch_id: int | None
    batch_number: str | None
    sale_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    reference: str | None
    memo: str | None
    created_by_name: str | None
    created_at: datetime

    @property
    def reversible(self) -> bool:
        """What "Reverse…" is offered on: not a reversal, not reversed yet, not part of a sale."""
        return self.type is not T.REVERSAL and self.reversed_by_id is None and self.sale_id is None


class TransactionPage(Page[TransactionRead]):
    """A page of the ledger; with `total_capped` there are more than `total` matches."""

    total_capped: bool = False


# --- writing -----------------------------------------------------------------------------------------------------


def book(actor: Actor, data: BookingIn | dict[str, Any]) -> TransactionRead:
    """Book one transaction by hand; refused (nothing written) when a link is unknown or no rate is known."""
    _require_some_booking(actor)
    wanted = validated(BookingIn, data)
    require(actor, permission_for(wanted.type))
    with session_scope() as session:
        _check_links(session, wanted)
        row = ledger.post(session, _entry(wanted), created_by_id=actor.id)
        audit.record(session, actor, 'ledger.book', 'transaction', row.id, after=_audited(row))
        return _reads(session, [row], new=True)[0]


def book_many(actor: Actor, items: Sequence[BookingIn | dict[str, Any]]) -> list[TransactionRead]:
    """Book up to BATCH_MAX transactions at once (a script's or an accounting tool's feed), all or none.

    Each is checked as `book` checks one, and a refusal names the booking's position; nothing is written then.
    """
    _require_some_booking(actor)
    if not 0 < len(items) <= BATCH_MAX:
        raise ValidationFailed(f'Send 1 to {BATCH_MAX:,} bookings at a time.')
    wanted = [_numbered(position, validated, BookingIn, item) for position, item in enumerate(items, start=1)]
    for kind in {booking.type for booking in wanted}:
        require(actor, permission_for(kind))
    with session_scope() as session:
        for position, booking in enumerate(wanted, start=1):
            _numbered(position, _check_links, session, booking)
        rows = ledger.post_many(session, [_entry(booking) for booking in wanted], created_by_id=actor.id)
        audit.record_many(session, actor, 'ledger.book', 'transaction', [(row.id, _audited(row)) for row in rows])
        return _reads(session, rows, new=True)


def reverse(actor: Actor, transaction_id: int, reason: str) -> TransactionRead:
    """Book the reversal of one row (its negated amount, same currency, rate and links, dated today)."""
    _require_some_booking(actor)
    why = validated(ReversalIn, {'reason': reason}).reason
    with session_scope() as session:
        row = _transaction(session, transaction_id)
        require(actor, permission_for(row.type))
        _check_reversible(session, row)
        entry = ledger.reversal(row, why)
        try:
            reversal = ledger.post(session, entry, created_by_id=actor.id)
        except sa.exc.IntegrityError:  # a colleague reversed it between our check and our insert
            raise Conflict(ALREADY_REVERSED.format(id=transaction_id)) from None
        audit.record(session, actor, 'ledger.reverse', 'transaction', reversal.id, after=_audited(reversal))
        return _reads(session, [reversal], new=True)[0]


# --- reading -----------------------------------------------------------------------------------------------------


def list_transactions(
    actor: Actor,
    filters: LedgerFilter | dict[str, Any] | None = None,
    *,
    offset: int = 0,
    limit: int = 50,
    descending: bool = True,
) -> TransactionPage:
    """A page of the ledger in booking order (newest first by default), with the (capped) number of matches.

    Only the booking order is offered: it is the primary key's, so every filter pages from an index.
    """
    require(actor, Permission.LEDGER_VIEW)
    wanted = validated(LedgerFilter, filters or {})
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        where = _conditions(session, wanted)
        order = Transaction.id.desc() if descending else Transaction.id.asc()
        query = sa.select(Transaction).where(*where).order_by(order).offset(offset).limit(limit)
        rows = list(session.scalars(query).all())
        total, capped = _total(session, where, offset=offset, limit=limit, found=len(rows))
        return TransactionPage(total=total, total_capped=capped, items=_reads(session, rows))


def for_watch(actor: Actor, watch_id: int) -> list[TransactionRead]:
    """Every booking of one watch in value-date order (what its profit and loss is made of)."""
    require(actor, Permission.LEDGER_VIEW)
    with session_scope() as session:
        query = sa.select(Transaction).where(Transaction.watch_id == watch_id)
        rows = list(session.scalars(query.order_by(Transaction.value_date, Transaction.id)).all())
        return _reads(session, rows)


# --- helpers -----------------------------------------------------------------------------------------------------


def _require_some_booking(actor: Actor) -> None:
    """Either booking right lets the input be read; which one the type needs is checked once it is known."""
    require_any(actor, Permission.LEDGER_BOOK, Permission.PAYOUTS_BOOK)


def _check_links(session: Session, wanted: BookingIn) -> None:
    """Every id the booking names exists (and a watch is not deleted), so a refusal names the field."""
    if wanted.watch_id is not None:
        watch = session.get(Watch, wanted.watch_id)
        if watch is None:
            raise ValidationFailed('No such watch.', {'watch_id': 'No such watch.'})
        if watch.deleted_at is not None:
            message = f'Watch {watch.sku} was deleted; nothing was booked.'
            raise ValidationFailed(message, {'watch_id': message})
    for field, table, what in (('user_id', User, 'user'), ('contact_id', Contact, 'contact'),
                               ('batch_id', Batch, 'batch')):  # fmt: skip
        value = getattr(wanted, field)
        if value is not None and session.get(table, value) is None:
            raise ValidationFailed(f'No such {what}.', {field: f'No such {what}.'})


def _entry(wanted: BookingIn) -> ledger.Entry:
    amount = ledger.signed(wanted.type, wanted.amount)
    return ledger.Entry(**wanted.model_dump(exclude={'type', 'amount'}), type=wanted.type, amount=amount)


def _numbered(position: int, check: Callable[..., R], *args: Any) -> R:
    """Run one booking's check; a refusal says which booking of the batch it was."""
    try:
        return check(*args)
    except ValidationFailed as error:
        raise error.numbered(position, 'Booking') from None


def _check_reversible(session: Session, row: Transaction) -> None:
    if row.type is T.REVERSAL:
        raise ValidationFailed(f'Transaction {row.id} is itself a reversal and cannot be reversed; book a new entry.')
    if row.sale_id is not None:
        raise ValidationFailed(f'Transaction {row.id} belongs to a sale. Reverse the sale instead.')
    if session.scalar(sa.select(Transaction.id).where(Transaction.reverses_id == row.id)) is not None:
        raise Conflict(ALREADY_REVERSED.format(id=row.id))


def _transaction(session: Session, transaction_id: int) -> Transaction:
    row = session.get(Transaction, transaction_id)
    if row is None:
        raise NotFound('No such transaction.')
    return row


def _conditions(session: Session, wanted: LedgerFilter) -> list[sa.ColumnElement[bool]]:
    """The filter as WHERE conditions, each served by an index on `transactions` (or narrowing one that is)."""
    found: list[sa.ColumnElement[bool]] = []
    if wanted.types:
        found.append(Transaction.type.in_(wanted.types))
    if wanted.date_from:
        found.append(Transaction.value_date >= wanted.date_from)
    if wanted.date_to:
        found.append(Transaction.value_date <= wanted.date_to)
    if wanted.currency:
        found.append(Transaction.currency == wanted.currency)
    if wanted.sku:
        sku_watch = session.scalar(sa.select(Watch.id).where(Watch.sku == wanted.sku.upper()))
        found.append(Transaction.watch_id == (sku_watch or -1))
    if wanted.to_id is not None:
        found.append(Transaction.id <= wanted.to_id)
    for field in ('watch_id', 'user_id', 'contact_id'):
        if (value := getattr(wanted, field)) is not None:
            found.append(getattr(Transaction, field) == value)
    if text := (wanted.reference or '')[:TEXT_MAX_LENGTH]:
        found.append(starts_with(Transaction.reference, text))
    if wanted.reversed != 'any':
        reversal = aliased(Transaction)
        undone = sa.exists().where(reversal.reverses_id == Transaction.id)
        found.append(undone if wanted.reversed == 'reversed' else ~undone)
    return found


def _total(
    session: Session, where: list[sa.ColumnElement[bool]], *, offset: int, limit: int, found: int
) -> tuple[int, bool]:
    """The number of matches, counted only when the page does not tell, and never beyond the cap."""
    if found < limit and (found or not offset):
        return offset + found, False
    cap = max(COUNT_CAP, offset + limit)
    capped = sa.select(Transaction.id).where(*where).limit(cap + 1).subquery()
    count = session.scalar(sa.select(func.count()).select_from(capped)) or 0
    return min(count, cap), count > cap


def _reads(session: Session, rows: list[Transaction], *, new: bool = False) -> list[TransactionRead]:
    """The rows as screens read them, each kind of name looked up once for all of them; rows just booked (`new`)
    cannot have been reversed yet, so nobody is asked."""
    ids = [row.id for row in rows]
    query = sa.select(Transaction.reverses_id, Transaction.id).where(Transaction.reverses_id.in_(ids))
    reversed_by: dict[int, int] = dict(session.execute(query).all()) if ids and not new else {}
    skus = lookups.names(session, Watch.id, Watch.sku, (row.watch_id for row in rows))
    named = [who for row in rows for who in (row.user_id, row.created_by_id)]
    people = lookups.names(session, User.id, User.name, named)
    batches = lookups.names(session, Batch.id, Batch.batch_number, (row.batch_id for row in rows))
    found = lookups.by_id(session, Contact, (row.contact_id for row in rows))
    names = {contact_id: contacts.label(contact) for contact_id, contact in found.items()}
    return [
        TransactionRead(
            **row.model_dump(exclude={'prev_hash', 'row_hash', 'created_by_id'}),
            watch_sku=skus.get(row.watch_id),
            user_name=people.get(row.user_id),
            contact_name=names.get(row.contact_id),
            batch_number=batches.get(row.batch_id),
            reversed_by_id=reversed_by.get(row.id),
            created_by_name=people.get(row.created_by_id),
        )
        for row in rows
    ]


def _audited(row: Transaction) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _AUDITED}
