"""Profit and loss of one watch: every booking on it, grouped by what it was for, in the base currency.

Amounts keep the ledger's cash sign (a sale is positive, costs are negative). A reversal counts under the type
of the row it reverses, so a reversed fee and its reversal cancel out inside "Platform fees". Advances and
payouts move balances with people and are no part of a watch's profit; commissions are costs.

The realised FX difference answers "how much of this result is the exchange rate's doing" for a watch bought
in one currency and sold in another: the purchase converted at the sale date's rate minus the purchase as
booked (at its own date's rate), both with the ledger's sign. Positive means the purchase currency lost value
against the base currency between buying and selling: the same purchase would have cost that much less in the
base currency on the day of the sale. Negative means it gained value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import aliased
from sqlmodel import Session

from config import get_settings
from db.engine import session_scope
from db.enums import TransactionType
from db.ledger import Transaction
from services import money, purchases
from services.permissions import Actor, Permission, require_any
from services.scope import watch_in_scope

T = TransactionType


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    revenue: bool = False  # sales and refunds make revenue; everything else is a cost


CATEGORIES = (
    Category('sale', 'Sale', revenue=True),
    Category('refunds', 'Refunds', revenue=True),
    Category('purchase', 'Purchase'),
    Category('service', 'Service'),
    Category('shipping', 'Shipping'),
    Category('platform_fees', 'Platform fees'),
    Category('commissions', 'Commissions'),
    Category('adjustments', 'Adjustments'),
)
CATEGORY_OF: dict[TransactionType, str] = {
    T.SALE: 'sale', T.REFUND: 'refunds', T.PURCHASE: 'purchase', T.SERVICE: 'service', T.SHIPPING: 'shipping',
    T.PLATFORM_FEE: 'platform_fees', T.AGENT_COMMISSION: 'commissions', T.SELLER_COMMISSION: 'commissions',
    T.ADJUSTMENT: 'adjustments',
}  # fmt: skip
REVENUE = frozenset(category.key for category in CATEGORIES if category.revenue)
PERCENT = Decimal('0.01')


class PnlLine(BaseModel):
    """One booking as the Finance tab lists it; `type` is the booking's own (a reversal says so)."""

    id: int
    value_date: date
    type: str
    category: str
    amount: Decimal
    currency: str
    fx_rate: Decimal
    base_amount: Decimal
    reference: str | None
    memo: str | None
    reversed: bool  # a later row reverses this one
    reverses_id: int | None


class CategoryTotal(BaseModel):
    key: str
    label: str
    base_amount: Decimal


class CurrencyTotal(BaseModel):
    """What was booked in one original currency, and what it came to in the base currency."""

    currency: str
    amount: Decimal
    base_amount: Decimal


class WaitingPurchase(BaseModel):
    """The watch's purchase cost, not booked yet because no rate of its currency is known for its day."""

    amount: Decimal
    currency: str
    day: date


class WatchPnl(BaseModel):
    watch_id: int
    base_currency: str
    lines: list[PnlLine]
    categories: list[CategoryTotal]
    by_currency: list[CurrencyTotal]
    revenue: Decimal
    costs: Decimal  # a positive figure: what the watch cost in all
    gross_profit: Decimal
    margin: Decimal | None  # percent of revenue; None without revenue
    fx_difference: Decimal | None  # None unless bought in one currency and sold (in force) in another
    waiting_purchase: WaitingPurchase | None = None  # not among the lines yet (services/purchases.py)


def watch_pnl(actor: Actor, watch_id: int) -> WatchPnl:
    """The watch's P/L for whoever sees the ledger, or its costs (an agent only for their own watches)."""
    require_any(actor, Permission.COST_VIEW, Permission.LEDGER_VIEW)
    with session_scope() as session:
        watch = watch_in_scope(session, actor, watch_id)
        lines = _lines(session, watch_id)
        result = summarise(watch_id, lines, fx_difference(session, lines))
        if purchases.waits(watch):
            waiting = WaitingPurchase(amount=watch.purchase_cost, currency=watch.purchase_currency,
                                      day=purchases.purchase_day(watch))  # fmt: skip
            result.waiting_purchase = waiting
        return result


def summarise(watch_id: int, lines: list[PnlLine], fx: Decimal | None) -> WatchPnl:
    """Totals by category and by original currency, revenue, costs, profit and margin, from the lines."""
    by_category = dict.fromkeys((category.key for category in CATEGORIES), Decimal('0.00'))
    by_currency: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        by_category[line.category] += line.base_amount
        amount, base = by_currency.get(line.currency, (Decimal('0.00'), Decimal('0.00')))
        by_currency[line.currency] = (amount + line.amount, base + line.base_amount)
    revenue = sum((by_category[key] for key in REVENUE), Decimal('0.00'))
    profit = sum(by_category.values(), Decimal('0.00'))
    return WatchPnl(
        watch_id=watch_id,
        base_currency=get_settings().base_currency,
        lines=lines,
        categories=[CategoryTotal(key=c.key, label=c.label, base_amount=by_category[c.key]) for c in CATEGORIES],
        by_currency=[
            CurrencyTotal(currency=code, amount=a, base_amount=b) for code, (a, b) in sorted(by_currency.items())
        ],
        revenue=revenue,
        costs=revenue - profit,
        gross_profit=profit,
        margin=margin(profit, revenue),
        fx_difference=fx,
    )


def margin(profit: Decimal, revenue: Decimal) -> Decimal | None:
    """Gross profit as a percentage of revenue, to two places; None when there is no revenue to divide by."""
    if revenue == 0:
        return None
    return (profit * 100 / revenue).quantize(PERCENT, rounding=ROUND_HALF_EVEN)


def fx_difference(session: Session, lines: list[PnlLine]) -> Decimal | None:
    """The purchase at the sale date's rate minus the purchase as booked (see the module's docstring).

    Only for a sale in force in another currency than the purchase's; None too when no rate is known then.
    """
    sales = [line for line in lines if line.type == T.SALE and not line.reversed]
    purchases = [line for line in lines if line.type == T.PURCHASE and not line.reversed]
    if not sales or not purchases or {line.currency for line in purchases} == {sales[-1].currency}:
        return None
    sold_on = sales[-1].value_date
    difference = Decimal('0.00')
    for line in purchases:
        at_sale = money.to_base(session, line.amount, line.currency, sold_on)
        if at_sale is None:
            return None
        difference += at_sale - line.base_amount
    return difference


def _lines(session: Session, watch_id: int) -> list[PnlLine]:
    """The watch's P/L bookings in date order, each with the type it counts under and whether it was reversed."""
    original, reversal = aliased(Transaction), aliased(Transaction)
    counted = sa.func.coalesce(original.type, Transaction.type)
    rows = session.execute(
        sa.select(Transaction, counted.label('counted'), reversal.id.label('reversed_by'))
        .outerjoin(original, original.id == Transaction.reverses_id)
        .outerjoin(reversal, reversal.reverses_id == Transaction.id)
        .where(Transaction.watch_id == watch_id)
        .order_by(Transaction.value_date, Transaction.id)
    ).all()
    lines = []
    for row, counted_as, reversed_by in rows:
        category = CATEGORY_OF.get(T(counted_as))
        if category is None:  # advances, payouts (and their reversals) move balances, not profit
            continue
        lines.append(
            PnlLine(
                **row.model_dump(include={'id', 'value_date', 'amount', 'currency', 'fx_rate', 'base_amount',
                                          'reference', 'memo', 'reverses_id'}),
                type=row.type.value,
                category=category,
                reversed=reversed_by is not None,
            )
        )  # fmt: skip
    return lines
