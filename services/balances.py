"""What the business owes each agent and seller, the bookings behind it, and the advances and payouts that settle it.

Ledger amounts are cash for the business (services/ledger.py): commissions, purchases, advances and payouts are
all booked negative. A person's balance is read from the other side, in the base currency:

    balance = commissions earned + purchases they paid for the business - advances given - payouts made

- AGENT_COMMISSION and SELLER_COMMISSION rows with `user_id` = the person: earned, so owed to them (+).
- PURCHASE rows with `user_id` = the agent: the agent paid the supplier, out of an advance or their own pocket,
  so the business owes them that money back (+).
- ADVANCE and PAYOUT rows to the person: money they received (-).
- A REVERSAL counts with its original's type: it books the negated amount, so it takes its original out again.
- No other type (a sale, a fee, an adjustment) changes a person's balance, even when it names them.

A worked example (base EUR, 1 EUR = 11.00 SEK): an advance of 10,000 SEK (-909.09 EUR), a purchase of 8,000 SEK
the agent paid from it (+727.27 EUR), a commission of 300 EUR (+300.00) and a payout of 200 EUR (-200.00) leave
727.27 + 300.00 - 909.09 - 200.00 = -81.82 EUR: the agent holds 81.82 EUR of the business's money (what is left
of the advance, 2,000 SEK = 181.82 EUR, less the 100 EUR of commission still owed to them). Only 118.18 EUR was
owed before the payout, so it needed consent (below). Reversing it brings the balance back to +118.18 EUR.

Who receives money: advances and payouts go to agents and sellers only (the people who earn commissions and buy
for the business). A payout may go to one who has left (deactivated), since settling what is owed is exactly
what happens then; an advance may not. A payout that would leave the balance below zero is refused unless the
caller consents explicitly and says why in the memo; the check runs after the booking, under the ledger's lock,
so two payouts at the same moment cannot both slip under it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import Role, TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.types import Money
from services import audit, ledger
from services.bookings import BookingDay, PositiveAmount
from services.errors import NotFound, ValidationFailed
from services.money import CurrencyCode, TypedRate
from services.paging import Page, clamp
from services.permissions import Actor, Permission, parse_role, require, require_any
from services.validation import validated

T = TransactionType
CATEGORIES: dict[str, tuple[TransactionType, ...]] = {
    'commissions': (T.AGENT_COMMISSION, T.SELLER_COMMISSION),
    'purchases': (T.PURCHASE,),
    'advances': (T.ADVANCE,),
    'payouts': (T.PAYOUT,),
}
CATEGORY_OF = {kind: name for name, kinds in CATEGORIES.items() for kind in kinds}
_RECEIVED = (T.ADVANCE, T.PAYOUT)  # money the person got: it lowers what is owed to them
PAYEE_ROLES = (Role.AGENT, Role.SELLER)
READERS = (Permission.LEDGER_VIEW, Permission.PAYOUTS_BOOK)  # who sees everyone's balances
_AUDITED = ('user_id', 'amount', 'currency', 'fx_rate', 'base_amount', 'value_date', 'memo')
_LINE_COLUMNS = ('id', 'value_date', 'type', 'amount', 'currency', 'fx_rate', 'base_amount', 'watch_id', 'reference',
                 'memo', 'reverses_id')  # fmt: skip

# The type a row counts as (a reversal as its original), and what it does to the person's balance.
_original = aliased(Transaction)
_counts_as = sa.case((Transaction.type == T.REVERSAL, _original.type), else_=Transaction.type)
_owed = sa.type_coerce(
    sa.case((_counts_as.in_(_RECEIVED), Transaction.base_amount), else_=-Transaction.base_amount), Money()
)


# --- schemas -----------------------------------------------------------------------------------------------------


class Balance(BaseModel):
    """A person's totals in the base currency, each as a positive figure in its own direction, and the balance."""

    user_id: int
    name: str
    role: Role
    active: bool
    currency: str
    commissions: Decimal
    purchases: Decimal
    advances: Decimal
    payouts: Decimal
    balance: Decimal
    as_of: date


