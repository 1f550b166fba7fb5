"""Batches and locations, read-only: where watches are and how they travel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Reader
from api.schemas import MAX_PER_PAGE
from db.enums import BatchStatus
from services import places
from services.paging import Page
from services.places import BatchDetail, BatchRead, LocationRead

router = APIRouter(tags=['places'])
PageNumber = Annotated[int, Query(ge=1, le=10_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


@router.get('/batches', response_model=Page[BatchRead])
def list_batches(who: Reader, status: BatchStatus | None = None, page: PageNumber = 1, per_page: PerPage = 50):
    """Batches, newest first."""
    return places.list_batches(who.actor, offset=(page - 1) * per_page, limit=per_page, status=status)


@router.get('/batches/{batch_id}', response_model=BatchDetail)
def get_batch(who: Reader, batch_id: int, page: PageNumber = 1, per_page: PerPage = 50) -> BatchDetail:
    """A batch with a page of its watches (those the owner may see) and, for roles that see costs, their cost."""
    return places.batch_detail(who.actor, batch_id, offset=(page - 1) * per_page, limit=per_page)


@router.get('/locations', response_model=list[LocationRead])
def list_locations(who: Reader, include_inactive: bool = False) -> list[LocationRead]:
    return places.list_locations(who.actor, include_inactive=include_inactive)
