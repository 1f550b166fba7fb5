"""The inventory list: one filtered, sorted, server-paged query that stays fast at hundreds of thousands of watches.

Every query goes through `services.scope.scoped`, so an agent's pages, totals and id selections only ever hold
their own watches. A page selects only the columns the table shows and then looks up the labels (stage,
location, batch, people, primary photo) for its own rows, so no join ever runs over the whole table. Totals are
exact up to `COUNT_CAP` and flagged beyond it: counting 100,000 matches costs more than the page itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, func, select

from db.accounts import User
from db.engine import session_scope
from db.inventory import Watch, WatchImage
from db.places import Batch, Location
from db.workflow import Stage
from services import audit, grading, reference
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.scope import scoped

COUNT_CAP = 1_000
MAX_IDS = 100_000
MAX_PRESETS = 50
# Sorts after every character, so [p, p + TOP) holds exactly the strings that start with p (byte or code point
# order: SQLite's BINARY collation, PostgreSQL's C and C.UTF-8), and a B-tree index serves the range.
TOP = '\U0010ffff'
NOT_YOURS = 'No such watch, or it is not one of yours.'

M = TypeVar('M', bound=BaseModel)


def validated(model: type[M], data: M | dict[str, Any]) -> M:
    """The input as `model`, with pydantic's complaints turned into one refusal a user can read."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = {
            '.'.join(map(str, item['loc'])) or 'input': item['msg'].removeprefix('Value error, ')
            for item in error.errors()
        }
        name, message = next(iter(fields.items()))
        raise ValidationFailed(f'The {name.replace("_", " ")}: {message}.', fields) from None


class BulkResult(BaseModel):
    """What a bulk action did: the watches it changed and, for each one it left alone, why."""

    done: list[int] = Field(default_factory=list)
    refused: dict[int, str] = Field(default_factory=dict)


class WatchFilter(BaseModel):
    """What the list is narrowed by; the fields combine with AND, the values within a list with OR."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    text: str | None = Field(default=None, max_length=100)
    brands: list[str] = Field(default_factory=list, max_length=100)
    model: str | None = Field(default=None, max_length=120)
    reference: str | None = Field(default=None, max_length=60)
    condition_grades: list[str] = Field(default_factory=list)
    location_ids: list[int] = Field(default_factory=list, max_length=500)
    stage_ids: list[int] = Field(default_factory=list, max_length=100)
    batch_id: int | None = None
    agent_id: int | None = None
    seller_id: int | None = None
    price_min: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    price_max: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    created_from: date | None = None
    created_to: date | None = None
    has_photos: bool | None = None

    @field_validator('text', 'model', 'reference')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator('condition_grades')
    @classmethod
    def _grades(cls, value: list[str]) -> list[str]:
        if unknown := [grade for grade in value if grade not in grading.GRADES]:
            raise ValueError(f'unknown grade {unknown[0]!r}; the grades are {", ".join(grading.GRADES)}')
        return value

    @model_validator(mode='after')
    def _ranges(self) -> WatchFilter:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError('the lowest price is above the highest')
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError('the first date is after the last')
        return self


class WatchRow(BaseModel):
    """One line of the inventory table; `purchase_cost_base` is None for roles that may not see costs."""

    id: int
    sku: str
    brand: str
    model: str
    reference: str | None
    year: int | None
    stage_id: int
    stage: str
    stage_colour: str
    location_id: int | None
    location: str | None
    batch_id: int | None
    batch: str | None
    condition_grade: str | None
    asking_price: Decimal | None
    price_currency: str | None
    purchase_cost_base: Decimal | None
    image_count: int
    primary_photo_id: int | None
    created_at: datetime
    agent_id: int | None
    agent: str | None


class WatchPage(Page[WatchRow]):
    """A page of the list; with `total_capped` there are more than `total` matches (show "10,000+")."""

    total_capped: bool = False


class Preset(BaseModel):
    name: str
    filters: WatchFilter


ROW_COLUMNS = (Watch.id, Watch.sku, Watch.brand, Watch.model, Watch.reference, Watch.year, Watch.stage_id,
               Watch.location_id, Watch.batch_id, Watch.condition_grade, Watch.asking_price, Watch.price_currency,
               Watch.purchase_cost_base, Watch.image_count, Watch.created_at, Watch.agent_id)  # fmt: skip
# The columns a user may show, in the default order; 'primary_photo_id' is the thumbnail.
COLUMNS = ('primary_photo_id', 'sku', 'brand', 'model', 'reference', 'year', 'stage', 'location', 'batch',
           'condition_grade', 'asking_price', 'purchase_cost_base', 'image_count', 'created_at', 'agent')  # fmt: skip
# What fits a 1280 px screen beside the drawer; year, added date and the rest are in the column chooser.
DEFAULT_COLUMNS = ('primary_photo_id', 'sku', 'brand', 'model', 'reference', 'stage', 'location',
                   'condition_grade', 'asking_price', 'purchase_cost_base')  # fmt: skip
COST_COLUMNS = frozenset({'purchase_cost_base'})
_SORT_COLUMNS = {column.key: column for column in (Watch.sku, Watch.brand, Watch.model, Watch.reference,
                 Watch.year, Watch.condition_grade, Watch.asking_price, Watch.purchase_cost_base, Watch.created_at,
                 Watch.image_count)}  # fmt: skip
SORTS = (*_SORT_COLUMNS, 'stage', 'location')


# --- the list ----------------------------------------------------------------------------------------------------


def list_watches(
    actor: Actor,
    filters: WatchFilter | dict[str, Any] | None = None,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = 'created_at',
    descending: bool = True,
) -> WatchPage:
    """One page of the watches the actor may see, with the (capped) number of all that match."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = validated(WatchFilter, filters or {})
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        return page(session, actor, wanted, offset=offset, limit=limit, sort=sort, descending=descending)


