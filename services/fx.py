"""Exchange rates: the ECB import, rates set by hand, the latest rates and their history, and conversions.

A rate is units of a currency per one unit of the base currency on a day (see db.ledger.FxRate). The ECB quotes
per euro: with the euro as base its figures are stored as they are; with another base each is divided by the
base's own euro rate, and a EUR row is stored too, so every currency the ECB knows can be converted. A rate set
by hand wins over the ECB's for its day: an import never overwrites one, and says so.

Conversions go through the base currency with the ledger's own lookup (`ledger.rate_for`: the day's rate or the
latest of the week before it), so a converted figure on screen is the one a booking would get.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from config import get_settings
from db.engine import session_scope
from db.ledger import FxRate
from services import audit, bus, ledger, purchases
from services.errors import ServiceError, ValidationFailed
from services.integrations.ecb import DayRates, EcbClient, FeedError
from services.money import CENT, CURRENCIES, CurrencyCode, TypedRate, check_currency
from services.paging import Page, clamp
from services.permissions import SYSTEM, Actor, Permission, require, require_any
from services.validation import validated

TOPIC = 'fx'  # on the bus: {'currencies': [...]} whose rates changed
ECB = 'ECB'
MANUAL = 'manual'
EURO = 'EUR'
Feed = Literal['daily', '90d']
MAX_SIGNIFICANT = 12
RATE_PLACES = 8  # the column's scale (db.types.Rate)
MAX_RATE = Decimal(10) ** (20 - RATE_PLACES)  # the column's precision leaves 12 digits before the point
CROSS_DIGITS = Context(prec=12, rounding=ROUND_HALF_EVEN)  # a cross rate shown to a person
MAX_HISTORY_DAYS = 3700  # a chart of ten years of business days is still readable
SORTS = ('currency', 'rate_date', 'source')
READERS = (Permission.LEDGER_VIEW, Permission.FX_MANAGE)  # rates are read by whoever sees the ledger or manages them


class FeedFailed(ServiceError):
    """The ECB feed could not be had or read; the message is the feed client's sentence."""


class ImportResult(BaseModel):
    """What one import did: days read, rows inserted, updated and left alone (same rate, or set by hand)."""

    feed: str
    days: int
    inserted: int
    updated: int
    skipped: int
    kept_manual: list[str]  # "USD 2025-03-04": the ECB differed from a rate set by hand, which was kept
    unknown: list[str]  # codes the ECB published that are no active ISO 4217 currency
    newest: date | None
    purchases_booked: int = 0  # purchases of watches that waited for these rates (services/purchases.py)


class RateRead(BaseModel):
    currency: str
    rate_date: date
    rate: Decimal
    source: str


class LatestRate(RateRead):
    """A currency's newest rate and how it moved since the rate before it."""

    previous_rate: Decimal | None
    previous_date: date | None
    change: Decimal | None
    change_percent: Decimal | None


class Conversion(BaseModel):
    """An amount converted, with the rates used (units per one unit of the base currency) and the cross rate."""

    amount: Decimal
    from_currency: str
    to_currency: str
    day: date
    result: Decimal
    cross_rate: Decimal  # units of to_currency per one from_currency
    from_rate: Decimal
    to_rate: Decimal
    base_currency: str


class ManualRate(BaseModel):
    model_config = ConfigDict(extra='forbid')

    currency: str
    day: date
    rate: TypedRate

    @field_validator('currency')
    @classmethod
    def _currency(cls, value: str) -> str:
        code = check_currency(value)
        base = get_settings().base_currency
        if code == base:
            raise ValueError(f'{base} is the base currency, always 1; enter the rate of another currency')
        return code

    @field_validator('day')
    @classmethod
    def _day(cls, value: date) -> date:
        if value > date.today():
            raise ValueError('a rate can be set for today or an earlier day, not the future')
        return value

    @field_validator('rate')
    @classmethod
    def _rate(cls, value: Decimal) -> Decimal:
        shape = value.normalize().as_tuple()
        if len(shape.digits) > MAX_SIGNIFICANT or value >= MAX_RATE:
            raise ValueError(f'enter at most {MAX_SIGNIFICANT} significant digits')
        if int(shape.exponent) < -RATE_PLACES:
            raise ValueError(f'enter at most {RATE_PLACES} decimal places')
        return _rate_places(value)


