"""Watches: the inventory list with the screens' filters, search, sort and paging; one watch; intake; edits under
optimistic locking; stage moves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Reader, Writer
from api.schemas import StageMove, WatchList, WatchPatch, WatchQuery
from services import inventory, watches, workflow
from services.search.base import RELEVANCE
from services.watches import WatchCreate, WatchRead

router = APIRouter(prefix='/watches', tags=['watches'])


@router.get('', response_model=WatchList)
def list_watches(who: Reader, query: Annotated[WatchQuery, Query()]) -> WatchList:
    """A page of the watches the token's owner may see (an agent sees only their own), as on the inventory screen.

    With `q` and no `sort`, the best matches come first."""
    sort = query.sort
    if query.text and 'sort' not in query.model_fields_set:
        sort = RELEVANCE
    found = inventory.list_watches(
        who.actor,
        query.filters(),
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
        sort=sort.removeprefix('-'),
        descending=sort.startswith('-') or sort == RELEVANCE,
    )
    return WatchList(
        items=found.items, total=found.total, total_capped=found.total_capped, page=query.page, per_page=query.per_page
    )


@router.get('/{watch_id}', response_model=WatchRead)
def get_watch(who: Reader, watch_id: int) -> WatchRead:
    """One watch; costs, supplier and serial are null for roles that may not see them."""
    return watches.get_watch(who.actor, watch_id)


@router.post('', response_model=WatchRead, status_code=201)
def create_watch(who: Writer, body: WatchCreate) -> WatchRead:
    """Take a watch in: it gets the next SKU and the workflow's first stage."""
    return watches.create_watch(who.actor, body)


@router.patch('/{watch_id}', response_model=WatchRead)
def update_watch(who: Writer, watch_id: int, body: WatchPatch) -> WatchRead:
    """Change the fields sent; refused with 409, naming who saved, if the watch changed since `version`."""
    return watches.update_watch(who.actor, watch_id, body.changes(), version=body.version)


@router.post('/{watch_id}/stage', response_model=WatchRead)
def move_stage(who: Writer, watch_id: int, body: StageMove) -> WatchRead:
    """Move the watch along one of the workflow's transitions open to the owner's role."""
    return workflow.move_watch(who.actor, watch_id, body.to_stage_id, note=body.note, version=body.version)
