"""Where watches are and how they travel: locations, batches and their journey, and moving watches by hand.

A batch goes strictly open -> packed -> shipped -> delivered. Watches join or leave it only while it is open or
packed; its delivery puts every watch of it at the destination. Bulk actions report, per watch, what they
refused, and a refusal of the whole action writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from config import get_settings
from db.engine import session_scope
from db.enums import BatchStatus, LocationKind
from db.inventory import Watch
from db.places import Batch, Location
from db.types import utcnow
from services import audit, events, inventory, sku
from services.bulk import BulkResult
from services.errors import Conflict, NotFound, ValidationFailed
from services.inventory import NOT_YOURS, WatchPage
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.scope import scoped
from services.validation import validated
from services.watch_filter import WatchFilter, starts_with

CHUNK = 1000  # ids per IN list: well inside every database's limit on bound parameters
NEXT_STATUS = {BatchStatus.OPEN: BatchStatus.PACKED, BatchStatus.PACKED: BatchStatus.SHIPPED,
               BatchStatus.SHIPPED: BatchStatus.DELIVERED}  # fmt: skip
EDITABLE = (BatchStatus.OPEN, BatchStatus.PACKED)
# ISO 3166-1 alpha-2, all 249 officially assigned codes
COUNTRIES = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC
CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD
GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW
MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC
SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY
UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split()  # noqa: SIM905 (249 codes read better as a block of text)
)


# --- schemas -----------------------------------------------------------------------------------------------------


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    kind: LocationKind
    address: str | None = Field(default=None, max_length=300)
    country: str | None = None

    @field_validator('name')
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return ' '.join(value.split()) if value is not None else None

    @field_validator('address')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator('country')
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.upper() not in COUNTRIES:
            raise ValueError(f'"{value}" is not an ISO 3166 country code (two letters, such as SE)')
        return value.upper()


class LocationUpdate(LocationCreate):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: LocationKind | None = None


class LocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: LocationKind
    address: str | None
    country: str | None
    active: bool


class BatchCreate(BaseModel):
    """Without a batch number the next free 'B-YYMM-NNN' of the month is given."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    batch_number: str | None = Field(default=None, max_length=30)
    origin_id: int
    destination_id: int
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator('batch_number', 'notes')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode='after')
    def _somewhere_else(self) -> BatchCreate:
        if self.origin_id is not None and self.origin_id == self.destination_id:
            raise ValueError('origin and destination must differ')
        return self


class BatchUpdate(BatchCreate):
    """Only the fields given change; origin and destination only until the batch is shipped."""

    origin_id: int | None = None
    destination_id: int | None = None
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60)


class BatchRead(BaseModel):
    """`watches` counts the watches of the batch the reader may see."""

    id: int
    batch_number: str
    origin_id: int | None
    origin: str | None
    destination_id: int | None
    destination: str | None
    status: BatchStatus
    carrier: str | None
    tracking_number: str | None
    notes: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    watches: int


class BatchDetail(BaseModel):
    """A batch with a page of its watches; `total_cost` (in the base currency) is None without cost access."""

    batch: BatchRead
    watches: WatchPage
    count: int
    total_cost: Decimal | None
    base_currency: str


# --- locations ---------------------------------------------------------------------------------------------------


def list_locations(actor: Actor, *, include_inactive: bool = False) -> list[LocationRead]:
    require(actor, Permission.INVENTORY_VIEW)
    query = select(Location).order_by(Location.name)
    if not include_inactive:
        query = query.where(Location.active)
    with session_scope() as session:
        return [LocationRead.model_validate(location) for location in session.exec(query).all()]


def create_location(actor: Actor, data: LocationCreate | dict[str, Any]) -> LocationRead:
    require(actor, Permission.LOCATIONS_MANAGE)
    wanted = validated(LocationCreate, data)
    with session_scope() as session:
        _name_free(session, wanted.name)
        location = Location(**wanted.model_dump())
        session.add(location)
        session.flush()
        audit.record(session, actor, 'location.created', 'location', location.id, after=wanted.model_dump())
        return LocationRead.model_validate(location)


