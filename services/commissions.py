"""Commission rules (who earns what per sale) and the commissions a recorded sale books for its agent and seller.

A rule belongs to one user or to everyone in a role. On a sale, the agent and the seller of the watch each get
the commission of the rule in force for them on the sale date: their own rule wins over their role's; no rule,
no commission. Rules are never deleted: one that no longer applies is switched off or given an end date,
so each booking's calculation (kept in its memo) stays explainable.

Tiers are marginal, like income tax brackets: with 5 % and a tier {above 10,000: 8 %}, a basis of 12,000 earns
5 % of the first 10,000 and 8 % of the 2,000 above it (500 + 160 = 660). The basis is the sale price, or the
gross profit: the sale less every cost booked on the watch (purchase, service, shipping, platform fees, refunds,
adjustments; commissions excluded), all in the base currency at the rates they were booked at. A loss earns
nothing. Minimum and maximum clamp the result. Tier thresholds, minimum and maximum are in the rule's currency,
converted at the sale day's rate; the commission is computed in the base currency and booked in the rule's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, or_, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import CommissionBasis, Role, TransactionType
from db.inventory import Watch
from db.ledger import CommissionRule, Transaction
from db.sales import Sale
from services import audit, ledger
from services.errors import NotFound, ValidationFailed
from services.money import CENT, CurrencyCode
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.validation import validated

T = TransactionType
BASES = {CommissionBasis.SALE_PRICE: 'sale price', CommissionBasis.GROSS_PROFIT: 'gross profit'}
# What gross profit takes off the sale: every cost booked on the watch, commissions excluded (they follow from it).
COSTS = (T.PURCHASE, T.SERVICE, T.SHIPPING, T.PLATFORM_FEE, T.REFUND, T.ADJUSTMENT)
EARNERS = (('agent_id', T.AGENT_COMMISSION), ('seller_id', T.SELLER_COMMISSION))
HUNDRED = Decimal(100)
_AMOUNT = {'ge': 0, 'max_digits': 16, 'decimal_places': 2}
_PERCENT = {'ge': 0, 'le': 100, 'decimal_places': 4}


# --- schemas -----------------------------------------------------------------------------------------------------


class Tier(BaseModel):
    """Above this amount (of the basis, in the rule's currency) the part beyond it earns `percent`."""

    model_config = ConfigDict(extra='forbid')

    above: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    percent: Decimal = Field(**_PERCENT)


class RuleIn(BaseModel):
    """A rule as a form sends it: for a user or for a role (exactly one)."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    user_id: int | None = None
    role: Role | None = None
    basis: CommissionBasis
    percent: Decimal = Field(**_PERCENT)
    tiers: list[Tier] = Field(default_factory=list, max_length=10)
    minimum: Decimal | None = Field(default=None, **_AMOUNT)
    maximum: Decimal | None = Field(default=None, **_AMOUNT)
    currency: CurrencyCode
    valid_from: date
    valid_to: date | None = None
    active: bool = True


class RuleRead(BaseModel):
    """A rule as the rules screen shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    user_name: str | None
    role: Role | None
    basis: CommissionBasis
    percent: Decimal
    tiers: list[Tier]
    minimum: Decimal | None
    maximum: Decimal | None
    currency: str
    valid_from: date
    valid_to: date | None
    active: bool
    created_at: datetime

    @property
    def subject(self) -> str:
        return self.user_name or f'Every {self.role.value if self.role else "?"}'


# --- the rules -----------------------------------------------------------------------------------------------------


def list_rules(
    actor: Actor, *, offset: int = 0, limit: int = 25, active: bool | None = None, descending: bool = False
) -> Page[RuleRead]:
    """A page of rules, by subject (roles first, then people by name) and newest validity first."""
    require(actor, Permission.COMMISSIONS_MANAGE)
    offset, limit = clamp(offset, limit)
    query = select(CommissionRule, User.name).outerjoin(User, User.id == CommissionRule.user_id)
    if active is not None:
        query = query.where(CommissionRule.active == active)
    name = func.coalesce(User.name, '')
    order = (name.desc(), CommissionRule.role, CommissionRule.valid_from.desc()) if descending else (
        name, CommissionRule.role, CommissionRule.valid_from.desc())  # fmt: skip
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(*order, CommissionRule.id).offset(offset).limit(limit)).all()
        return Page(total=total, items=[_read(rule, user_name) for rule, user_name in rows])