class BalanceRow(BaseModel):
    """A line of the list of everyone's balances."""

    user_id: int
    name: str
    email: str
    role: Role
    active: bool
    commissions: Decimal
    purchases: Decimal
    advances: Decimal
    payouts: Decimal
    balance: Decimal


class Movement(BaseModel):
    """One booking on a person's account: `effect` is what it did to the balance, `running` the balance after it."""

    id: int
    value_date: date
    type: TransactionType
    category: str
    amount: Decimal
    currency: str
    fx_rate: Decimal
    base_amount: Decimal
    effect: Decimal
    running: Decimal
    watch_id: int | None
    sku: str | None
    reference: str | None
    memo: str | None
    reverses_id: int | None


class Booked(BaseModel):
    """An advance or payout just booked, and the person's balance after it."""

    transaction_id: int
    type: TransactionType
    amount: Decimal
    currency: str
    base_amount: Decimal
    balance: Decimal


class PaymentIn(BaseModel):
    """Money handed to a person: an amount as typed (positive), in any currency, on a day no later than today."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    user_id: int
    amount: PositiveAmount
    currency: CurrencyCode
    value_date: BookingDay
    memo: str | None = Field(default=None, max_length=500)
    fx_rate: TypedRate | None = None

    @field_validator('memo')
    @classmethod
    def _memo(cls, value: str | None) -> str | None:
        return value or None


class PayoutIn(PaymentIn):
    """A payout; `allow_overdraw` pays more than is owed, and then the memo must say why."""

    allow_overdraw: bool = False


# --- reading -----------------------------------------------------------------------------------------------------


def balance(actor: Actor, user_id: int, as_of: date | None = None) -> Balance:
    """The person's totals and balance from every booking dated up to `as_of` (today when not given)."""
    _require_view(actor, user_id)
    day = as_of or date.today()
    with session_scope() as session:
        person = _person(session, user_id)
        totals = session.execute(
            _totals_query().where(Transaction.user_id == user_id, Transaction.value_date <= day)
        ).one()
        return Balance(
            user_id=person.id, name=person.name, role=person.role, active=person.active,
            currency=get_settings().base_currency, as_of=day, **_figures(totals),
        )  # fmt: skip


def movements(
    actor: Actor,
    user_id: int,
    offset: int = 0,
    limit: int = 25,
    *,
    start: date | None = None,
    end: date | None = None,
    descending: bool = True,
) -> Page[Movement]:
    """A page of the person's bookings (newest first unless asked otherwise), each with the balance after it.

    The running balance is a window sum over all of the person's bookings in (value_date, id) order, taken before
    the period and the page are cut out, so it is the same on every page and in every period.
    """
    _require_view(actor, user_id)
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        _person(session, user_id)
        lines = _lines_query(user_id).subquery()
        query = select(lines)
        if start is not None:
            query = query.where(lines.c.value_date >= start)
        if end is not None:
            query = query.where(lines.c.value_date <= end)
        total = _count(session, query)
        order = (lines.c.value_date, lines.c.id)
        query = query.order_by(*(column.desc() for column in order) if descending else order)
        rows = session.execute(query.offset(offset).limit(limit)).mappings().all()
        return Page(total=total, items=[_movement(row) for row in rows])


def all_balances(
    actor: Actor,
    offset: int = 0,
    limit: int = 25,
    *,
    role: Role | str | None = None,
    search: str | None = None,
    sort: str = 'name',
    descending: bool = False,
) -> Page[BalanceRow]:
    """Every active agent and seller, and anyone else the books still show a balance for, with their figures."""
    require_any(actor, *READERS)
    offset, limit = clamp(offset, limit)
    totals = _totals_query().add_columns(Transaction.user_id).group_by(Transaction.user_id).subquery()
    figures = {name: sa.func.coalesce(totals.c[name], 0).label(name) for name in (*CATEGORIES, 'balance')}
    query = (
        select(User.id.label('user_id'), User.name, User.email, User.role, User.active, *figures.values())
        .select_from(User)
        .outerjoin(totals, totals.c.user_id == User.id)
        .where(sa.or_(sa.and_(User.role.in_(PAYEE_ROLES), User.active), figures['balance'] != 0))
    )
    if role:
        query = query.where(User.role == parse_role(role))
    if text := ' '.join((search or '').split())[:100]:
        query = query.where(sa.or_(User.name.ilike(f'%{text}%'), User.email.ilike(f'%{text}%')))
    sortable = {'name': User.name, 'role': User.role, **figures}
    column = sortable.get(sort, User.name)
    order = (column.desc(), User.id.desc()) if descending else (column.asc(), User.id.asc())
    with session_scope() as session:
        # The total rides along with the page (one pass over the ledger, not two); past the end it is counted apart.
        paged = query.add_columns(sa.func.count().over().label('total')).order_by(*order).offset(offset).limit(limit)
        rows = session.execute(paged).mappings().all()
        total = rows[0]['total'] if rows else _count(session, query) if offset else 0
    return Page(total=total, items=[BalanceRow.model_validate(dict(row)) for row in rows])