def update_location(actor: Actor, location_id: int, data: LocationUpdate | dict[str, Any]) -> LocationRead:
    require(actor, Permission.LOCATIONS_MANAGE)
    wanted = validated(LocationUpdate, data).model_dump(exclude_unset=True)
    if wanted.get('name', '') is None or wanted.get('kind', '') is None:
        raise ValidationFailed('A location needs a name and a kind.')
    with session_scope() as session:
        location = _location(session, location_id)
        if 'name' in wanted:
            _name_free(session, wanted['name'], but=location.id)
        _apply(session, actor, 'location.updated', 'location', location, wanted)
        return LocationRead.model_validate(location)


def deactivate_location(actor: Actor, location_id: int) -> LocationRead:
    """Take a place out of use; refused while watches are still there, since they would be lost from view."""
    require(actor, Permission.LOCATIONS_MANAGE)
    with session_scope() as session:
        location = _location(session, location_id)
        query = select(func.count()).select_from(Watch).where(Watch.location_id == location.id)
        if there := session.exec(query.where(Watch.deleted_at.is_(None))).one():
            raise Conflict(
                f'{there:,} watch{"es are" if there > 1 else " is"} still at {location.name}; move '
                f'{"them" if there > 1 else "it"} first.'
            )
        _apply(session, actor, 'location.updated', 'location', location, {'active': False})
        return LocationRead.model_validate(location)


def activate_location(actor: Actor, location_id: int) -> LocationRead:
    require(actor, Permission.LOCATIONS_MANAGE)
    with session_scope() as session:
        location = _location(session, location_id)
        _apply(session, actor, 'location.updated', 'location', location, {'active': True})
        return LocationRead.model_validate(location)


def move_location(actor: Actor, watch_ids: Iterable[int], location_id: int) -> BulkResult:
    """Put watches at a location by hand (a watch taken to the watchmaker, a shelf moved)."""
    require(actor, Permission.INVENTORY_EDIT)
    wanted = list(watch_ids)
    with session_scope() as session:
        location = _location(session, location_id, active=True)
        found = _watches(session, actor, wanted, Watch.location_id)
        result = _triage(
            wanted, found, lambda w: f'Already at {location.name}.' if w.location_id == location.id else None
        )
        _bulk_set(
            session,
            actor,
            [found[i] for i in result.done],
            'location_id',
            location.id,
            ('watches.moved', 'location', location.id),
        )
        return result


def _location(session: Session, location_id: int, *, active: bool = False) -> Location:
    location = session.get(Location, location_id)
    if location is None:
        raise NotFound('No such location.')
    if active and not location.active:
        raise ValidationFailed(f'{location.name} is no longer in use.')
    return location


def _name_free(session: Session, name: str, *, but: int | None = None) -> None:
    """Names are unique however they are capitalised, so the list never shows two that look the same.

    Compared in Python: SQLite's lower() folds ASCII only, and there are only ever a few hundred places.
    """
    for location_id, taken in session.exec(select(Location.id, Location.name)).all():
        if taken.casefold() == name.casefold() and location_id != but:
            raise Conflict(f'There is already a location called "{taken}".')


# --- batches -----------------------------------------------------------------------------------------------------


def list_batches(
    actor: Actor, offset: int = 0, limit: int = 50, status: BatchStatus | str | None = None
) -> Page[BatchRead]:
    """Batches, newest first."""
    require(actor, Permission.INVENTORY_VIEW)
    offset, limit = clamp(offset, limit)
    query = select(Batch) if status is None else select(Batch).where(Batch.status == _status(status))
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(Batch.created_at.desc(), Batch.id.desc()).offset(offset).limit(limit))
        return Page(total=total, items=_reads(session, actor, rows.all()))


