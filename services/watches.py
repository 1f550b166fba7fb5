"""The watch record: intake with a generated SKU, reading, editing under optimistic locking, and soft deletion.

Two people editing the same watch must never silently overwrite each other, so every write names the version
it was based on and the database refuses it when someone saved in between. Purchase costs, suppliers and
serial numbers are hidden from roles that may not see them, on the way out and on the way in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
)
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import Gender, Movement
from db.inventory import SkuCounter, Watch
from db.places import Batch, Location
from db.system import AuditEntry
from db.types import utcnow
from db.workflow import Stage, StageEvent
from services import audit, events, grading, money, notifications, purchases, reference, settings, sku
from services.errors import Conflict, PermissionDenied, ValidationFailed
from services.permissions import Actor, Permission, require
from services.scope import scoped, watch_in_scope

COST_FIELDS = frozenset({'purchase_cost', 'purchase_currency', 'supplier_id'})
_COST_SOURCES = frozenset({'purchase_cost', 'purchase_currency', 'purchased_on'})
_LINKS: dict[str, tuple[type, str]] = {
    'location_id': (Location, 'No such location.'),
    'batch_id': (Batch, 'No such batch.'),
    'agent_id': (User, 'No such user.'),
    'seller_id': (User, 'No such user.'),
    'supplier_id': (Contact, 'No such contact.'),
}
_VERBS = {'watch.stage_moved': 'moved'}  # how a conflict names the last change; anything else was 'saved'
_MESSAGES = {
    'missing': 'Required.',
    'string_too_long': 'At most {max_length} characters.',
    'int_parsing': 'Enter a whole number.',
    'int_from_float': 'Enter a whole number.',
    'int_type': 'Enter a whole number.',
    'float_parsing': 'Enter a number.',
    'float_type': 'Enter a number.',
    'decimal_parsing': 'Enter an amount such as 1250.00.',
    'decimal_type': 'Enter an amount such as 1250.00.',
    'finite_number': 'Enter an amount such as 1250.00.',
    'decimal_max_places': 'Use at most 2 decimals.',
    'decimal_max_digits': 'This amount is too large.',
    'decimal_whole_digits': 'This amount is too large.',
    'greater_than': 'Must be more than {gt}.',
    'greater_than_equal': 'Must not be negative.',
    'date_parsing': 'Enter a date such as 2024-05-31.',
    'date_from_datetime_parsing': 'Enter a date such as 2024-05-31.',
    'date_from_datetime_inexact': 'Enter a date such as 2024-05-31.',
    'date_type': 'Enter a date such as 2024-05-31.',
    'enum': 'Choose one of {expected}.',
    'bool_parsing': 'Choose yes or no.',
    'bool_type': 'Choose yes or no.',
    'extra_forbidden': 'This cannot be set here.',
}
Day = date  # ServiceRecord has a field called `date`


def _one_line(value: Any) -> Any:
    """Trim and collapse inner whitespace; an empty string means "not given"."""
    return (' '.join(value.split()) or None) if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def _blank(value: Any) -> Any:
    """Screens send '' for an empty number, date or choice."""
    return None if isinstance(value, str) and not value.strip() else value


def _cents(value: Decimal) -> Decimal:
    """2400 becomes 2400.00, as the database will hand it back."""
    return value.quantize(money.CENT)


def _currency(value: Any) -> str | None:
    value = _blank(value)
    return None if value is None else money.check_currency(value)


Line = Annotated[str | None, BeforeValidator(_one_line)]
Text = Annotated[Annotated[str, Field(max_length=20_000)] | None, BeforeValidator(_text)]
Id = Annotated[Annotated[int, Field(gt=0)] | None, BeforeValidator(_blank)]  # gt on the int: None must pass
Cents = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2), AfterValidator(_cents)]
Amount = Annotated[Cents | None, BeforeValidator(_blank)]
Currency = Annotated[str | None, BeforeValidator(_currency)]
BlankIsNone = BeforeValidator(_blank)


class ServiceRecord(BaseModel):
    """One visit to a watchmaker: when, who, and what was done."""

    model_config = ConfigDict(extra='forbid')

    date: Annotated[Day | None, BlankIsNone] = None
    watchmaker: Line = Field(default=None, max_length=120)
    work: str = Field(max_length=500)

    @field_validator('work', mode='before')
    @classmethod
    def _work(cls, value: Any) -> Any:
        if _one_line(value) is None:
            raise ValueError('Describe the work done.')
        return _one_line(value)

    @field_serializer('date')
    def _iso(self, value: Day | None) -> str | None:
        return None if value is None else value.isoformat()


class WatchCreate(BaseModel):
    """Everything a person may enter about a watch; the SKU, stage and derived fields are the system's."""

    model_config = ConfigDict(extra='forbid')

    brand: str = Field(max_length=60)
    model: str = Field(max_length=120)
    reference: Line = Field(default=None, max_length=60)
    serial: Line = Field(default=None, max_length=60)
    movement: Annotated[Movement | None, BlankIsNone] = None
    calibre: Line = Field(default=None, max_length=60)
    year: Annotated[int | None, BlankIsNone] = None
    period: Line = Field(default=None, max_length=40)
    case_material: Line = Field(default=None, max_length=60)
    case_diameter_mm: Annotated[float | None, BlankIsNone] = None
    dial: Line = Field(default=None, max_length=80)
    strap: Line = Field(default=None, max_length=80)
    gender: Annotated[Gender | None, BlankIsNone] = None
    condition: dict[str, dict[str, str | None]] = Field(default_factory=dict)
    box: bool = False
    papers: bool = False
    service_history: list[ServiceRecord] = Field(default_factory=list)
    description: Text = None
    notes: Text = None
    location_id: Id = None
    batch_id: Id = None
    agent_id: Id = None
    seller_id: Id = None
    supplier_id: Id = None
    purchase_cost: Amount = None
    purchase_currency: Currency = None
    asking_price: Amount = None
    reserve_price: Amount = None
    price_currency: Currency = None
    purchased_on: Annotated[date | None, BlankIsNone] = None
    sold_on: Annotated[date | None, BlankIsNone] = None

    @field_validator('brand', 'model', mode='before')
    @classmethod
    def _required(cls, value: Any) -> Any:
        if _one_line(value) is None:
            raise ValueError('Required.')
        return _one_line(value)

    @field_validator('serial')
    @classmethod
    def _serial(cls, value: str | None) -> str | None:
        return value and value.upper()

    @field_validator('year')
    @classmethod
    def _year(cls, value: int | None) -> int | None:
        if value is not None and not 1800 <= value <= date.today().year:
            raise ValueError(f'Enter a year between 1800 and {date.today().year}.')
        return value

    @field_validator('case_diameter_mm')
    @classmethod
    def _diameter(cls, value: float | None) -> float | None:
        if value is not None and not 15 <= value <= 60:
            raise ValueError('Enter a case diameter between 15 and 60 mm.')
        return value

    @field_validator('condition', 'service_history', mode='before')
    @classmethod
    def _none_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is not None else {'condition': {}, 'service_history': []}[info.field_name]

    @field_validator('condition')
    @classmethod
    def _condition(cls, value: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str]]:
        """Grades left empty are dropped; anything else must be on the grading scale."""
        try:
            return grading.validate({part: {k: v for k, v in aspects.items() if v} for part, aspects in value.items()})
        except ValueError as error:
            raise ValueError(f'{str(error)[:1].upper()}{str(error)[1:]}.') from None


