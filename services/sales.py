"""Recording a sale and reversing it: the Sale row, its bookings, the commissions it earns and the watch's move.

Recording is one unit of work: the watch moves to Sold (along the workflow's automatic move, so only a watch in
a stage that can be sold), the Sale row is inserted (one in force per watch, held by a partial unique index even
against a colleague pressing the button at the same moment), and the ledger gets the sale (+), the platform fee
and shipping (-) and the agent's and seller's commissions. Any refusal (a missing exchange rate, say) leaves all
of it unwritten. Reversing books one REVERSAL per booking of the sale, at the booking's own rate, marks the sale
reversed and returns the watch to the stage it was sold from. The inputs are plain data, so a marketplace import
can record sales the same way a person does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.sales import Sale
from db.types import utcnow
from services import audit, commissions, contacts, ledger, workflow
from services.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from services.money import check_currency
from services.permissions import Actor, Permission, require
from services.scope import watch_in_scope
from services.validation import validated

T = TransactionType
CHANNELS = {'catawiki': 'Catawiki', 'tradera': 'Tradera', 'direct': 'Direct sale', 'other': 'Other'}
REASON_MAX_LENGTH = 500
_AMOUNT = {'max_digits': 16, 'decimal_places': 2}
TYPE_LABELS = {
    T.SALE: 'Sale',
    T.PLATFORM_FEE: 'Platform fee',
    T.SHIPPING: 'Shipping',
    T.AGENT_COMMISSION: 'Agent commission',
    T.SELLER_COMMISSION: 'Seller commission',
    T.REVERSAL: 'Reversal',
}


class SaleIn(BaseModel):
    """A sale as a person (or a marketplace import) states it; fee and shipping are positive amounts paid out."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    price: Decimal = Field(gt=0, **_AMOUNT)
    currency: str
    channel: str
    sold_on: date
    buyer_id: int | None = None
    reference: str | None = Field(default=None, max_length=80)
    platform_fee: Decimal | None = Field(default=None, ge=0, **_AMOUNT)
    fee_currency: str | None = None  # the sale's currency when not given
    shipping_cost: Decimal | None = Field(default=None, ge=0, **_AMOUNT)
    fx_rate: Decimal | None = Field(default=None, gt=0, max_digits=20, decimal_places=8)  # for the sale's currency
    memo: str | None = Field(default=None, max_length=500)

    @field_validator('currency', 'fee_currency')
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return check_currency(value) if value else None

    @field_validator('channel')
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f'choose one of {", ".join(CHANNELS.values())}')
        return value

    @field_validator('sold_on')
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError('a sale cannot be dated in the future')
        return value

    @field_validator('reference', 'memo')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class BookingRead(BaseModel):
    """One ledger row of a sale, as the sale card lists it."""

    id: int
    type: TransactionType
    label: str
    amount: Decimal
    currency: str
    base_amount: Decimal
    user_name: str | None
    memo: str | None


class SaleRead(BaseModel):
    """A sale with who bought and recorded it; `bookings` only for those who may see the ledger."""

    id: int
    watch_id: int
    channel: str
    channel_label: str
    buyer_id: int | None
    buyer_name: str | None
    price: Decimal
    currency: str
    sold_on: date
    reference: str | None
    created_by_name: str | None
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str | None
    bookings: list[BookingRead]

    @property
    def net_base(self) -> Decimal:
        """What the sale left the business in the base currency after fees, shipping and commissions."""
        return sum((booking.base_amount for booking in self.bookings), Decimal(0))


def channels() -> dict[str, str]:
    """The channels a sale can come through, with their labels."""
    return dict(CHANNELS)