def batch_detail(
    actor: Actor, batch_id: int, *, offset: int = 0, limit: int = 50, sort: str = 'created_at', descending: bool = True
) -> BatchDetail:
    require(actor, Permission.INVENTORY_VIEW)
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        batch = _batch(session, batch_id)
        query = scoped(select(func.count(), func.sum(Watch.purchase_cost_base)).select_from(Watch), actor)
        count, cost = session.exec(query.where(Watch.batch_id == batch.id)).one()
        sees_cost = actor.can(Permission.COST_VIEW)
        return BatchDetail(
            batch=_reads(session, actor, [batch])[0],
            watches=inventory.page(
                session,
                actor,
                WatchFilter(batch_id=batch.id),
                offset=offset,
                limit=limit,
                sort=sort,
                descending=descending,
            ),
            count=count,
            total_cost=(cost or Decimal('0.00')) if sees_cost else None,
            base_currency=get_settings().base_currency,
        )


def create_batch(actor: Actor, data: BatchCreate | dict[str, Any]) -> BatchRead:
    require(actor, Permission.BATCHES_MANAGE)
    wanted = validated(BatchCreate, data)
    with session_scope() as session:
        for location_id in (wanted.origin_id, wanted.destination_id):
            _location(session, location_id, active=True)
        number = wanted.batch_number or _next_number(session)
        _number_free(session, number)
        batch = Batch(**wanted.model_dump(exclude={'batch_number'}), batch_number=number, created_by_id=actor.id)
        session.add(batch)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f'Batch number {number} was taken a moment ago; please try again.') from None
        after = wanted.model_dump() | {'batch_number': number}
        audit.record(session, actor, 'batch.created', 'batch', batch.id, after=after)
        return _reads(session, actor, [batch])[0]


def update_batch(actor: Actor, batch_id: int, data: BatchUpdate | dict[str, Any]) -> BatchRead:
    require(actor, Permission.BATCHES_MANAGE)
    wanted = validated(BatchUpdate, data).model_dump(exclude_unset=True)
    with session_scope() as session:
        batch = _batch(session, batch_id, lock=True)
        places = {key: wanted[key] for key in ('origin_id', 'destination_id') if key in wanted}
        if places and batch.status not in EDITABLE:
            raise ValidationFailed(f'Batch {batch.batch_number} has been {batch.status.value}; its route is fixed.')
        for location_id in places.values():
            if location_id is None:
                raise ValidationFailed('A batch needs an origin and a destination.')
            _location(session, location_id, active=True)
        route = {'origin_id': batch.origin_id, 'destination_id': batch.destination_id} | places
        if route['origin_id'] == route['destination_id']:
            raise ValidationFailed('The origin and destination must differ.')
        if wanted.get('batch_number', batch.batch_number) != batch.batch_number:
            _number_free(session, wanted['batch_number'])
        _apply(session, actor, 'batch.updated', 'batch', batch, wanted)
        return _reads(session, actor, [batch])[0]


def advance_batch(
    actor: Actor,
    batch_id: int,
    to_status: BatchStatus | str,
    *,
    carrier: str | None = None,
    tracking_number: str | None = None,
) -> BatchRead:
    """Move a batch one step on its way; delivery puts all its watches at the destination."""
    require(actor, Permission.BATCHES_MANAGE)
    target = _status(to_status)
    with session_scope() as session:
        batch = _batch(session, batch_id, lock=True)
        _check_step(session, batch, target, carrier, tracking_number)
        changes: dict[str, Any] = {'status': target}
        if target is BatchStatus.SHIPPED:
            changes |= {
                'shipped_at': utcnow(),
                'carrier': carrier or batch.carrier,
                'tracking_number': tracking_number or batch.tracking_number,
            }
        if target is BatchStatus.DELIVERED:
            changes['delivered_at'] = utcnow()
            live = select(Watch.id, Watch.location_id).where(Watch.batch_id == batch.id, Watch.deleted_at.is_(None))
            rows = session.exec(live).all()
            moving = [row for row in rows if row.location_id != batch.destination_id]
            _bulk_set(session, actor, moving, 'location_id', batch.destination_id, ('watches.moved', 'batch', batch.id))
        _apply(session, actor, f'batch.{target.value}', 'batch', batch, changes)
        return _reads(session, actor, [batch])[0]