class WatchUpdate(WatchCreate):
    """The same fields, none required; only the fields a caller sets are changed (`model_fields_set`)."""

    brand: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=120)


class WatchRead(BaseModel):
    """A watch as screens see it, with the names it links to; hidden fields are None for roles that may not see them."""

    id: int
    sku: str
    brand: str
    model: str
    reference: str | None
    reference_norm: str | None
    serial: str | None
    movement: Movement | None
    calibre: str | None
    year: int | None
    period: str | None
    case_material: str | None
    case_diameter_mm: float | None
    dial: str | None
    strap: str | None
    gender: Gender | None
    condition: dict[str, dict[str, str]]
    condition_grade: str | None
    box: bool
    papers: bool
    service_history: list[ServiceRecord]
    description: str | None
    notes: str | None
    stage_id: int
    stage_key: str
    stage_name: str
    stage_colour: str
    location_id: int | None
    location_name: str | None
    batch_id: int | None
    batch_number: str | None
    agent_id: int | None
    agent_name: str | None
    seller_id: int | None
    seller_name: str | None
    supplier_id: int | None
    purchase_cost: Decimal | None
    purchase_currency: str | None
    purchase_cost_base: Decimal | None
    asking_price: Decimal | None
    reserve_price: Decimal | None
    price_currency: str | None
    purchased_on: date | None
    sold_on: date | None
    image_count: int
    version: int
    created_at: datetime
    updated_at: datetime | None


