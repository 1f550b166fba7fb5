"""The ledger for accounting tools and scripts: read the bookings, and book a feed of up to 1,000 at once."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.auth import Reader, Writer
from api.schemas import MAX_PER_PAGE
from db.enums import TransactionType
from services import bookings
from services.bookings import BATCH_MAX, BookingIn, LedgerFilter, TransactionPage, TransactionRead
from services.validation import validated

router = APIRouter(prefix='/ledger', tags=['ledger'])
PageNumber = Annotated[int, Query(ge=1, le=10_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


@router.get('/transactions', response_model=TransactionPage)
def list_transactions(
    who: Reader,
    type: Annotated[list[TransactionType] | None, Query()] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str | None = None,
    sku: str | None = None,
    reference: str | None = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
) -> TransactionPage:
    """Bookings, newest first; `type` may be given more than once."""
    wanted = validated(LedgerFilter, {'types': type or [], 'date_from': date_from, 'date_to': date_to,
                                      'currency': currency, 'sku': sku, 'reference': reference})  # fmt: skip
    return bookings.list_transactions(who.actor, wanted, offset=(page - 1) * per_page, limit=per_page)


@router.post('/bookings', response_model=list[TransactionRead], status_code=201)
def book(who: Writer, body: Annotated[list[BookingIn], Body(min_length=1, max_length=BATCH_MAX)]):
    """Book the list in order, all or none: each priced at its day's rate (or the `fx_rate` given), chained, audited."""
    return bookings.book_many(who.actor, body)