def get_rule(actor: Actor, rule_id: int) -> RuleRead:
    require(actor, Permission.COMMISSIONS_MANAGE)
    with session_scope() as session:
        rule = _rule(session, rule_id)
        return _read(rule, _user_name(session, rule.user_id))


def create_rule(actor: Actor, data: RuleIn | dict[str, Any]) -> RuleRead:
    """A new rule; refused with field messages when it is inconsistent or overlaps an active one of its subject."""
    require(actor, Permission.COMMISSIONS_MANAGE)
    data = _checked(data)
    with session_scope() as session:
        _check_subject(session, data)
        _check_overlap(session, data, exclude_id=None)
        rule = CommissionRule(**_values(data))
        session.add(rule)
        session.flush()
        audit.record(session, actor, 'commission_rule.created', 'commission_rule', rule.id, after=_values(data))
        return _read(rule, _user_name(session, rule.user_id))


def update_rule(actor: Actor, rule_id: int, data: RuleIn | dict[str, Any]) -> RuleRead:
    """Change a rule (switching it off included); bookings already made keep what they were booked with."""
    require(actor, Permission.COMMISSIONS_MANAGE)
    data = _checked(data)
    with session_scope() as session:
        rule = _rule(session, rule_id)
        _check_subject(session, data)
        _check_overlap(session, data, exclude_id=rule.id)
        before, after = audit.changes(_stored(rule), _values(data))
        for key, value in after.items():
            setattr(rule, key, value)
        if after:
            audit.record(session, actor, 'commission_rule.updated', 'commission_rule', rule.id, before=before,
                         after=after)  # fmt: skip
        return _read(rule, _user_name(session, rule.user_id))


# --- commissions of a sale -----------------------------------------------------------------------------------------


def commissions_for_sale(session: Session, watch: Watch, sale: Sale, sale_base: Decimal) -> list[ledger.Entry]:
    """The commission bookings a sale earns its watch's agent and seller (none without a rule or on a loss).

    `sale_base` is the sale price in the base currency; the watch's costs must be booked (flushed) already.
    """
    entries = []
    for column, kind in EARNERS:
        user = session.get(User, getattr(watch, column)) if getattr(watch, column) else None
        rule = _rule_for(session, user, sale.sold_on) if user else None
        if user is None or rule is None:
            continue
        basis = sale_base if rule.basis is CommissionBasis.SALE_PRICE else _gross_profit(session, watch, sale_base)
        rate = _rate(session, rule.currency, sale)
        amount, memo = calculate(rule, basis, rate)
        if amount > 0:
            entries.append(
                _entry(kind, user.id, rule.currency, (amount * rate).quantize(CENT), rate, watch, sale, memo)
            )
    return entries


def calculate(rule: CommissionRule | RuleIn, basis: Decimal, rate: Decimal) -> tuple[Decimal, str]:
    """The commission in the base currency on `basis` (base currency) and the sentence saying how it was reached.

    `rate` is units of the rule's currency per unit of the base currency on the sale day.
    """
    base, label = get_settings().base_currency, BASES[rule.basis]
    if basis <= 0:
        return Decimal(0), f'No commission on {_money(basis, base)} {label}'
    steps = _steps(rule, rate)
    pieces = []  # (portion of the basis, its percent)
    for index, (start, percent) in enumerate(steps):
        if basis <= start:
            break
        end = steps[index + 1][0] if index + 1 < len(steps) else basis
        pieces.append((min(basis, end) - start, percent))
    amount = sum((portion * percent / HUNDRED for portion, percent in pieces), Decimal(0))
    if len(pieces) == 1:
        memo = f'{_percent(pieces[0][1])} % of {_money(basis, base)} {label}'
    else:
        tiers = ' + '.join(f'{_percent(percent)} % of {_money(portion, base)}' for portion, percent in pieces)
        memo = f'{tiers} on {_money(basis, base)} {label}'
    return _clamped(rule, amount.quantize(CENT, rounding=ROUND_HALF_EVEN), rate, memo)