EDITABLE = tuple(WatchCreate.model_fields)
DERIVED = ('reference_norm', 'condition_grade', 'purchase_cost_base')


@overload
def parse_watch(values: dict[str, Any], *, partial: Literal[False] = False) -> WatchCreate: ...
@overload
def parse_watch(values: dict[str, Any], *, partial: Literal[True]) -> WatchUpdate: ...
def parse_watch(values: dict[str, Any], *, partial: bool = False) -> WatchCreate | WatchUpdate:
    """Validate raw form input; every bad field gets a sentence in `ValidationFailed.fields`."""
    try:
        return (WatchUpdate if partial else WatchCreate).model_validate(values)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for item in error.errors():
            fields.setdefault(str(item['loc'][0]), _sentence(item))
        raise _refusal(fields) from None


def create_watch(actor: Actor, data: WatchCreate) -> WatchRead:
    """Take a watch in: a fresh SKU, the initial stage, its first history event, and an audit entry."""
    require(actor, Permission.INVENTORY_CREATE)
    values = intake_values(actor, data)
    with session_scope() as session:
        watch = insert_watch(session, actor, values, initial_stage_id(session))
        after = {name: value for name, value in watch.model_dump().items() if value not in (None, {}, [])}
        audit.record(session, actor, 'watch.created', 'watch', watch.id, after=after)
        tell_agents(session, actor, [watch])
        return read_watch(session, actor, watch)


def intake_values(actor: Actor, data: WatchCreate) -> dict[str, Any]:
    """The values a new watch is stored with: hidden fields refused, an agent's own watch, rules between fields.

    Shared by intake and the spreadsheet import, so a watch comes in the same way whichever door it uses.
    """
    values = _permitted(actor, data.model_dump())
    if not actor.sees_all_watches:
        values['agent_id'] = actor.id
    _check_rules(values)
    return values


def initial_stage_id(session: Session) -> int:
    """The stage every new watch starts in (read once by an import, not once per row)."""
    return session.exec(select(Stage.id).where(Stage.is_initial)).one()


def insert_watch(
    session: Session, actor: Actor, values: dict[str, Any], stage_id: int, *, given_sku: str | None = None
) -> Watch:
    """Add one watch and its first stage event in the caller's transaction, without an audit entry.

    `values` come from `intake_values`. An import that keeps a watch's old SKU passes it as `given_sku` after
    checking it is free; otherwise the month's counter gives the next one. The caller records the audit entry
    (one per watch for intake, one for a whole import). A purchase cost is booked in the ledger here (see
    services/purchases.py), so every door a watch comes in by books it.
    """
    _check_links(session, values)
    watch = Watch(
        **values,
        **_derived(session, values, set(values)),
        sku=given_sku or allocate_sku(session, date.today()),
        stage_id=stage_id,
        created_by_id=actor.id,
    )
    session.add(watch)
    session.flush()
    session.add(StageEvent(watch_id=watch.id, to_stage_id=stage_id, actor_id=actor.id))
    events.record(session, events.WATCH_CHANGED, ids=[watch.id])
    purchases.sync(session, actor, watch)
    return watch