class ConversionInput(BaseModel):
    model_config = ConfigDict(extra='forbid')

    amount: Decimal
    from_currency: CurrencyCode
    to_currency: CurrencyCode
    day: date

    @field_validator('amount')
    @classmethod
    def _amount(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or abs(value) >= MAX_RATE:
            raise ValueError('enter an amount below a trillion')
        return value


# --- importing -----------------------------------------------------------------------------------------------------


def import_feed(actor: Actor | None, feed: Feed = 'daily') -> ImportResult:
    """Fetch an ECB file and upsert its rates as source 'ECB'; None as actor is the schedule (the system).

    The feed is fetched before any transaction opens. Two imports at once (the schedule and a person's "Fetch
    now") may both insert a day: the loser's unit of work is rolled back and done again, finding the rows.
    Once new rates are in, the purchases that waited for them are booked (`purchases.book_waiting`).
    """
    if actor is not None:
        require(actor, Permission.FX_MANAGE)
    client = EcbClient(get_settings().ecb_base_url)
    try:
        fetched = client.fetch(feed, CURRENCIES)
    except FeedError as error:
        raise FeedFailed(str(error)) from None
    days = [_in_base(day) for day in fetched.days]
    for attempt in range(2):
        try:
            with session_scope() as session:
                result = _upsert(session, feed, [day for day in days if day.rates])
                result.unknown = list(fetched.unknown)
                audit.record(session, actor or SYSTEM, 'fx.imported', 'fx_rates', None, after=result.model_dump())
            break
        except IntegrityError:
            if attempt:
                raise
    if result.inserted or result.updated:
        _announce(sorted({code for day in days for code in day.rates}))
        result.purchases_booked = purchases.book_waiting(actor)
    return result


def scheduled_feed(today: date | None = None) -> Feed | None:
    """What the schedule should fetch: nothing when today's ECB rates are in, the 90 days after a gap (or on an
    empty table), else the daily file. A gap is a missing business day before today."""
    today = today or date.today()
    with session_scope() as session:
        newest = session.exec(select(func.max(FxRate.rate_date)).where(FxRate.source == ECB)).one()
    if newest is not None and newest >= today:
        return None
    return '90d' if newest is None or newest < previous_business_day(today) else 'daily'


def previous_business_day(day: date) -> date:
    """The last Monday-to-Friday before `day` (the ECB publishes on those; holidays are rare enough to refetch)."""
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _in_base(day: DayRates) -> DayRates:
    """The ECB's per-euro rates restated per one unit of the base currency (with a EUR row); a day without the
    base currency's own rate cannot be restated and comes back empty."""
    base = get_settings().base_currency
    if base == EURO:
        return DayRates(day=day.day, rates={code: _rate_places(rate) for code, rate in day.rates.items()})
    per_euro = day.rates.get(base)
    if per_euro is None:
        return DayRates(day=day.day, rates={})
    restated = {code: _rate_places(rate / per_euro) for code, rate in day.rates.items() if code != base}
    restated[EURO] = _rate_places(1 / per_euro)
    return DayRates(day=day.day, rates={code: rate for code, rate in restated.items() if rate > 0})


def _upsert(session: Session, feed: str, days: list[DayRates]) -> ImportResult:
    wanted = {(code, day.day): rate for day in days for code, rate in day.rates.items()}
    found = {
        (row.currency, row.rate_date): row
        for row in session.exec(select(FxRate).where(FxRate.rate_date.in_({day.day for day in days})))
    }
    result = ImportResult(feed=feed, days=len(days), inserted=0, updated=0, skipped=0, kept_manual=[], unknown=[],
                          newest=max((day.day for day in days), default=None))  # fmt: skip
    for (code, day), rate in sorted(wanted.items()):
        row = found.get((code, day))
        if row is None:
            session.add(FxRate(currency=code, rate_date=day, rate=rate, source=ECB))
            result.inserted += 1
        elif row.source == MANUAL:
            result.skipped += 1
            if row.rate != rate:
                result.kept_manual.append(f'{code} {day.isoformat()}')
        elif row.rate == rate and row.source == ECB:
            result.skipped += 1
        else:
            row.rate, row.source = rate, ECB
            result.updated += 1
    session.flush()
    return result


# --- rates set by hand ---------------------------------------------------------------------------------------------


def set_manual_rate(actor: Actor, currency: str, day: date | str, rate: Decimal | str) -> RateRead:
    """Set a currency's rate for a day by hand (source 'manual'); it replaces the ECB's and later imports keep it.

    Purchases that waited for a rate are booked right after (services/purchases.py `book_waiting`).
    """
    require(actor, Permission.FX_MANAGE)
    wanted = validated(ManualRate, {'currency': currency, 'day': day, 'rate': rate})
    with session_scope() as session:
        row = session.exec(
            select(FxRate).where(FxRate.currency == wanted.currency, FxRate.rate_date == wanted.day).with_for_update()
        ).first()
        before = None if row is None else {'rate': row.rate, 'source': row.source}
        if row is None:
            row = FxRate(currency=wanted.currency, rate_date=wanted.day, rate=wanted.rate, source=MANUAL)
            session.add(row)
        else:
            row.rate, row.source = wanted.rate, MANUAL
        session.flush()
        after = {'currency': row.currency, 'rate_date': row.rate_date, 'rate': row.rate, 'source': MANUAL}
        audit.record(session, actor, 'fx.rate_set', 'fx_rate', row.id, before=before, after=after)
        read = _read(row)
    _announce([read.currency])
    purchases.book_waiting(actor)
    return read


# --- reading -------------------------------------------------------------------------------------------------------


def latest(
    actor: Actor, *, offset: int = 0, limit: int = 50, sort: str = 'currency', descending: bool = False
) -> Page[LatestRate]:
    """Every currency's newest rate with its change since the rate before it (at most a few hundred currencies)."""
    require_any(actor, *READERS)
    offset, limit = clamp(offset, limit)
    order = sort if sort in SORTS else 'currency'
    ranked = select(
        FxRate.currency, FxRate.rate_date, FxRate.rate, FxRate.source,
        func.row_number().over(partition_by=FxRate.currency, order_by=FxRate.rate_date.desc()).label('position'),
    ).subquery()  # fmt: skip
    with session_scope() as session:
        rows = session.execute(select(ranked).where(ranked.c.position <= 2)).all()
    newest: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for row in rows:
        (newest if row.position == 1 else previous)[row.currency] = row
    items = [_latest(row, previous.get(code)) for code, row in newest.items()]
    items.sort(key=lambda item: (getattr(item, order), item.currency), reverse=descending)
    return Page(total=len(items), items=items[offset : offset + limit])


def history(
    actor: Actor,
    currency: str,
    start: date | None = None,
    end: date | None = None,
    *,
    offset: int = 0,
    limit: int = 25,
    descending: bool = True,
) -> Page[RateRead]:
    """A currency's rates between two days (either open), newest first, with where each came from."""
    require_any(actor, *READERS)
    offset, limit = clamp(offset, limit)
    conditions = _history_conditions(currency, start, end)
    order = FxRate.rate_date.desc() if descending else FxRate.rate_date.asc()
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(FxRate).where(*conditions)).one()
        rows = session.exec(select(FxRate).where(*conditions).order_by(order).offset(offset).limit(limit)).all()
        return Page(total=total, items=[_read(row) for row in rows])