def count_watches(actor: Actor, filters: WatchFilter | dict[str, Any] | None = None) -> int:
    """The exact number of matches, for when the user asks beyond the capped total."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = validated(WatchFilter, filters or {})
    with session_scope() as session:
        query = scoped(select(func.count()).select_from(Watch), actor).where(*conditions(wanted))
        return session.exec(query).one()


def ids_for(actor: Actor, filters: WatchFilter | dict[str, Any] | None = None, *, limit: int = MAX_IDS) -> list[int]:
    """The ids of every match (up to `limit`), for bulk actions on a selection across pages."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = validated(WatchFilter, filters or {})
    with session_scope() as session:
        return matching_ids(session, actor, wanted, limit)


def page(
    session: Session, actor: Actor, filters: WatchFilter, *, offset: int, limit: int, sort: str, descending: bool
) -> WatchPage:
    """The list query itself, for services that show a list of watches inside their own unit of work."""
    where = conditions(filters)
    order = _order(session, actor, sort, descending)
    query = scoped(select(*ROW_COLUMNS), actor).where(*where).order_by(*order).offset(offset).limit(limit)
    rows = session.execute(query).all()
    total, capped = _total(session, actor, where, offset=offset, limit=limit, found=len(rows))
    labels = Labels.load(session, rows)
    sees_cost = actor.can(Permission.COST_VIEW)
    return WatchPage(total=total, total_capped=capped, items=[labels.row(row, sees_cost) for row in rows])


def matching_ids(session: Session, actor: Actor, filters: WatchFilter, limit: int = MAX_IDS) -> list[int]:
    query = scoped(select(Watch.id), actor).where(*conditions(filters)).order_by(Watch.id)
    return list(session.exec(query.limit(max(0, min(limit, MAX_IDS)))).all())


def _total(
    session: Session, actor: Actor, where: list[sa.ColumnElement[bool]], *, offset: int, limit: int, found: int
) -> tuple[int, bool]:
    """The number of matches, counted only when the page does not tell, and never beyond the cap."""
    if found < limit and (found or not offset):
        return offset + found, False
    cap = max(COUNT_CAP, offset + limit)
    capped = scoped(select(Watch.id), actor).where(*where).limit(cap + 1).subquery()
    count = session.exec(select(func.count()).select_from(capped)).one()
    return min(count, cap), count > cap


def conditions(filters: WatchFilter) -> list[sa.ColumnElement[bool]]:
    """The filter as WHERE terms, each one a B-tree can serve (except the model substring)."""
    f = filters
    found: list[sa.ColumnElement[bool]] = []
    for column, value in ((Watch.batch_id, f.batch_id), (Watch.agent_id, f.agent_id), (Watch.seller_id, f.seller_id)):
        if value is not None:
            found.append(column == value)
    for column, values in (
        (Watch.brand, f.brands),
        (Watch.condition_grade, f.condition_grades),
        (Watch.location_id, f.location_ids),
        (Watch.stage_id, f.stage_ids),
    ):
        if values:
            found.append(column.in_(values))
    if f.text:
        found.append(_text(f.text))
    if f.model:
        found.append(Watch.model.ilike(f'%{_escape_like(f.model)}%', escape='\\'))
    if f.reference and (norm := reference.normalise_reference(f.reference)):
        found.append(starts_with(Watch.reference_norm, norm))
    if f.price_min is not None:
        found.append(Watch.asking_price >= f.price_min)
    if f.price_max is not None:
        found.append(Watch.asking_price <= f.price_max)
    if f.created_from:
        found.append(Watch.created_at >= _midnight(f.created_from))
    if f.created_to:
        found.append(Watch.created_at < _midnight(f.created_to + timedelta(days=1)))
    if f.has_photos is not None:
        found.append(Watch.image_count > 0 if f.has_photos else Watch.image_count == 0)
    return found