def record_sale(actor: Actor, watch_id: int, data: SaleIn | dict[str, Any]) -> SaleRead:
    """Record a sale of a watch, book it with its fees and commissions, and move the watch to Sold, all at once."""
    require(actor, Permission.LEDGER_BOOK)
    data = validated(SaleIn, data)
    with session_scope() as session:
        watch = _sellable(session, actor, watch_id)
        buyer = _buyer(session, data.buyer_id)
        sale = Sale(watch_id=watch.id, channel=data.channel, buyer_id=buyer, price=data.price, currency=data.currency,
                    sold_on=data.sold_on, reference=data.reference, previous_stage_id=watch.stage_id,
                    created_by_id=actor.id)  # fmt: skip
        _insert(session, sale)
        _move_to_sold(session, actor, watch, data)
        rows = _book(session, actor, watch, sale, data)
        after = {**data.model_dump(), 'watch_id': watch.id, 'bookings': [row.id for row in rows]}
        audit.record(session, actor, 'sale.record', 'sale', sale.id, after=after)
        return _read(session, actor, sale)


def reverse_sale(actor: Actor, sale_id: int, reason: str) -> SaleRead:
    """Take a sale back as a whole: a REVERSAL of each of its bookings, the sale marked, the watch moved back."""
    require(actor, Permission.LEDGER_BOOK)
    reason = _reason(reason)
    with session_scope() as session:
        sale = session.get(Sale, sale_id)
        if sale is None:
            raise NotFound('No such sale.')
        _mark_reversed(session, actor, sale, reason)
        rows = [_reverse(session, actor, row, reason) for row in _open_bookings(session, sale.id)]
        watch = session.get(Watch, sale.watch_id)
        if watch is not None and sale.previous_stage_id is not None:
            workflow.restore_stage_in(session, actor, watch, sale.previous_stage_id,
                                      reason=f'Sale reversed: {reason}'[:REASON_MAX_LENGTH],
                                      values={'sold_on': None})  # fmt: skip
        audit.record(session, actor, 'sale.reverse', 'sale', sale.id, before={'reversed_at': None},
                     after={'reason': reason, 'reversals': [row.id for row in rows]})  # fmt: skip
        return _read(session, actor, sale)


def sale_in_force(actor: Actor, watch_id: int) -> SaleRead | None:
    """The watch's sale that has not been reversed, if any (whoever may see the watch may see that it sold)."""
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        sale = session.exec(select(Sale).where(Sale.watch_id == watch_id, Sale.reversed_at.is_(None))).first()
        return None if sale is None else _read(session, actor, sale)


# --- recording -------------------------------------------------------------------------------------------------


def _sellable(session: Session, actor: Actor, watch_id: int) -> Watch:
    """The watch, refused when deleted or already sold (the stage is checked by the move itself)."""
    watch = session.get(Watch, watch_id)
    if watch is not None and watch.deleted_at is not None:
        raise InvalidTransition('This watch was deleted; a deleted watch cannot be sold.')
    watch = watch_in_scope(session, actor, watch_id)
    if session.exec(select(Sale.id).where(Sale.watch_id == watch_id, Sale.reversed_at.is_(None))).first():
        raise Conflict('This watch already has a sale in force; reverse that sale first.')
    return watch


def _buyer(session: Session, buyer_id: int | None) -> int | None:
    if buyer_id is None:
        return None
    buyer = session.get(Contact, buyer_id)
    if buyer is None or buyer.anonymised_at is not None:
        raise ValidationFailed('There is no such buyer.', {'buyer_id': 'Choose a contact from the list.'})
    return buyer.id


def _insert(session: Session, sale: Sale) -> None:
    """Insert the sale; the partial unique index refuses a second sale in force recorded at the same moment."""
    session.add(sale)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict('This watch was sold a moment ago by someone else; reload the page to see that sale.') from None


def _move_to_sold(session: Session, actor: Actor, watch: Watch, data: SaleIn) -> None:
    try:
        workflow.system_move_in(session, watch, 'sold', reason=f'Sale recorded ({CHANNELS[data.channel]})',
                                actor=actor, values={'sold_on': data.sold_on})  # fmt: skip
    except InvalidTransition as refusal:
        raise InvalidTransition(f'A watch in this stage cannot be sold: {refusal}') from None


