"""How a list of watches is sorted: the columns a user may sort by, and the ORDER BY that each one means.

The inventory list, its search and its exports share this one order, so a sort reads the same on every page
and from every engine.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from db.inventory import Watch
from db.places import Location
from db.workflow import Stage
from services.errors import ValidationFailed
from services.permissions import Actor, Permission, require
from services.search.base import RELEVANCE

_SORT_COLUMNS = {column.key: column for column in (Watch.sku, Watch.brand, Watch.model, Watch.reference,
                 Watch.year, Watch.condition_grade, Watch.asking_price, Watch.purchase_cost_base, Watch.created_at,
                 Watch.image_count)}  # fmt: skip
LABEL_SORTS = ('stage', 'location')  # by the name (or workflow position) behind the id
# 'relevance' (best match first) orders a list with search text; without text it is the usual newest first.
SORTS = (RELEVANCE, *_SORT_COLUMNS, *LABEL_SORTS)


def sort_order(session: Session, actor: Actor, sort: str, descending: bool) -> tuple[sa.ColumnElement, ...]:
    """The sort key and the id after it, so rows with equal keys keep one order from page to page."""
    if sort not in SORTS:
        raise ValidationFailed(f'The list cannot be sorted by "{sort}".')
    if sort == 'purchase_cost_base':
        require(actor, Permission.COST_VIEW)
    key = _SORT_COLUMNS.get(sort)
    if key is None:
        key = label_rank(session, sort)
    return (key.desc(), Watch.id.desc()) if descending else (key.asc(), Watch.id.asc())


def label_rank(session: Session, sort: str) -> Any:
    """Stages in workflow order, locations by name: the foreign key mapped to its rank in that order.

    A CASE over the few ids does it without a join; watches without a location come after every name.
    """
    column, keys = ranked(session, sort)
    return sa.case({key: rank for rank, key in enumerate(keys) if key is not None}, value=column, else_=len(keys))


def ranked(session: Session, sort: str) -> tuple[Any, list[int | None]]:
    """The foreign key a label sort is by, and its values in the order their names are shown (None last)."""
    if sort == 'stage':
        return Watch.stage_id, list(session.exec(select(Stage.id).order_by(Stage.position, Stage.name)).all())
    return Watch.location_id, [*session.exec(select(Location.id).order_by(Location.name)).all(), None]
