"""Finance reports: profit and loss over time and by dimension, stock value at cost, and aged stock.

Figures are summed in the database (GROUP BY); Python only folds the few grouped rows into months, quarters
and categories. A watch's purchase and service costs are stock until it sells: they count in the period of
its sale in force (matching costs to the revenue they earned), and unsold watches appear under stock value
instead. Every other booking counts on its own date. A reversal counts under the type of the row it reverses,
on its own date (a closed month is never rewritten). Advances and payouts are balances, not profit.

Reading needs `reports.view`; reports are company-wide (no row scope), which is why the default matrix gives
that permission only to roles that also see costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.orm import aliased
from sqlmodel import Session

from db.accounts import User
from db.engine import session_scope
from db.enums import TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.places import Batch, Location
from db.sales import Sale
from db.workflow import Stage
from services.errors import ValidationFailed
from services.permissions import Actor, Permission, require
from services.pnl import CATEGORIES, CATEGORY_OF, REVENUE, margin
from services.validation import validated

T = TransactionType
Grain = Literal['month', 'quarter']
Dimension = Literal['batch', 'brand', 'agent', 'seller', 'channel']
DIMENSIONS: dict[str, str] = {'batch': 'Batch', 'brand': 'Brand', 'agent': 'Agent', 'seller': 'Seller',
                              'channel': 'Channel'}  # fmt: skip
COST_CATEGORIES = tuple(category for category in CATEGORIES if not category.revenue)
STOCK_TYPES = (T.PURCHASE, T.SERVICE)  # capitalised into the watch until it sells
DATED_TYPES = tuple(kind for kind in CATEGORY_OF if kind not in STOCK_TYPES)
MAX_YEARS = 10
NONE = 'None'
# (key, label, first day of age, last day of age or None): days since purchase (or intake when no purchase date)
AGE_BUCKETS = (('0-30', '0–30 days', 0, 30), ('31-90', '31–90 days', 31, 90), ('91-180', '91–180 days', 91, 180),
               ('181-365', '181–365 days', 181, 365), ('365+', 'Over 365 days', 366, None))  # fmt: skip
ZERO = Decimal('0.00')


class Period(BaseModel):
    """A date range, both ends included."""

    model_config = ConfigDict(extra='forbid')

    start: date
    end: date

    @model_validator(mode='after')
    def _sane(self) -> Period:
        if self.end < self.start:
            raise ValueError('the period ends before it starts')
        if self.end - self.start > timedelta(days=366 * MAX_YEARS):
            raise ValueError(f'a report covers at most {MAX_YEARS} years')
        return self


class PnlRow(BaseModel):
    """Revenue, costs by category (positive figures), gross profit, margin and watches sold, for one group."""

    key: str
    label: str
    revenue: Decimal
    costs: dict[str, Decimal]
    total_costs: Decimal
    gross_profit: Decimal
    margin: Decimal | None
    sold: int


class StockRow(BaseModel):
    key: str
    label: str
    count: int
    value: Decimal


def pnl_over_time(actor: Actor, period: Period | dict[str, Any], grain: Grain = 'month') -> list[PnlRow]:
    """One row per month (or quarter) of the period, empty ones included, so a chart has no gaps."""
    require(actor, Permission.REPORTS_VIEW)
    wanted = validated(Period, period)
    if grain not in ('month', 'quarter'):
        raise _unknown('grain', grain, ('month', 'quarter'))
    with session_scope() as session:
        return over_time(session, wanted, grain)


def pnl_by(actor: Actor, period: Period | dict[str, Any], dimension: Dimension) -> list[PnlRow]:
    """One row per batch, brand, agent, seller or sales channel, largest revenue first."""
    require(actor, Permission.REPORTS_VIEW)
    wanted = validated(Period, period)
    if dimension not in DIMENSIONS:
        raise _unknown('dimension', dimension, tuple(DIMENSIONS))
    with session_scope() as session:
        return by_dimension(session, wanted, dimension)


def stock_value(actor: Actor, by: Literal['stage', 'location']) -> list[StockRow]:
    """Watches in stock now (stages marked in stock) and their cost in the base currency, per stage or location."""
    require(actor, Permission.REPORTS_VIEW)
    if by not in ('stage', 'location'):
        raise _unknown('grouping', by, ('stage', 'location'))
    with session_scope() as session:
        return stock_by(session, by)


def aged_stock(actor: Actor, today: date | None = None) -> list[StockRow]:
    """Watches in stock by days since purchase (or intake): count and cost per age bucket."""
    require(actor, Permission.REPORTS_VIEW)
    with session_scope() as session:
        return ages(session, today or date.today())


# --- the queries (take a session; used by the public functions above and by the report job) -----------------


def over_time(session: Session, period: Period, grain: Grain) -> list[PnlRow]:
    source = _recognised(period)
    months = _months(period)
    amounts = _by_month(_amounts(session, source, (_month_key(source.c.day),), ()))
    sold = _by_month(_sold(session, period, (_month_key(Sale.sold_on),), ()))
    labels = {month: _month_label(month) for month in months}
    if grain == 'quarter':
        fold = {month: _quarter(month) for month in months}
        amounts, sold = _fold(amounts, fold), _fold(sold, fold)
        labels = {fold[month]: fold[month].replace('-', ' ') for month in months}
    return [_row(key, label, amounts.get(key, {}), sold.get(key, 0)) for key, label in labels.items()]


def by_dimension(session: Session, period: Period, dimension: Dimension) -> list[PnlRow]:
    source = _recognised(period)
    grouped_by, joins = _dimension(dimension, source.c.watch_id, source.c.sale_id)
    amounts = _amounts(session, source, grouped_by, joins)
    sold = _sold(session, period, *_dimension(dimension, Sale.watch_id, Sale.id))
    labels = {**_labels(amounts), **_labels(sold)}
    amounts, sold = _keyed(amounts), _keyed(sold)
    rows = [_row(key, label, amounts.get(key, {}), sold.get(key, 0)) for key, label in labels.items()]
    return sorted(rows, key=lambda row: (-row.revenue, row.label.casefold()))


def stock_by(session: Session, by: str) -> list[StockRow]:
    if by == 'stage':
        key, label, order = Stage.key, Stage.name, Stage.position
        query = sa.select(key, label, sa.func.count(Watch.id), sa.func.sum(Watch.purchase_cost_base))
    else:
        key, label, order = Location.id, Location.name, sa.func.coalesce(Location.name, '\uffff')  # none last
        query = sa.select(key, label, sa.func.count(Watch.id), sa.func.sum(Watch.purchase_cost_base))
        query = query.outerjoin(Location, Location.id == Watch.location_id)
    query = query.select_from(Watch).join(Stage, Stage.id == Watch.stage_id)
    rows = session.execute(
        query.where(Watch.deleted_at.is_(None), Stage.in_stock.is_(True)).group_by(key, label, order).order_by(order)
    ).all()
    return [
        StockRow(key=str(k or NONE), label=name or 'No location', count=n, value=v or ZERO) for k, name, n, v in rows
    ]


def ages(session: Session, today: date) -> list[StockRow]:
    since = sa.func.coalesce(Watch.purchased_on, sa.func.date(Watch.created_at))
    bucket = sa.case(
        *((since >= today - timedelta(days=last), key) for key, _, _, last in AGE_BUCKETS if last is not None),
        else_=AGE_BUCKETS[-1][0],
    ).label('bucket')
    found = {
        key: (count, value)
        for key, count, value in session.execute(
            sa.select(bucket, sa.func.count(Watch.id), sa.func.sum(Watch.purchase_cost_base))
            .join(Stage, Stage.id == Watch.stage_id)
            .where(Watch.deleted_at.is_(None), Stage.in_stock.is_(True))
            .group_by(bucket)
        ).all()
    }
    rows = []
    for key, label, _, _ in AGE_BUCKETS:
        count, value = found.get(key, (0, ZERO))
        rows.append(StockRow(key=key, label=label, count=count, value=value or ZERO))
    return rows


def cost_headings() -> list[tuple[str, str]]:
    """(key, label) of the cost categories, in the order tables show them."""
    return [(category.key, category.label) for category in COST_CATEGORIES]


# --- building blocks --------------------------------------------------------------------------------------------


def _recognised(period: Period) -> sa.Subquery:
    """Every P/L booking that counts in the period, with the day it counts on and the type it counts under."""
    original = aliased(Transaction)
    counted = sa.func.coalesce(original.type, Transaction.type)
    sale_id = sa.func.coalesce(Transaction.sale_id, original.sale_id)
    dated = (
        sa.select(
            Transaction.value_date.label('day'),
            counted.label('type'),
            Transaction.base_amount.label('amount'),
            Transaction.watch_id.label('watch_id'),
            sale_id.label('sale_id'),
        )
        .outerjoin(original, original.id == Transaction.reverses_id)
        .where(Transaction.value_date.between(period.start, period.end), counted.in_(DATED_TYPES))
    )
    stock = (
        sa.select(Sale.sold_on, counted, Transaction.base_amount, Transaction.watch_id, Sale.id)
        .join(Transaction, Transaction.watch_id == Sale.watch_id)
        .outerjoin(original, original.id == Transaction.reverses_id)
        .where(Sale.reversed_at.is_(None), Sale.sold_on.between(period.start, period.end), counted.in_(STOCK_TYPES))
    )
    return sa.union_all(dated, stock).subquery('recognised')


def _amounts(session: Session, source: sa.Subquery, grouped_by: tuple, joins: tuple) -> dict[tuple, dict[str, Decimal]]:
    """Sums per group and per category: {(group values...): {category: base amount}}."""
    query = sa.select(*grouped_by, source.c.type, sa.func.sum(source.c.amount)).select_from(source)
    for table, condition in joins:
        query = query.outerjoin(table, condition)
    result: dict[tuple, dict[str, Decimal]] = {}
    for *group, kind, amount in session.execute(query.group_by(*grouped_by, source.c.type)).all():
        category = CATEGORY_OF[T(kind)]
        sums = result.setdefault(tuple(group), {})
        sums[category] = sums.get(category, ZERO) + Decimal(amount)
    return result


def _sold(session: Session, period: Period, grouped_by: tuple, joins: tuple) -> dict[tuple, int]:
    """Watches sold (sales in force) per group."""
    query = sa.select(*grouped_by, sa.func.count(Sale.id)).select_from(Sale)
    for table, condition in joins:
        query = query.outerjoin(table, condition)
    query = query.where(Sale.reversed_at.is_(None), Sale.sold_on.between(period.start, period.end))
    return {tuple(group): count for *group, count in session.execute(query.group_by(*grouped_by)).all()}


def _dimension(dimension: str, watch_id: Any, sale_id: Any) -> tuple[tuple, tuple]:
    """(key column, label column) and the joins that reach them from rows with a watch_id and a sale_id."""
    watch = (Watch, Watch.id == watch_id)
    if dimension == 'brand':
        return (Watch.brand, Watch.brand), (watch,)
    if dimension == 'batch':
        return (Watch.batch_id, Batch.batch_number), (watch, (Batch, Batch.id == Watch.batch_id))
    if dimension == 'channel':
        sale = aliased(Sale)
        return (sale.channel, sale.channel), ((sale, sale.id == sale_id),)
    person = aliased(User)
    column = Watch.agent_id if dimension == 'agent' else Watch.seller_id
    return (column, person.name), (watch, (person, person.id == column))


def _month_key(day: Any) -> Any:
    return (sa.extract('year', day) * 100 + sa.extract('month', day)).label('month')


def _months(period: Period) -> list[int]:
    """Every month the period touches, as yyyymm."""
    first, last = period.start.year * 12 + period.start.month - 1, period.end.year * 12 + period.end.month - 1
    return [(number // 12) * 100 + number % 12 + 1 for number in range(first, last + 1)]


def _by_month(grouped: dict[tuple, Any]) -> dict[int, Any]:
    """Month keys come back as int, float or Decimal depending on the database: always yyyymm."""
    return {int(key[0]): value for key, value in grouped.items()}


def _month_label(month: int) -> str:
    return date(month // 100, month % 100, 1).strftime('%b %Y')


def _quarter(month: int) -> str:
    year, number = divmod(month, 100)
    return f'{year}-Q{(number - 1) // 3 + 1}'


def _fold(grouped: dict[int, Any], fold: dict[int, str]) -> dict[str, Any]:
    """Months added up into quarters (sums per category, or counts)."""
    result: dict[str, Any] = {}
    for month, value in grouped.items():
        key = fold[month]
        if isinstance(value, dict):
            target = result.setdefault(key, {})
            for category, amount in value.items():
                target[category] = target.get(category, ZERO) + amount
        else:
            result[key] = result.get(key, 0) + value
    return result


def _labels(grouped: dict[tuple, Any]) -> dict[str, str]:
    return {_dimension_key(key): str(key[1]) if key[1] is not None else 'Not set' for key in grouped}


def _keyed(grouped: dict[tuple, Any]) -> dict[str, Any]:
    return {_dimension_key(key): value for key, value in grouped.items()}


def _dimension_key(key: tuple) -> str:
    return NONE if key[0] is None else str(key[0])


def _row(key: int | str, label: str, sums: dict[str, Decimal], sold: int) -> PnlRow:
    revenue = sum((sums.get(name, ZERO) for name in REVENUE), ZERO)
    costs = {category.key: -sums.get(category.key, ZERO) for category in COST_CATEGORIES}
    total = sum(costs.values(), ZERO)
    profit = revenue - total
    return PnlRow(key=_text_key(key), label=label, revenue=revenue, costs=costs, total_costs=total,
                  gross_profit=profit, margin=margin(profit, revenue), sold=sold)  # fmt: skip


def _text_key(key: int | str) -> str:
    """yyyymm as "yyyy-mm"; quarters and dimension keys as they are."""
    if isinstance(key, int):
        year, month = divmod(key, 100)
        return f'{year}-{month:02d}'
    return key


def _unknown(name: str, value: object, choices: Iterable[str]) -> ValidationFailed:
    listed = ', '.join(choices)
    return ValidationFailed(f'"{value}" is not a {name} of these reports; choose one of {listed}.', {name: 'Unknown.'})
