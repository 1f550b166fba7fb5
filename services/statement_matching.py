"""Matching statement lines to what the ledger expects: a sale in force, or a single booking.

A line's reference is looked up among the sales in force first, then among single bookings that belong to no sale
(a purchase paid by wire, a payout, a carrier's invoice), never reversals nor reversed rows. What a sale should
bring in is its net payout: the sum of its bookings in the sale's currency except commissions (price, platform fee,
shipping, and any adjustment approved since). A line without a reference is matched by exact amount, currency and
date, and only when exactly one candidate fits. The candidate must be dated within WINDOW of the line. A sale or
booking is claimed by one line only: a later line finding it again is unmatched, and keeps the link to say why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from db.enums import TransactionType
from db.ledger import Transaction
from db.reconciliation import StatementLine
from db.sales import Sale
from services.statement_files import reference_key

WINDOW = timedelta(days=10)
CHUNK = 1000
CLAIMING = ('matched', 'mismatched', 'approved')
COMMISSIONS = (TransactionType.AGENT_COMMISSION, TransactionType.SELLER_COMMISSION)
ZERO = Decimal('0.00')


class LineFacts(Protocol):
    """What matching reads of a line: a parsed one before it is stored, or a stored one matched again."""

    value_date: date
    amount: Decimal
    currency: str
    reference: str | None


@dataclass(frozen=True)
class Target:
    kind: Literal['sale', 'booking']
    id: int
    key: str
    currency: str
    expected: Decimal
    day: date


@dataclass(frozen=True)
class Outcome:
    """The columns of a statement line that matching sets."""

    status: str
    sale_id: int | None = None
    transaction_id: int | None = None
    expected_amount: Decimal | None = None
    difference: Decimal | None = None

    def values(self) -> dict[str, object]:
        return {'status': self.status, 'sale_id': self.sale_id, 'transaction_id': self.transaction_id,
                'expected_amount': self.expected_amount, 'difference': self.difference}  # fmt: skip


class Matcher:
    """Loads the candidates for a set of lines once, then matches them one after another in line order."""

    def __init__(self, session: Session, lines: Sequence[LineFacts], *, ignoring: Iterable[int] = ()) -> None:
        """`ignoring` names stored lines being matched again: their own claims do not count against them."""
        days = [line.value_date for line in lines]
        low, high = (min(days) - WINDOW, max(days) + WINDOW) if days else (date.max, date.min)
        targets = [*_sales(session, low, high), *_bookings(session, low, high)]
        self.by_key: dict[str, list[Target]] = defaultdict(list)
        self.by_amount: dict[tuple[date, Decimal, str], list[Target]] = defaultdict(list)
        for target in targets:
            if target.key:
                self.by_key[target.key].append(target)
            self.by_amount[(target.day, target.expected, target.currency)].append(target)
        self.claimed = _claimed(session, targets, set(ignoring))

    def match(self, line: LineFacts) -> Outcome:
        key = reference_key(line.reference)
        if key:
            near = [t for t in self.by_key.get(key, ()) if abs(t.day - line.value_date) <= WINDOW]
            found = [t for t in near if t.kind == 'sale'] or near
        else:
            found = self.by_amount.get((line.value_date, line.amount, line.currency), [])
        free = [target for target in found if (target.kind, target.id) not in self.claimed]
        if not found or (not key and len(free) > 1):
            return Outcome('unmatched')
        if not free:
            return _link(Outcome('unmatched'), found[0])
        best = min(free, key=lambda t: (t.currency != line.currency, t.expected != line.amount,
                                        abs(t.day - line.value_date), t.id))  # fmt: skip
        self.claimed.add((best.kind, best.id))
        return _link(_compare(line, best), best)


def _compare(line: LineFacts, target: Target) -> Outcome:
    if target.currency != line.currency:
        return Outcome('mismatched', expected_amount=target.expected)
    if target.expected == line.amount:
        return Outcome('matched', expected_amount=target.expected, difference=ZERO)
    return Outcome('mismatched', expected_amount=target.expected, difference=line.amount - target.expected)


def _link(outcome: Outcome, target: Target) -> Outcome:
    link = {'sale_id': target.id} if target.kind == 'sale' else {'transaction_id': target.id}
    return Outcome(**{**outcome.values(), **link})


def _sales(session: Session, low: date, high: date) -> list[Target]:
    """The sales in force dated in the window, each with the net payout it should bring in."""
    rows = session.execute(
        sa.select(Sale.id, Sale.reference, Sale.currency, Sale.sold_on)
        .where(Sale.reversed_at.is_(None), Sale.sold_on.between(low, high))
        .order_by(Sale.id)
    ).all()
    net = net_payouts(session, [row.id for row in rows])
    return [Target('sale', row.id, reference_key(row.reference), row.currency, net.get(row.id, ZERO), row.sold_on)
            for row in rows]  # fmt: skip


def net_payouts(session: Session, sale_ids: Sequence[int]) -> dict[int, Decimal]:
    """Per sale, the sum of its bookings in the sale's currency except commissions (and reversals of those)."""
    booking, reversed_row = Transaction, aliased(Transaction)
    kind = sa.func.coalesce(reversed_row.type, booking.type)  # a reversal counts as what it reverses
    totals: dict[int, Decimal] = {}
    for start in range(0, len(sale_ids), CHUNK):
        query = (
            sa.select(booking.sale_id, sa.func.sum(booking.amount))
            .join(Sale, Sale.id == booking.sale_id)
            .outerjoin(reversed_row, reversed_row.id == booking.reverses_id)
            .where(booking.sale_id.in_(sale_ids[start : start + CHUNK]), booking.currency == Sale.currency)
            .where(kind.not_in(COMMISSIONS))
            .group_by(booking.sale_id)
        )
        totals.update(dict(session.execute(query).all()))
    return totals


def _bookings(session: Session, low: date, high: date) -> list[Target]:
    """Single bookings dated in the window: not part of a sale, not a reversal, not reversed."""
    reversal = aliased(Transaction)
    rows = session.execute(
        sa.select(
            Transaction.id, Transaction.reference, Transaction.currency, Transaction.amount, Transaction.value_date
        )
        .outerjoin(reversal, reversal.reverses_id == Transaction.id)
        .where(Transaction.value_date.between(low, high), Transaction.sale_id.is_(None))
        .where(Transaction.type != TransactionType.REVERSAL, reversal.id.is_(None))
        .order_by(Transaction.id)
    ).all()
    return [Target('booking', row.id, reference_key(row.reference), row.currency, row.amount, row.value_date)
            for row in rows]  # fmt: skip


def _claimed(session: Session, targets: list[Target], ignoring: set[int]) -> set[tuple[str, int]]:
    """Which of the targets a stored line (other than those ignored) already holds."""
    claimed: set[tuple[str, int]] = set()
    for kind, column in (('sale', StatementLine.sale_id), ('booking', StatementLine.transaction_id)):
        ids = [target.id for target in targets if target.kind == kind]
        for start in range(0, len(ids), CHUNK):
            query = sa.select(StatementLine.id, column).where(
                column.in_(ids[start : start + CHUNK]), StatementLine.status.in_(CLAIMING)
            )
            claimed.update(
                (kind, target_id) for line_id, target_id in session.execute(query) if line_id not in ignoring
            )
    return claimed
