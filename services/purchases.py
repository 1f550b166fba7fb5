"""A watch's purchase in the ledger, booked by itself whenever the watch's purchase cost is set or changed.

People type the cost on the watch (intake, the form, the API, an import); finance counts the ledger's PURCHASE
row. `sync` keeps the two agreeing in the transaction that changes the watch: nothing when the open purchase
already says what the watch says, else the open one reversed and the new one booked, for the watch's agent (the
person who paid, and whose balance and commissions count it) and its supplier. So a change of agent or supplier
moves the purchase too, by the same reversal and rebooking.

The booking is a consequence of the watch change, authorised by what authorises that change (INVENTORY_CREATE or
INVENTORY_EDIT, and COST_VIEW to set a cost at all): an agent taking a watch in books its purchase without any
ledger right of their own. It is audited as 'ledger.book' (and 'ledger.reverse') under whoever changed the watch.

A purchase in a currency with no rate for its day (nor the week before it) cannot be priced: it waits. The watch's
`purchase_cost_base` is always the base amount of the purchase booked, or empty while the purchase waits, so the
stock value and the ledger never disagree and `book_waiting` finds what waits by that empty column. The ECB import
and a rate set by hand call `book_waiting` once their rates are in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from db.engine import session_scope
from db.enums import TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from services import audit, events, ledger
from services.errors import ValidationFailed
from services.permissions import SYSTEM, Actor, Permission, require

T = TransactionType
# The watch's fields a purchase booking follows: a change to any of them may rebook it.
SOURCES = frozenset({'purchase_cost', 'purchase_currency', 'purchased_on', 'agent_id', 'supplier_id'})
CHUNK = 500  # watches `book_waiting` books in one unit of work
CORRECTED = 'Purchase cost corrected'
REMOVED = 'Purchase cost removed'
MOVED = 'Purchase moved to another agent or supplier'


@dataclass(frozen=True)
class Purchase:
    """What a purchase booking says, as compared with what the watch says."""

    amount: Decimal  # signed, as booked: negative
    currency: str
    value_date: date
    user_id: int | None
    contact_id: int | None


def sync(session: Session, actor: Actor, watch: Watch) -> None:
    """Make the ledger's open purchase of `watch` say what the watch says, in the caller's transaction.

    The caller has authorised the watch change (see the module's docstring). Without a rate for the purchase's
    day the new purchase is not booked and waits; the intake or edit itself goes through.
    """
    current = open_purchase(session, watch.id)
    wanted = wanted_purchase(watch)
    if current is not None and wanted == _says(current):
        _keep_base(watch, current)
        return
    if current is not None:
        _reverse(session, actor, current, _why(current, wanted))
    if wanted is not None:
        _keep_base(watch, _book(session, actor, watch, wanted))


def book_waiting(actor: Actor | None = None) -> int:
    """Book the purchases that waited for a rate, now that rates came in; returns how many were booked.

    `actor` None is the system (after the scheduled ECB import); a person must be one who manages rates. Each
    chunk of watches is one unit of work; on PostgreSQL its rows are locked, so an edit at the same moment waits
    and then finds the purchase booked. Purchases still without a rate go on waiting.
    """
    if actor is not None:
        require(actor, Permission.FX_MANAGE)
    booker, booked, after = actor or SYSTEM, 0, 0
    while True:
        with session_scope() as session:
            chunk = list(session.exec(_waiting().where(Watch.id > after).order_by(Watch.id).limit(CHUNK)).all())
            if not chunk:
                return booked
            for watch in chunk:
                sync(session, booker, watch)
            done = [watch.id for watch in chunk if watch.purchase_cost_base is not None]
            if done:
                events.record(session, events.WATCH_CHANGED, ids=done)
            booked, after = booked + len(done), chunk[-1].id


def open_purchase(session: Session, watch_id: int) -> Transaction | None:
    """The watch's newest PURCHASE row that no REVERSAL undoes, if any."""
    reversal = aliased(Transaction)
    return session.exec(
        select(Transaction)
        .where(Transaction.watch_id == watch_id, Transaction.type == T.PURCHASE)
        .where(~sa.exists().where(reversal.reverses_id == Transaction.id))
        .order_by(Transaction.id.desc())
        .limit(1)
    ).first()


def wanted_purchase(watch: Watch) -> Purchase | None:
    """The purchase the watch says was made; None without a cost (or at a cost of 0, which books nothing)."""
    if not watch.purchase_cost or not watch.purchase_currency:
        return None
    return Purchase(
        amount=ledger.signed(T.PURCHASE, Decimal(watch.purchase_cost)),
        currency=watch.purchase_currency,
        value_date=purchase_day(watch),
        user_id=watch.agent_id,
        contact_id=watch.supplier_id,
    )


def waits(watch: Watch) -> bool:
    """Whether the watch's purchase waits for a rate: a cost to book, and no base cost, which only a booking sets."""
    return wanted_purchase(watch) is not None and watch.purchase_cost_base is None


def purchase_day(watch: Watch) -> date:
    """The purchase's value date: the day it was bought, else the day the watch was taken in (local time)."""
    return watch.purchased_on or watch.created_at.astimezone().date()


def _waiting() -> sa.Select:
    """The live watches `waits` is true of, as a query, locked on PostgreSQL."""
    return (
        select(Watch)
        .where(Watch.deleted_at.is_(None), Watch.purchase_cost > 0, Watch.purchase_currency.is_not(None))
        .where(Watch.purchase_cost_base.is_(None))
        .with_for_update()
    )


def _says(row: Transaction) -> Purchase:
    return Purchase(row.amount, row.currency, row.value_date, row.user_id, row.contact_id)


def _why(current: Transaction, wanted: Purchase | None) -> str:
    """The reversal's memo: the cost gone, only the agent or supplier changed, or the cost itself corrected."""
    if wanted is None:
        return REMOVED
    links_only = replace(wanted, user_id=current.user_id, contact_id=current.contact_id) == _says(current)
    return MOVED if links_only else CORRECTED


def _reverse(session: Session, actor: Actor, row: Transaction, memo: str) -> None:
    reversal = ledger.post(session, ledger.reversal(row, memo), created_by_id=actor.id)
    audit.record(session, actor, 'ledger.reverse', 'transaction', reversal.id, after=ledger.booked_values(reversal))


def _book(session: Session, actor: Actor, watch: Watch, wanted: Purchase) -> Transaction | None:
    """Book the purchase; None (nothing written) when no rate is known for its day, so it waits."""
    entry = ledger.Entry(
        type=T.PURCHASE,
        amount=wanted.amount,
        currency=wanted.currency,
        value_date=wanted.value_date,
        watch_id=watch.id,
        user_id=wanted.user_id,
        contact_id=wanted.contact_id,
        reference=f'PO-{watch.sku}',
    )
    try:
        row = ledger.post(session, entry, created_by_id=actor.id)
    except ValidationFailed:  # `post` prices before it writes: no rate yet, and nothing was booked
        return None
    audit.record(session, actor, 'ledger.book', 'transaction', row.id, after=ledger.booked_values(row))
    return row


def _keep_base(watch: Watch, booked: Transaction | None) -> None:
    """The watch's base cost is the booked purchase's base amount (as a cost: positive), or empty while it waits."""
    base = None if booked is None else -booked.base_amount
    if watch.purchase_cost_base != base:
        watch.purchase_cost_base = base
