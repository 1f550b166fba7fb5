"""Search as you type: the few best watches for what someone has typed so far, and whether it is an exact SKU.

The header's search box asks on every pause in typing, so the answer must be small and quick. It comes from the
inventory list's own query (`inventory.page`) with the text as its filter, so the suggestions find what the
list finds, through whatever search engine the list uses, within the same row scope.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from db.engine import session_scope
from db.inventory import Watch
from services import inventory, photos
from services.errors import ValidationFailed
from services.permissions import Actor, Permission, require
from services.scope import scoped
from services.search.base import RELEVANCE
from services.watch_filter import WatchFilter

MIN_LENGTH = 2
MAX_LENGTH = 100
MAX_LIMIT = 20


class Suggestion(BaseModel):
    """One watch as the dropdown shows it; the stage travels apart from the subtitle so it can be drawn as a chip."""

    id: int
    sku: str
    title: str
    subtitle: str
    stage: str
    stage_colour: str
    primary_photo_id: int | None
    thumbnail: str | None


class Suggestions(BaseModel):
    """The best matches first; `total` is exact unless `capped`; `exact_id` is set when the text is a SKU."""

    items: list[Suggestion] = Field(default_factory=list)
    total: int = 0
    capped: bool = False
    exact_id: int | None = None


def suggest(actor: Actor, text: str, limit: int = 8) -> Suggestions:
    """Up to `limit` watches the actor may see that match `text`; nothing for one character or punctuation alone."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = ' '.join(text.split())
    if len(wanted) > MAX_LENGTH:
        raise ValidationFailed(f'Search for at most {MAX_LENGTH} characters.', {'text': 'Too long.'})
    if len(wanted) < MIN_LENGTH or not any(character.isalnum() for character in wanted):
        return Suggestions()
    with session_scope() as session:
        exact_id = _exact_sku(session, actor, wanted)
        found = inventory.page(
            session, actor, WatchFilter(text=wanted), offset=0, limit=max(1, min(limit, MAX_LIMIT)),
            sort=RELEVANCE, descending=True,
        )  # fmt: skip
    items = [_suggestion(row) for row in found.items]
    items.sort(key=lambda item: item.id != exact_id)  # the scanned watch first, the rest in the engine's order
    return Suggestions(items=items, total=found.total, capped=found.total_capped, exact_id=exact_id)


def _exact_sku(session: Session, actor: Actor, text: str) -> int | None:
    """The watch whose SKU this is (in any case), within the actor's scope; what a barcode scanner types."""
    return session.exec(scoped(select(Watch.id).where(Watch.sku == text.upper()), actor)).first()


def _suggestion(row: inventory.WatchRow) -> Suggestion:
    details = [part for part in (row.reference, str(row.year) if row.year else None) if part]
    return Suggestion(
        id=row.id,
        sku=row.sku,
        title=f'{row.brand} {row.model}',
        subtitle=' · '.join(details),
        stage=row.stage,
        stage_colour=row.stage_colour,
        primary_photo_id=row.primary_photo_id,
        thumbnail=photos.photo_url(row.primary_photo_id, 'thumb') if row.primary_photo_id else None,
    )