def rules_screen_help() -> str:
    """How tiers work, in the words the rules screen shows."""
    return (
        'Tiers are marginal: each percentage applies only to the part of the basis above its threshold. '
        'With 5 % and a tier "above 10,000: 8 %", a sale of 12,000 earns 5 % of 10,000 plus 8 % of 2,000 = 660. '
        'Gross profit is the sale less every cost booked on the watch (commissions excluded); a loss earns nothing. '
        "A person's own rule wins over their role's."
    )


# --- helpers -------------------------------------------------------------------------------------------------------


def _checked(data: RuleIn | dict[str, Any]) -> RuleIn:
    """The input parsed, then checked as a whole: one subject, ascending tiers, max over min, end after start."""
    data = validated(RuleIn, data)
    fields = {}
    if (data.user_id is None) == (data.role is None):
        fields['subject'] = 'Choose either a person or a role.'
    aboves = [tier.above for tier in data.tiers]
    if aboves != sorted(set(aboves)):
        fields['tiers'] = 'List the tiers from the lowest threshold up, each threshold once.'
    if data.minimum is not None and data.maximum is not None and data.maximum < data.minimum:
        fields['maximum'] = 'The maximum must be at least the minimum.'
    if data.valid_to is not None and data.valid_to < data.valid_from:
        fields['valid_to'] = 'The end must not come before the start.'
    if fields:
        raise ValidationFailed(next(iter(fields.values())), fields)
    return data


def _check_subject(session: Session, data: RuleIn) -> None:
    if data.user_id is not None and session.get(User, data.user_id) is None:
        raise ValidationFailed('There is no such person.', {'subject': 'Choose a person from the list.'})


def _check_overlap(session: Session, data: RuleIn, *, exclude_id: int | None) -> None:
    """Two active rules of one subject valid on the same day would make the commission ambiguous."""
    if not data.active:
        return
    query = select(CommissionRule).where(CommissionRule.active, _same_subject(data))
    query = query.where(or_(CommissionRule.valid_to.is_(None), CommissionRule.valid_to >= data.valid_from))
    if data.valid_to is not None:
        query = query.where(CommissionRule.valid_from <= data.valid_to)
    if exclude_id is not None:
        query = query.where(CommissionRule.id != exclude_id)
    if clash := session.exec(query.limit(1)).first():
        until = clash.valid_to.isoformat() if clash.valid_to else 'open end'
        message = f'An active rule for the same subject already applies from {clash.valid_from.isoformat()} to {until}.'
        raise ValidationFailed(message, {'valid_from': message})


def _same_subject(data: RuleIn) -> Any:
    if data.user_id is not None:
        return CommissionRule.user_id == data.user_id
    return sa.and_(CommissionRule.user_id.is_(None), CommissionRule.role == data.role)


def _rule_for(session: Session, user: User, day: date) -> CommissionRule | None:
    """The user's own rule in force on `day`, else their role's."""
    active = select(CommissionRule).where(CommissionRule.active).order_by(CommissionRule.id)
    own = session.exec(active.where(CommissionRule.user_id == user.id)).all()
    role = session.exec(active.where(CommissionRule.user_id.is_(None), CommissionRule.role == user.role)).all()
    return in_force([*own, *role], day)


def in_force(rules: Sequence[CommissionRule], day: date) -> CommissionRule | None:
    """The first of `rules` valid on `day`; given a person's own rules and then their role's, each by id, that is
    the rule that pays them (the demo seed picks from rules it loaded once this way too)."""
    return next((rule for rule in rules if rule.valid_from <= day and (rule.valid_to is None or day <= rule.valid_to)),
                None)  # fmt: skip