def _book(session: Session, actor: Actor, watch: Watch, sale: Sale, data: SaleIn) -> list[Transaction]:
    """The sale, its fee and shipping, then the commissions (gross profit counts the fee and shipping)."""
    links = {'watch_id': watch.id, 'sale_id': sale.id, 'contact_id': sale.buyer_id, 'reference': sale.reference}
    fee_currency = data.fee_currency or data.currency
    wanted = [
        (T.SALE, data.price, data.currency, data.fx_rate, data.memo),
        (T.PLATFORM_FEE, data.platform_fee, fee_currency, data.fx_rate if fee_currency == data.currency else None,
         None),
        (T.SHIPPING, data.shipping_cost, data.currency, data.fx_rate, None),
    ]  # fmt: skip
    rows = []
    for kind, amount, currency, rate, memo in wanted:
        if amount:
            entry = ledger.Entry(type=kind, amount=ledger.signed(kind, amount), currency=currency,
                                 value_date=data.sold_on, fx_rate=rate, memo=memo, **links)  # fmt: skip
            rows.append(ledger.post(session, entry, created_by_id=actor.id))
    sale_base = rows[0].base_amount
    for entry in commissions.commissions_for_sale(session, watch, sale, sale_base):
        rows.append(ledger.post(session, entry, created_by_id=actor.id))
    return rows


# --- reversing -------------------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    clean = ' '.join((reason or '').split())
    if not clean:
        message = 'Say why the sale is reversed.'
        raise ValidationFailed(message, {'reason': message})
    if len(clean) > REASON_MAX_LENGTH:
        message = f'Keep the reason to {REASON_MAX_LENGTH} characters.'
        raise ValidationFailed(message, {'reason': message})
    return clean


def _mark_reversed(session: Session, actor: Actor, sale: Sale, reason: str) -> None:
    """Mark it in one guarded write, so two people reversing at once cannot both succeed."""
    marked = session.execute(
        sa.update(Sale)
        .where(Sale.id == sale.id, Sale.reversed_at.is_(None))
        .values(reversed_at=utcnow(), reversed_by_id=actor.id, reversal_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 0:
        raise Conflict('This sale has already been reversed.')
    session.refresh(sale)


def _open_bookings(session: Session, sale_id: int) -> list[Transaction]:
    """The sale's bookings that are not reversals themselves and have not been reversed yet."""
    reversed_ids = select(Transaction.reverses_id).where(Transaction.reverses_id.is_not(None))
    return list(
        session.exec(
            select(Transaction)
            .where(Transaction.sale_id == sale_id, Transaction.type != T.REVERSAL)
            .where(Transaction.id.not_in(reversed_ids))
            .order_by(Transaction.id)
        ).all()
    )


def _reverse(session: Session, actor: Actor, row: Transaction, reason: str) -> Transaction:
    """The negated booking, in its currency and at its rate, linked to everything the original was."""
    memo = f'Reversal of {TYPE_LABELS.get(row.type, row.type.value)}: {reason}'[:REASON_MAX_LENGTH]
    return ledger.post(session, ledger.reversal(row, memo), created_by_id=actor.id)


# --- reading ---------------------------------------------------------------------------------------------------


def _read(session: Session, actor: Actor, sale: Sale) -> SaleRead:
    buyer = session.get(Contact, sale.buyer_id) if sale.buyer_id else None
    creator = session.get(User, sale.created_by_id) if sale.created_by_id else None
    return SaleRead(
        **sale.model_dump(include={'id', 'watch_id', 'channel', 'buyer_id', 'price', 'currency', 'sold_on',
                                   'reference', 'created_at', 'reversed_at', 'reversal_reason'}),
        channel_label=CHANNELS.get(sale.channel, sale.channel),
        buyer_name=contacts.label(buyer) if buyer else None,
        created_by_name=creator.name if creator else None,
        bookings=_bookings(session, sale.id) if actor.can(Permission.LEDGER_VIEW) else [],
    )  # fmt: skip


def _bookings(session: Session, sale_id: int) -> list[BookingRead]:
    rows = session.exec(
        select(Transaction, User.name)
        .outerjoin(User, User.id == Transaction.user_id)
        .where(Transaction.sale_id == sale_id)
        .order_by(Transaction.id)
    ).all()
    return [
        BookingRead(
            **row.model_dump(include={'id', 'type', 'amount', 'currency', 'base_amount', 'memo'}),
            label=TYPE_LABELS.get(row.type, row.type.value),
            user_name=name,
        )
        for row, name in rows
    ]