def get_watch(actor: Actor, watch_id: int) -> WatchRead:
    with session_scope() as session:
        return read_watch(session, actor, watch_in_scope(session, actor, watch_id))


def find_by_sku(actor: Actor, text: str) -> int | None:
    """The watch a barcode scanner (or a person) typed the SKU of, in any case; None when unknown or out of scope."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = text.strip().upper()
    if not wanted:
        return None
    with session_scope() as session:
        return session.exec(scoped(select(Watch.id).where(Watch.sku == wanted), actor)).first()


def serial_matches(actor: Actor, serial: str, exclude_id: int | None = None) -> list[tuple[int, str]]:
    """Earlier watches with this serial as (id, SKU), for the "seen before" warning; empty without serial access."""
    if not actor.can(Permission.SERIAL_VIEW):
        return []
    require(actor, Permission.INVENTORY_VIEW)
    wanted = (_one_line(serial) or '').upper()
    if not wanted:
        return []
    query = select(Watch.id, Watch.sku).where(Watch.serial == wanted)
    if exclude_id is not None:
        query = query.where(Watch.id != exclude_id)
    with session_scope() as session:
        rows = session.exec(scoped(query, actor).order_by(Watch.created_at, Watch.id).limit(20)).all()
        return [(watch_id, watch_sku) for watch_id, watch_sku in rows]


def reference_autofill(text: str) -> dict[str, Any] | None:
    """What intake can fill in from a typed reference, from the curated reference table; None when unknown."""
    found = reference.by_reference(text)
    if found is None:
        return None
    return {
        'brand': found.brand,
        'model': found.model,
        'reference': found.reference,
        'calibre': found.calibre,
        'movement': found.movement,
        'case_material': found.case_material,
        'case_diameter_mm': found.diameter_mm,
        'year_from': found.year_from,
        'year_to': found.year_to,
    }


def update_watch(actor: Actor, watch_id: int, data: WatchUpdate, *, version: int) -> WatchRead:
    """Change the fields `data` sets, provided nobody saved the watch since `version` was read."""
    require(actor, Permission.INVENTORY_EDIT)
    requested = _permitted(actor, data.model_dump(include=data.model_fields_set))
    with session_scope() as session:
        watch = watch_in_scope(session, actor, watch_id)
        if not actor.sees_all_watches and requested.get('agent_id', watch.agent_id) != watch.agent_id:
            raise PermissionDenied('You may not hand a watch over to someone else.')
        current = {name: getattr(watch, name) for name in (*EDITABLE, *DERIVED)}
        merged = {**current, **requested}
        _check_rules(merged)
        _check_links(session, requested)
        before, after = audit.changes(current, {**requested, **_derived(session, merged, set(requested))})
        if after:
            save_versioned(session, actor, watch, version, after)
            audit.record(session, actor, 'watch.updated', 'watch', watch.id, before=before, after=after)
            if after.keys() & purchases.SOURCES:
                purchases.sync(session, actor, watch)
            if 'agent_id' in after:
                tell_agents(session, actor, [watch])
        return read_watch(session, actor, watch)


def delete_watch(actor: Actor, watch_id: int, *, version: int) -> None:
    """Soft delete: the row stays (with its history and ledger links) and its SKU is never handed out again."""
    require(actor, Permission.INVENTORY_DELETE)
    with session_scope() as session:
        watch = watch_in_scope(session, actor, watch_id)
        save_versioned(session, actor, watch, version, {'deleted_at': utcnow()})
        after = {'sku': watch.sku, 'deleted_at': watch.deleted_at}
        audit.record(session, actor, 'watch.deleted', 'watch', watch.id, before={'deleted_at': None}, after=after)


def tell_agents(session: Session, actor: Actor, assigned: list[Watch]) -> None:
    """Leave each agent a notification about the watches just put in their name, unless they did it themselves.

    One watch links to its page; several (an import) make one notification per agent, linking to the first.
    """
    by_agent: dict[int, list[Watch]] = {}
    for watch in assigned:
        if watch.agent_id is not None and watch.agent_id != actor.id:
            by_agent.setdefault(watch.agent_id, []).append(watch)
    for agent_id, mine in by_agent.items():
        first = mine[0]
        if len(mine) == 1:
            title, body = f'{first.sku} was assigned to you', f'{first.brand} {first.model} · by {actor.name}'
        else:
            title, body = f'{len(mine):,} watches were assigned to you', f'{first.sku} and more · by {actor.name}'
        notifications.notify(
            session, agent_id, kind=notifications.WATCH_ASSIGNED, title=title, body=body, link=f'/watches/{first.id}'
        )


def allocate_sku(session: Session, day: date) -> str:
    """The next SKU for `day`'s month, in the caller's transaction.

    One atomic upsert increments the month's counter and returns it, so concurrent intakes never share a number
    and a number is never handed out twice. Numbers whose SKU is already taken (a watch imported with its old
    SKU, or one made under an earlier pattern) are skipped.
    """
    pattern = settings.setting_value(session, 'sku.pattern')
    insert = postgresql.insert if session.get_bind().dialect.name == 'postgresql' else sqlite.insert
    bump = (
        insert(SkuCounter)
        .values(period=sku.period_key(day), value=1)
        .on_conflict_do_update(index_elements=[SkuCounter.period], set_={'value': SkuCounter.value + 1})
        .returning(SkuCounter.value)
    )
    while True:
        candidate = sku.format_sku(day, session.exec(bump).scalar_one(), pattern).upper()
        if session.exec(select(Watch.id).where(Watch.sku == candidate)).first() is None:
            return candidate


def save_versioned(session: Session, actor: Actor, watch: Watch, version: int, values: dict[str, Any]) -> None:
    """Write `values` and bump the version, only if the watch is still at `version`; else Conflict naming who saved.

    The version check is part of the UPDATE itself, so it holds even when two saves arrive at the same moment.
    """
    statement = (
        update(Watch)
        .where(Watch.id == watch.id, Watch.version == version)
        .values(**values, version=Watch.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if session.exec(statement).rowcount == 0:
        raise Conflict(_last_change(session, actor, watch))
    events.record(session, events.WATCH_CHANGED, ids=[watch.id])
    session.refresh(watch)


def read_watch(session: Session, actor: Actor, watch: Watch) -> WatchRead:
    """The read schema for a watch the caller has already scoped, with the fields the actor may not see blanked."""
    stage = session.get(Stage, watch.stage_id)
    assert stage is not None
    values = watch.model_dump()
    values.update(
        stage_key=stage.key,
        stage_name=stage.name,
        stage_colour=stage.colour,
        location_name=_lookup(session, Location, watch.location_id),
        batch_number=_lookup(session, Batch, watch.batch_id, 'batch_number'),
        agent_name=_lookup(session, User, watch.agent_id),
        seller_name=_lookup(session, User, watch.seller_id),
    )
    hidden = _hidden(actor)
    values.update(dict.fromkeys(hidden | ({'purchase_cost_base'} if 'purchase_cost' in hidden else set())))
    return WatchRead.model_validate(values)


def _hidden(actor: Actor) -> frozenset[str]:
    """The editable fields this actor may neither see nor set."""
    hidden = set() if actor.can(Permission.COST_VIEW) else set(COST_FIELDS)
    return frozenset(hidden if actor.can(Permission.SERIAL_VIEW) else hidden | {'serial'})


def _permitted(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Drop hidden fields sent back empty (a form echoing what it was shown); refuse any value in them."""
    hidden = _hidden(actor)
    refused = sorted(name for name in hidden & values.keys() if values[name] is not None)
    if refused:
        labels = ', '.join(_label(name) for name in refused)
        raise PermissionDenied(f'Your role ({actor.role.value}) may not set the {labels}.')
    return {name: value for name, value in values.items() if name not in hidden}