def _gross_profit(session: Session, watch: Watch, sale_base: Decimal) -> Decimal:
    """The sale less the watch's booked costs in the base currency; a reversed cost counts as taken back."""
    original = aliased(Transaction)
    costs = session.execute(
        sa.select(func.coalesce(func.sum(Transaction.base_amount), 0))
        .outerjoin(original, original.id == Transaction.reverses_id)
        .where(Transaction.watch_id == watch.id)
        .where(or_(Transaction.type.in_(COSTS), sa.and_(Transaction.type == T.REVERSAL, original.type.in_(COSTS))))
    ).scalar_one()
    return sale_base + Decimal(costs)


def _rate(session: Session, currency: str, sale: Sale) -> Decimal:
    """The rule currency's rate on the sale day: the sale's own when they share a currency (it may be a manual one)."""
    if currency == sale.currency:
        found = session.exec(
            select(Transaction.fx_rate).where(Transaction.sale_id == sale.id, Transaction.type == T.SALE)
        ).first()
        if found is not None:
            return found
    return ledger.rate_for(session, currency, sale.sold_on)


def _entry(
    kind: TransactionType,
    user_id: int,
    currency: str,
    amount: Decimal,
    rate: Decimal,
    watch: Watch,
    sale: Sale,
    memo: str,
) -> ledger.Entry:
    return ledger.Entry(
        type=kind,
        amount=ledger.signed(kind, amount),
        currency=currency,
        value_date=sale.sold_on,
        watch_id=watch.id,
        user_id=user_id,
        sale_id=sale.id,
        reference=sale.reference,
        memo=memo,
        fx_rate=rate,
    )


def _steps(rule: CommissionRule | RuleIn, rate: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(threshold in the base currency, percent) from zero up."""
    tiers = [Tier.model_validate(tier) for tier in rule.tiers]
    return [(Decimal(0), Decimal(rule.percent))] + [
        ((tier.above / rate).quantize(CENT), tier.percent) for tier in tiers
    ]


def _clamped(rule: CommissionRule | RuleIn, amount: Decimal, rate: Decimal, memo: str) -> tuple[Decimal, str]:
    base = get_settings().base_currency
    if rule.minimum is not None and amount < (low := (rule.minimum / rate).quantize(CENT)):
        return low, f'{memo} = {_money(amount, base)}, raised to the minimum {_money(rule.minimum, rule.currency)}'
    if rule.maximum is not None and amount > (high := (rule.maximum / rate).quantize(CENT)):
        return high, f'{memo} = {_money(amount, base)}, capped at the maximum {_money(rule.maximum, rule.currency)}'
    return amount, memo


def _values(data: RuleIn) -> dict[str, Any]:
    values = data.model_dump(exclude={'tiers'})
    values['tiers'] = [{'above': str(tier.above), 'percent': str(tier.percent)} for tier in data.tiers]
    return values


def _stored(rule: CommissionRule) -> dict[str, Any]:
    return rule.model_dump(include=set(RuleIn.model_fields))


def _rule(session: Session, rule_id: int) -> CommissionRule:
    rule = session.get(CommissionRule, rule_id)
    if rule is None:
        raise NotFound('No such commission rule.')
    return rule


def _user_name(session: Session, user_id: int | None) -> str | None:
    return session.exec(select(User.name).where(User.id == user_id)).first() if user_id else None


def _read(rule: CommissionRule, user_name: str | None) -> RuleRead:
    return RuleRead(**rule.model_dump(exclude={'tiers'}), tiers=rule.tiers, user_name=user_name)


def _money(amount: Decimal, currency: str) -> str:
    return f'{amount:,.2f} {currency}'.rstrip()


def _percent(value: Decimal) -> str:
    return f'{Decimal(value).normalize():f}'