# --- writing -----------------------------------------------------------------------------------------------------


def book_advance(
    actor: Actor,
    user_id: int,
    amount: Decimal | str,
    currency: str,
    day: date | str,
    memo: str | None = None,
    *,
    fx_rate: Decimal | str | None = None,
) -> Booked:
    """Hand an active agent or seller money ahead of what they will spend or earn for the business."""
    return _pay(actor, T.ADVANCE, PaymentIn, _payment(user_id, amount, currency, day, memo, fx_rate))


def book_payout(
    actor: Actor,
    user_id: int,
    amount: Decimal | str,
    currency: str,
    day: date | str,
    memo: str | None = None,
    *,
    fx_rate: Decimal | str | None = None,
    allow_overdraw: bool = False,
) -> Booked:
    """Pay an agent or seller what the business owes them; more than that only with consent and a reason."""
    values = _payment(user_id, amount, currency, day, memo, fx_rate) | {'allow_overdraw': allow_overdraw}
    return _pay(actor, T.PAYOUT, PayoutIn, values)


# --- helpers -----------------------------------------------------------------------------------------------------


def _pay(actor: Actor, kind: TransactionType, model: type[PaymentIn], values: dict[str, Any]) -> Booked:
    """What an advance and a payout share: the right, the input, a payee who is an agent or a seller, the booking.

    An advance goes only to someone still working. A payout beyond what is owed needs consent and a reason; it is
    checked after the booking, under the ledger's lock, and a refusal rolls the booking back.
    """
    require(actor, Permission.PAYOUTS_BOOK)
    data = validated(model, values)
    overdraw = isinstance(data, PayoutIn) and data.allow_overdraw
    if overdraw and not data.memo:
        raise ValidationFailed('Say in the memo why this payout may exceed the balance.',
                               {'memo': 'Say why it may exceed the balance.'})  # fmt: skip
    with session_scope() as session:
        person = _payee(session, data.user_id)
        if kind is T.ADVANCE and not person.active:
            raise ValidationFailed(f'{person.name} is deactivated; an advance goes only to someone still working.',
                                   {'user_id': 'Deactivated.'})  # fmt: skip
        booked = _book(session, actor, kind, data)
        if kind is T.PAYOUT and booked.balance < 0 and not overdraw:
            raise _overdrawn(person, booked)
        return booked


def _overdrawn(person: User, booked: Booked) -> ValidationFailed:
    """The refusal of a payout that leaves the balance below zero: what was owed, and by how much it overdraws."""
    owed = booked.balance - booked.base_amount  # the payout's base amount is negative
    base = get_settings().base_currency
    return ValidationFailed(
        f'{person.name} is owed {owed:,.2f} {base}; a payout of {-booked.base_amount:,.2f} {base} would '
        f'overdraw that by {-booked.balance:,.2f} {base}. Allow the overdraw and say why in the memo to '
        'pay it anyway.',
        {'amount': f'More than the {owed:,.2f} {base} owed.'},
    )


def _require_view(actor: Actor, user_id: int) -> None:
    """One's own balance with COMMISSIONS_VIEW_OWN; anyone's with LEDGER_VIEW or PAYOUTS_BOOK."""
    if actor.id == user_id and actor.can(Permission.COMMISSIONS_VIEW_OWN):
        require(actor)  # refuses a stale actor
        return
    require_any(actor, *READERS)


