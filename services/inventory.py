"""The inventory list: one filtered, sorted, server-paged query that stays fast at hundreds of thousands of watches.

Every query goes through `services.scope.scoped`, so an agent's pages, totals and id selections only ever hold
their own watches. A page first finds its ids (from an index alone where one holds the filter and the sort key),
then reads only the columns the table shows and looks up the labels (stage, location, batch, people, primary
photo) for its own rows, so no join ever runs over the whole table. Totals are exact up to `COUNT_CAP` and
flagged beyond it: counting 100,000 matches costs more than the page itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, func, select

from db.accounts import User
from db.engine import session_scope
from db.inventory import Watch, WatchImage
from db.places import Batch, Location
from db.workflow import Stage
from services import audit, lookups, search
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.scope import scoped
from services.search.base import RELEVANCE, SearchRequest
from services.validation import validated
from services.watch_filter import WatchFilter, conditions
from services.watch_order import LABEL_SORTS, ranked, sort_order

COUNT_CAP = 1_000
MAX_IDS = 100_000
MAX_PRESETS = 50
NOT_YOURS = 'No such watch, or it is not one of yours.'


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
        query = scoped(select(func.count()).select_from(Watch), actor).where(*search.where(session, actor, wanted))
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
    """The list query itself, for services that show a list of watches inside their own unit of work.

    With search text the search backend finds and orders the matches (by relevance, or by `sort`).
    """
    if filters.text:
        return _searched(session, actor, filters, offset=offset, limit=limit, sort=sort, descending=descending)
    if sort == RELEVANCE:
        sort, descending = 'created_at', True
    where = conditions(filters)
    matches = scoped(select(Watch.id), actor).where(*where)
    rows = _rows(session, actor, _page_ids(session, actor, matches, sort, descending, offset=offset, limit=limit))
    total, capped = _total(session, actor, where, offset=offset, limit=limit, found=len(rows))
    return _labelled_page(session, actor, rows, total, capped)


def _searched(
    session: Session, actor: Actor, filters: WatchFilter, *, offset: int, limit: int, sort: str, descending: bool
) -> WatchPage:
    """The backend's page of ids, hydrated from the database in the backend's order (so rows are the truth)."""
    request = SearchRequest(filters.text or '', filters, sort, descending, offset, limit)
    found = search.backend().search(session, actor, request)
    return _labelled_page(session, actor, _rows(session, actor, found.ids), found.total, found.capped)


def _labelled_page(session: Session, actor: Actor, rows: Sequence[Any], total: int, capped: bool) -> WatchPage:
    labels = Labels.load(session, rows)
    sees_cost = actor.can(Permission.COST_VIEW)
    return WatchPage(total=total, total_capped=capped, items=[labels.row(row, sees_cost) for row in rows])


def matching_ids(session: Session, actor: Actor, filters: WatchFilter, limit: int = MAX_IDS) -> list[int]:
    query = scoped(select(Watch.id), actor).where(*search.where(session, actor, filters)).order_by(Watch.id)
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


def _page_ids(
    session: Session, actor: Actor, matches: sa.Select, sort: str, descending: bool, *, offset: int, limit: int
) -> list[int]:
    """The ids of one page, found before any row is read, so an index that holds the filter and the sort key
    answers on its own; a label sort goes label by label instead of ranking every match."""
    if sort in LABEL_SORTS:
        return _walk(session, matches, sort, descending, offset=offset, limit=limit)
    query = matches.order_by(*sort_order(session, actor, sort, descending)).offset(offset).limit(limit)
    return list(session.exec(query).all())


def _walk(session: Session, matches: sa.Select, sort: str, descending: bool, *, offset: int, limit: int) -> list[int]:
    """A page in label order (as `services.watch_order.label_rank` ranks them) read from the (label, id) index:
    the matches of each label in id order, label after label until the page is full. Labels wholly before the
    page are only counted, and no further than the offset, so the first pages read about as many entries as
    they show."""
    column, keys = ranked(session, sort)
    by_id = Watch.id.desc() if descending else Watch.id.asc()
    ids: list[int] = []
    for key in reversed(keys) if descending else keys:
        group = matches.where(column.is_(None) if key is None else column == key)
        found = session.exec(group.order_by(by_id).offset(offset).limit(limit - len(ids))).all()
        if not found and offset:
            offset -= session.exec(select(func.count()).select_from(group.limit(offset).subquery())).one()
        else:
            offset = 0
        ids += found
        if len(ids) >= limit:
            break
    return ids


def _rows(session: Session, actor: Actor, ids: Sequence[int]) -> list[Any]:
    """The shown columns of the watches with these ids, in the order of the ids."""
    query = scoped(select(*ROW_COLUMNS), actor).where(Watch.id.in_(ids))
    by_id = {row.id: row for row in session.execute(query)} if ids else {}
    return [by_id[watch_id] for watch_id in ids if watch_id in by_id]


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
            locations=lookups.names(session, Location.id, Location.name, (row.location_id for row in rows)),
            batches=lookups.names(session, Batch.id, Batch.batch_number, (row.batch_id for row in rows)),
            users=lookups.names(session, User.id, User.name, user_ids),
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