def assign_watches(actor: Actor, batch_id: int, watch_ids: Iterable[int]) -> BulkResult:
    """Put watches into a batch (from another batch that has not left yet, too)."""
    require(actor, Permission.BATCHES_MANAGE)
    with session_scope() as session:
        batch = _editable_batch(session, batch_id)
        return _assign(session, actor, batch, list(watch_ids))


def assign_filtered(actor: Actor, batch_id: int, filters: WatchFilter | dict[str, Any]) -> BulkResult:
    """Put every watch matching the filter into a batch ("select all" across pages)."""
    require(actor, Permission.BATCHES_MANAGE)
    wanted = validated(WatchFilter, filters)
    with session_scope() as session:
        batch = _editable_batch(session, batch_id)
        return _assign(session, actor, batch, inventory.matching_ids(session, actor, wanted))


def remove_watches(actor: Actor, batch_id: int, watch_ids: Iterable[int]) -> BulkResult:
    require(actor, Permission.BATCHES_MANAGE)
    wanted = list(watch_ids)
    with session_scope() as session:
        batch = _editable_batch(session, batch_id)
        found = _watches(session, actor, wanted, Watch.batch_id)
        result = _triage(wanted, found, lambda w: None if w.batch_id == batch.id else 'Not in this batch.')
        _bulk_set(
            session,
            actor,
            [found[i] for i in result.done],
            'batch_id',
            None,
            ('batch.watches_removed', 'batch', batch.id),
        )
        return result


def _assign(session: Session, actor: Actor, batch: Batch, ids: list[int]) -> BulkResult:
    found = _watches(session, actor, ids, Watch.batch_id)
    others = {row.batch_id for row in found.values()} - {None, batch.id}
    shipped = select(Batch.id, Batch.batch_number).where(Batch.id.in_(others), Batch.status == BatchStatus.SHIPPED)
    gone = dict(session.exec(shipped).all())

    def refuse(watch: Any) -> str | None:
        if watch.batch_id == batch.id:
            return 'Already in this batch.'
        return f'On its way in batch {gone[watch.batch_id]}.' if watch.batch_id in gone else None

    result = _triage(ids, found, refuse)
    _bulk_set(
        session,
        actor,
        [found[i] for i in result.done],
        'batch_id',
        batch.id,
        ('batch.watches_added', 'batch', batch.id),
    )
    return result


def _batch(session: Session, batch_id: int, *, lock: bool = False) -> Batch:
    """The batch; `lock` holds its row until commit on PostgreSQL, so two status changes cannot interleave."""
    batch = session.get(Batch, batch_id, with_for_update=lock)
    if batch is None:
        raise NotFound('No such batch.')
    return batch


def _editable_batch(session: Session, batch_id: int) -> Batch:
    batch = _batch(session, batch_id, lock=True)
    if batch.status not in EDITABLE:
        raise ValidationFailed(f'Batch {batch.batch_number} has been {batch.status.value}; its watches are fixed.')
    return batch


def _status(value: BatchStatus | str) -> BatchStatus:
    try:
        return BatchStatus(value)
    except ValueError:
        raise ValidationFailed(f'"{value}" is not a batch status.') from None


def _check_step(session: Session, batch: Batch, target: BatchStatus, carrier: str | None, tracking: str | None) -> None:
    """Refuse any move but the next step, saying which step that would be."""
    allowed = NEXT_STATUS.get(batch.status)
    if target is not allowed:
        then = f'it can only be {allowed.value} next' if allowed else 'it has arrived'
        raise ValidationFailed(f'Batch {batch.batch_number} is {batch.status.value}: {then}, not {target.value}.')
    if target is BatchStatus.DELIVERED and batch.destination_id is None:
        raise ValidationFailed(f'Batch {batch.batch_number} has no destination to be delivered to.')
    if (carrier or tracking) and target is not BatchStatus.SHIPPED:
        raise ValidationFailed('The carrier and tracking number are given when the batch is shipped.')
    if (carrier and len(carrier) > 40) or (tracking and len(tracking) > 60):
        raise ValidationFailed('The carrier may have 40 characters and the tracking number 60.')
    if target in (BatchStatus.PACKED, BatchStatus.SHIPPED):
        empty = session.exec(select(Watch.id).where(Watch.batch_id == batch.id, Watch.deleted_at.is_(None))).first()
        if empty is None:
            raise ValidationFailed(f'Batch {batch.batch_number} has no watches.')