def series(actor: Actor, currency: str, start: date, end: date) -> list[tuple[date, Decimal]]:
    """A currency's rates between two days, oldest first, for a chart (at most about ten years)."""
    require_any(actor, *READERS)
    if end < start:
        raise ValidationFailed('The period ends before it starts.', {'end': 'A day on or after the start.'})
    if (end - start).days > MAX_HISTORY_DAYS:
        raise ValidationFailed('Choose a period of at most ten years.', {'start': 'At most ten years before the end.'})
    with session_scope() as session:
        rows = session.execute(
            sa.select(FxRate.rate_date, FxRate.rate)
            .where(*_history_conditions(currency, start, end))
            .order_by(FxRate.rate_date)
        ).all()
    return [(row.rate_date, row.rate) for row in rows]


def conversion(
    actor: Actor, amount: Decimal | str, from_currency: str, to_currency: str, day: date | str
) -> Conversion:
    """The converter on screen: `convert` with the rates it used, for whoever may see rates."""
    require_any(actor, *READERS)
    wanted = validated(
        ConversionInput, {'amount': amount, 'from_currency': from_currency, 'to_currency': to_currency, 'day': day}
    )
    with session_scope() as session:
        from_rate = _rate(session, wanted.from_currency, wanted.day, 'from_currency')
        to_rate = _rate(session, wanted.to_currency, wanted.day, 'to_currency')
    return Conversion(
        **wanted.model_dump(),
        result=_cents(wanted.amount * to_rate / from_rate),
        cross_rate=CROSS_DIGITS.divide(to_rate, from_rate),
        from_rate=from_rate,
        to_rate=to_rate,
        base_currency=get_settings().base_currency,
    )