def starts_with(column: Any, prefix: str) -> sa.ColumnElement[bool]:
    """A prefix match as a range, which (unlike LIKE on SQLite) an ordinary index serves on both databases."""
    return sa.and_(column >= prefix, column < prefix + TOP)


def _text(text: str) -> sa.ColumnElement[bool]:
    """Quick search until full-text search arrives: SKU or reference prefix, or a brand's exact name."""
    brands = {text, *(brand.name for brand in reference.brands() if brand.name.casefold() == text.casefold())}
    options = [starts_with(Watch.sku, text.upper()), Watch.brand.in_(brands)]
    if norm := reference.normalise_reference(text):
        options.append(starts_with(Watch.reference_norm, norm))
    return sa.or_(*options)


def _escape_like(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _order(session: Session, actor: Actor, sort: str, descending: bool) -> tuple[sa.ColumnElement, ...]:
    """The sort key and the id after it, so rows with equal keys keep one order from page to page."""
    if sort not in SORTS:
        raise ValidationFailed(f'The list cannot be sorted by "{sort}".')
    if sort == 'purchase_cost_base':
        require(actor, Permission.COST_VIEW)
    key = _SORT_COLUMNS.get(sort)
    if key is None:
        key = _label_rank(session, sort)
    return (key.desc(), Watch.id.desc()) if descending else (key.asc(), Watch.id.asc())


def _label_rank(session: Session, sort: str) -> Any:
    """Stages in workflow order, locations by name: the foreign key mapped to its rank in that order.

    When the ranks follow the ids (the default workflow's stages do), the key column itself sorts the same
    and its index serves the sort; otherwise a CASE over the few ids does it without a join.
    """
    column, query = (
        (Watch.stage_id, select(Stage.id).order_by(Stage.position, Stage.name))
        if sort == 'stage'
        else (Watch.location_id, select(Location.id).order_by(Location.name))
    )
    ids = list(session.exec(query).all())
    if ids == sorted(ids):
        return column
    return sa.case({key: rank for rank, key in enumerate(ids)}, value=column)


# --- labels ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """The names behind the ids on a set of rows, each kind looked up once for all of them."""

    stages: dict[int, Stage]
    locations: dict[int, str]
    batches: dict[int, str]
    users: dict[int, str]
    photos: dict[int, int]

    @classmethod
    def load(cls, session: Session, rows: Sequence[Any], *, photos: bool = True, people: Iterable[str] = ()) -> Labels:
        """`people` names further user-id attributes of the rows (beyond the agent) whose names are wanted."""
        user_ids = {getattr(row, name) for row in rows for name in ('agent_id', *people)}
        return cls(
            stages={stage.id: stage for stage in session.exec(select(Stage)).all()},
            locations=_names(session, Location.id, Location.name, {row.location_id for row in rows}),
            batches=_names(session, Batch.id, Batch.batch_number, {row.batch_id for row in rows}),
            users=_names(session, User.id, User.name, user_ids),
            photos=_primary_photos(session, [row.id for row in rows if row.image_count]) if photos else {},
        )

    def row(self, row: Any, sees_cost: bool) -> WatchRow:
        stage = self.stages.get(row.stage_id)
        values = row._asdict()
        if not sees_cost:
            values['purchase_cost_base'] = None
        return WatchRow(
            **values,
            stage=stage.name if stage else '—',
            stage_colour=stage.colour if stage else '#64748b',
            location=self.locations.get(row.location_id),
            batch=self.batches.get(row.batch_id),
            agent=self.users.get(row.agent_id),
            primary_photo_id=self.photos.get(row.id),
        )


def _names(session: Session, key: Any, name: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = [value for value in ids if value is not None]
    return dict(session.execute(select(key, name).where(key.in_(wanted))).all()) if wanted else {}


def _primary_photos(session: Session, watch_ids: list[int]) -> dict[int, int]:
    """The photo each watch shows first: the one marked primary, else the first in order."""
    if not watch_ids:
        return {}
    query = (
        select(WatchImage.watch_id, WatchImage.id)
        .where(WatchImage.watch_id.in_(watch_ids))
        .order_by(WatchImage.watch_id, WatchImage.is_primary.desc(), WatchImage.position, WatchImage.id)
    )
    first: dict[int, int] = {}
    for watch_id, image_id in session.execute(query):
        first.setdefault(watch_id, image_id)
    return first


# --- presets and columns -----------------------------------------------------------------------------------------


def presets(actor: Actor) -> list[Preset]:
    """The actor's saved filters by name; one saved under an older form of the filter that no longer fits is skipped."""
    require(actor, Permission.INVENTORY_VIEW)
    found = []
    for name, values in sorted(_section(actor).get('presets', {}).items()):
        try:
            found.append(Preset(name=name, filters=WatchFilter.model_validate(values)))
        except ValidationError:
            continue
    return found


def save_preset(actor: Actor, name: str, filters: WatchFilter | dict[str, Any]) -> Preset:
    """Save (or replace) a named filter for the actor."""
    require(actor, Permission.INVENTORY_VIEW)
    name = ' '.join(name.split())
    if not 1 <= len(name) <= 60:
        raise ValidationFailed('A preset name must be 1 to 60 characters.', {'name': 'Must be 1 to 60 characters.'})
    wanted = validated(WatchFilter, filters)

    def change(saved: dict[str, Any]) -> dict[str, Any]:
        if name not in saved and len(saved) >= MAX_PRESETS:
            raise ValidationFailed(f'You have {MAX_PRESETS} presets already; delete one first.')
        return {**saved, name: wanted.model_dump(mode='json', exclude_defaults=True)}

    _change_section(actor, 'presets', {}, change)
    return Preset(name=name, filters=wanted)


def delete_preset(actor: Actor, name: str) -> None:
    require(actor, Permission.INVENTORY_VIEW)

    def change(saved: dict[str, Any]) -> dict[str, Any]:
        if name not in saved:
            raise NotFound(f'You have no preset called "{name}".')
        return {key: value for key, value in saved.items() if key != name}

    _change_section(actor, 'presets', {}, change)


def columns(actor: Actor) -> list[str]:
    """The columns the actor chose (or the default set), less any their role may no longer see."""
    require(actor, Permission.INVENTORY_VIEW)
    chosen = _section(actor).get('columns') or DEFAULT_COLUMNS
    return [column for column in chosen if column in _visible_columns(actor)]


def set_columns(actor: Actor, column_names: Sequence[str]) -> list[str]:
    """Remember which columns the actor shows, in their order."""
    require(actor, Permission.INVENTORY_VIEW)
    chosen = list(column_names)
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValidationFailed('Choose at least one column, each once.')
    if unknown := [column for column in chosen if column not in COLUMNS]:
        raise ValidationFailed(f'There is no column "{unknown[0]}".')
    if hidden := [column for column in chosen if column not in _visible_columns(actor)]:
        raise PermissionDenied(f'Your role ({actor.role.value}) may not see the column "{hidden[0]}".')
    _change_section(actor, 'columns', None, lambda _saved: chosen)
    return chosen


def available_columns(actor: Actor) -> tuple[str, ...]:
    """Every column the actor's role may show, in the default order: what a column chooser offers."""
    require(actor, Permission.INVENTORY_VIEW)
    return _visible_columns(actor)


def _visible_columns(actor: Actor) -> tuple[str, ...]:
    return COLUMNS if actor.can(Permission.COST_VIEW) else tuple(c for c in COLUMNS if c not in COST_COLUMNS)


def _section(actor: Actor) -> dict[str, Any]:
    with session_scope() as session:
        return dict(_user(session, actor).preferences.get('inventory') or {})


def _change_section(actor: Actor, key: str, empty: Any, change: Callable[[Any], Any]) -> None:
    """Replace one key of the actor's inventory preferences (a new dict, so the JSON column sees the change)."""
    with session_scope() as session:
        user = _user(session, actor)
        section = dict(user.preferences.get('inventory') or {})
        before = section.get(key, empty)
        after = change(before)
        user.preferences = {**user.preferences, 'inventory': {**section, key: after}}
        audit.record(
            session,
            actor,
            'user.preference',
            'user',
            user.id,
            before={f'inventory.{key}': before},
            after={f'inventory.{key}': after},
        )


def _user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise NotFound('No such user.')
    return user