def _next_number(session: Session) -> str:
    """The month's next 'B-YYMM-NNN', after the highest taken (demo data uses the same numbers)."""
    prefix = f'B-{sku.period_key(utcnow().date())}-'
    taken = session.exec(select(Batch.batch_number).where(starts_with(Batch.batch_number, prefix))).all()
    highest = max((int(number[len(prefix) :]) for number in taken if number[len(prefix) :].isdigit()), default=0)
    return f'{prefix}{highest + 1:03d}'


def _number_free(session: Session, number: str) -> None:
    if session.exec(select(Batch.id).where(Batch.batch_number == number)).first() is not None:
        raise Conflict(f'Batch number {number} is taken.')


def _reads(session: Session, actor: Actor, batches: Sequence[Batch]) -> list[BatchRead]:
    """Batches with their places' names and how many of their watches the actor may see."""
    ids = [batch.id for batch in batches]
    counted = scoped(select(Watch.batch_id, func.count()).select_from(Watch), actor).where(Watch.batch_id.in_(ids))
    counts = dict(session.exec(counted.group_by(Watch.batch_id)).all())
    place_ids = {place for batch in batches for place in (batch.origin_id, batch.destination_id)} - {None}
    names = dict(session.exec(select(Location.id, Location.name).where(Location.id.in_(place_ids))).all())
    return [
        BatchRead(
            **batch.model_dump(exclude={'created_by_id'}),
            origin=names.get(batch.origin_id),
            destination=names.get(batch.destination_id),
            watches=counts.get(batch.id, 0),
        )
        for batch in batches
    ]


# --- shared ------------------------------------------------------------------------------------------------------


def _apply(session: Session, actor: Actor, action: str, entity: str, row: Any, values: dict[str, Any]) -> None:
    """Set the values on the row and audit what actually changed (nothing is written when nothing did)."""
    before, after = audit.changes({key: getattr(row, key) for key in values}, values)
    if not after:
        return
    for key, value in after.items():
        setattr(row, key, value)
    session.add(row)
    audit.record(session, actor, action, entity, row.id, before=before, after=after)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _watches(session: Session, actor: Actor, ids: Sequence[int], *columns: Any) -> dict[int, Any]:
    """The live watches among `ids` that the actor may touch, with their SKUs and the columns asked for."""
    found: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(ids))):
        query = scoped(select(Watch.id, Watch.sku, *columns), actor).where(Watch.id.in_(chunk))
        found.update((row.id, row) for row in session.exec(query))
    return found


def _triage(ids: Iterable[int], found: dict[int, Any], refuse: Callable[[Any], str | None]) -> BulkResult:
    """Sort the ids into done and refused (with the reason), in the order given and each once."""
    result = BulkResult()
    for watch_id in dict.fromkeys(ids):
        watch = found.get(watch_id)
        reason = NOT_YOURS if watch is None else refuse(watch)
        if reason:
            result.refuse(watch_id, watch.sku if watch else None, reason)
        else:
            result.done.append(watch_id)
    return result


def _bulk_set(
    session: Session, actor: Actor, rows: Sequence[Any], field: str, value: Any, entry: tuple[str, str, Any]
) -> None:
    """Set one field on many watches, bump their versions (an open editor must reload), and audit it once.

    The entry lists the watch ids and, in the same order, each one's value before.
    """
    if not rows:
        return
    ids = [row.id for row in rows]
    for chunk in _chunks(ids):
        statement = sa.update(Watch).where(Watch.id.in_(chunk))
        session.execute(statement.values({field: value, 'version': Watch.version + 1, 'updated_at': utcnow()}))
    events.record(session, events.WATCH_CHANGED, ids=ids)
    action, entity, entity_id = entry
    audit.record(
        session,
        actor,
        action,
        entity,
        entity_id,
        before={field: [getattr(row, field) for row in rows]},
        after={field: value, 'watch_ids': ids},
    )