def _person(session: Session, user_id: int) -> User:
    person = session.get(User, user_id)
    if person is None:
        raise NotFound('No such person.')
    return person


def _payee(session: Session, user_id: int) -> User:
    person = session.get(User, user_id)
    if person is None:
        raise ValidationFailed('No such person; choose an agent or a seller.', {'user_id': 'No such person.'})
    if person.role not in PAYEE_ROLES:
        raise ValidationFailed(
            f'{person.name} is not an agent or a seller; advances and payouts go only to them.',
            {'user_id': 'Not an agent or a seller.'},
        )
    return person


def _payment(user_id: int, amount: Any, currency: str, day: Any, memo: str | None, fx_rate: Any) -> dict[str, Any]:
    """The arguments as the input model reads them; screens send '' for an empty rate."""
    return {'user_id': user_id, 'amount': amount, 'currency': currency, 'value_date': day, 'memo': memo,
            'fx_rate': fx_rate if fx_rate not in ('', None) else None}  # fmt: skip


def _book(session: Session, actor: Actor, kind: TransactionType, data: PaymentIn) -> Booked:
    """Post the row (priced, chained, announced on commit), audit it, and read the balance it leaves."""
    entry = ledger.Entry(
        type=kind,
        amount=ledger.signed(kind, data.amount),
        currency=data.currency,
        value_date=data.value_date,
        user_id=data.user_id,
        memo=data.memo,
        fx_rate=data.fx_rate,
    )
    row = ledger.post(session, entry, created_by_id=actor.id)
    after = {'type': kind, **{name: getattr(row, name) for name in _AUDITED}}
    if isinstance(data, PayoutIn) and data.allow_overdraw:
        after['allow_overdraw'] = True
    audit.record(session, actor, f'ledger.{kind.value}', 'transaction', row.id, after=after)
    owed = session.execute(_totals_query().where(Transaction.user_id == data.user_id)).one().balance
    return Booked(transaction_id=row.id, type=kind, amount=row.amount, currency=row.currency,
                  base_amount=row.base_amount, balance=owed)  # fmt: skip


def _totals_query() -> sa.Select:
    """Per category the sum of what it did to the balance (a positive figure in its direction), and the balance."""
    sums = [
        _money(
            sa.func.coalesce(sa.func.sum(sa.case((_counts_as.in_(kinds), -Transaction.base_amount), else_=0)), 0), name
        )
        for name, kinds in CATEGORIES.items()
    ]
    return _counted(sa.select(*sums, _money(sa.func.coalesce(sa.func.sum(_owed), 0), 'balance')))


def _lines_query(user_id: int) -> sa.Select:
    """All of the person's bookings, each with its effect and the running balance in (value_date, id) order."""
    running = sa.func.sum(_owed).over(order_by=(Transaction.value_date, Transaction.id))
    columns = [getattr(Transaction, name) for name in _LINE_COLUMNS]
    query = _counted(
        sa.select(*columns, _counts_as.label('counts_as'), _owed.label('effect'), _money(running, 'running'), Watch.sku)
    )
    return query.outerjoin(Watch, Watch.id == Transaction.watch_id).where(Transaction.user_id == user_id)


def _counted(query: sa.Select) -> sa.Select:
    """Only the rows that count for a person's balance: the four kinds, and reversals of them."""
    kinds = [kind for group in CATEGORIES.values() for kind in group]
    return (
        query.select_from(Transaction)
        .outerjoin(_original, _original.id == Transaction.reverses_id)
        .where(Transaction.user_id.is_not(None), _counts_as.in_(kinds))
    )


def _count(session: Session, query: sa.Select) -> int:
    return session.exec(select(sa.func.count()).select_from(query.subquery())).one()


def _money(expression: Any, name: str) -> sa.Label:
    """A sum read back as money: SQLite hands back whole cents, which only the column type turns into Decimal."""
    return sa.type_coerce(expression, Money()).label(name)


def _figures(totals: Any) -> dict[str, Decimal]:
    return {name: getattr(totals, name) for name in (*CATEGORIES, 'balance')}


def _movement(row: Any) -> Movement:
    values = {name: row[name] for name in Movement.model_fields if name in row}
    return Movement(**values, category=CATEGORY_OF[TransactionType(row['counts_as'])])