def convert(
    amount: Decimal, from_currency: str, to_currency: str, day: date, *, session: Session | None = None
) -> Decimal:
    """`amount` of one currency in another on `day` through the base currency, to the cent, half to even.

    For services that have authorised their caller already; ValidationFailed names the currency and the day when
    no rate of the week up to `day` is known.
    """
    return _cents(Decimal(amount) * _cross(from_currency, to_currency, day, session))


def rate_between(from_currency: str, to_currency: str, day: date, *, session: Session | None = None) -> Decimal:
    """Units of `to_currency` per one `from_currency` on `day`, to 12 significant digits."""
    return CROSS_DIGITS.plus(_cross(from_currency, to_currency, day, session))


def _cross(from_currency: str, to_currency: str, day: date, session: Session | None) -> Decimal:
    """The unrounded cross rate (exact to Decimal's 28 digits), in the caller's session or a new one."""
    codes = [_code(from_currency, 'from_currency'), _code(to_currency, 'to_currency')]
    if session is None:
        with session_scope() as own:
            return _cross(*codes, day, own)
    from_rate = _rate(session, codes[0], day, 'from_currency')
    return _rate(session, codes[1], day, 'to_currency') / from_rate


def _rate(session: Session, currency: str, day: date, field: str) -> Decimal:
    """The ledger's rate lookup, its refusal put under the field of the currency it is about."""
    try:
        return ledger.rate_for(session, currency, day)
    except ValidationFailed as error:
        raise ValidationFailed(str(error), {field: f'No {currency} rate for {day.isoformat()}.'}) from None


def _code(value: str, field: str) -> str:
    try:
        return check_currency(value)
    except ValueError as error:
        raise ValidationFailed(str(error), {field: str(error)}) from None


def _history_conditions(currency: str, start: date | None, end: date | None) -> list[sa.ColumnElement[bool]]:
    conditions = [FxRate.currency == _code(currency, 'currency')]
    if start:
        conditions.append(FxRate.rate_date >= start)
    if end:
        conditions.append(FxRate.rate_date <= end)
    return conditions


def _latest(row: Any, before: Any | None) -> LatestRate:
    change = None if before is None else row.rate - before.rate
    percent = None if before is None else (change * 100 / before.rate).quantize(Decimal('0.01'), ROUND_HALF_EVEN)
    return LatestRate(currency=row.currency, rate_date=row.rate_date, rate=row.rate, source=row.source,
                      previous_rate=before and before.rate, previous_date=before and before.rate_date,
                      change=change, change_percent=percent)  # fmt: skip


def _read(row: FxRate) -> RateRead:
    return RateRead(currency=row.currency, rate_date=row.rate_date, rate=row.rate, source=row.source)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _rate_places(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_EVEN)


def _announce(currencies: list[str]) -> None:
    """Tell the screens showing rates (after the commit)."""
    bus.get_bus().publish(TOPIC, {'currencies': currencies})