def _check_rules(values: dict[str, Any]) -> None:
    """Rules between fields, checked on the watch as it would be after the change."""
    fields = {}
    if values.get('purchase_cost') is not None and not values.get('purchase_currency'):
        fields['purchase_currency'] = 'Choose the currency the watch was bought in.'
    if (values.get('asking_price') or values.get('reserve_price')) is not None and not values.get('price_currency'):
        fields['price_currency'] = 'Choose the currency of the prices.'
    asking, reserve = values.get('asking_price'), values.get('reserve_price')
    if asking is not None and reserve is not None and reserve > asking:
        fields['reserve_price'] = 'The reserve price cannot be above the asking price.'
    bought, sold = values.get('purchased_on'), values.get('sold_on')
    if bought and sold and sold < bought:
        fields['sold_on'] = 'The sale date cannot be before the purchase date.'
    if fields:
        raise _refusal(fields)


def _check_links(session: Session, values: dict[str, Any]) -> None:
    """Refuse ids of locations, batches, users or contacts that do not exist, field by field."""
    fields = {
        name: message
        for name, (table, message) in _LINKS.items()
        if values.get(name) is not None and session.get(table, values[name]) is None
    }
    if fields:
        raise _refusal(fields)


def _derived(session: Session, values: dict[str, Any], changed: set[str]) -> dict[str, Any]:
    """Recompute what follows from the changed fields only (an unrelated edit must not re-convert the cost)."""
    derived: dict[str, Any] = {}
    if 'reference' in changed:
        derived['reference_norm'] = reference.normalise_reference(values['reference'] or '') or None
    if 'condition' in changed:
        derived['condition_grade'] = grading.overall(values['condition'])
    if changed & _COST_SOURCES:
        cost, currency = values.get('purchase_cost'), values.get('purchase_currency')
        day = values.get('purchased_on') or date.today()
        derived['purchase_cost_base'] = money.to_base(session, cost, currency, day) if cost is not None else None
    return derived


def _last_change(session: Session, actor: Actor, watch: Watch) -> str:
    """'Anna Berg saved this watch at 14:03 ...', from the watch's latest audit entry."""
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity_type == 'watch', AuditEntry.entity_id == str(watch.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return 'Someone saved this watch while you were editing; your changes were not saved. Reload to see theirs.'
    who = 'You' if entry.actor_id == actor.id else _lookup(session, User, entry.actor_id) or 'The system'
    when = entry.at.astimezone()
    at = f'{when:%H:%M}' if when.date() == datetime.now().astimezone().date() else f'{when:%d %b %Y %H:%M}'
    verb = _VERBS.get(entry.action, 'saved')
    return f'{who} {verb} this watch at {at} while you were editing; your changes were not saved. Reload to see theirs.'


def _lookup(session: Session, table: type, row_id: int | None, attribute: str = 'name') -> str | None:
    row = session.get(table, row_id) if row_id else None
    return getattr(row, attribute) if row else None


def _refusal(fields: dict[str, str]) -> ValidationFailed:
    if len(fields) == 1:
        ((name, message),) = fields.items()
        return ValidationFailed(f'{_label(name).capitalize()}: {message}', fields)
    labels = [_label(name) for name in fields]
    return ValidationFailed(f'Please correct the {", ".join(labels[:-1])} and {labels[-1]}.', fields)


def _sentence(error: Any) -> str:
    """A pydantic error as a sentence for the field it is shown next to."""
    template = _MESSAGES.get(error['type'])
    text = template.format(**error.get('ctx', {})) if template else str(error['msg']).removeprefix('Value error, ')
    if error['loc'][0] == 'service_history' and len(error['loc']) > 1:
        return f'Entry {int(error["loc"][1]) + 1}: {text}'
    return text


def _label(name: str) -> str:
    return name.removesuffix('_id').removesuffix('_mm').replace('_', ' ')
