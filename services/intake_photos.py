"""Photos taken at the intake desk before the watch exists, kept on the server with the draft they belong to.

A tablet on shop Wi-Fi reloads or loses its connection; the draft's fields come back from the tab's storage,
and so must its photos, which are far too large for it. Each photo is checked and stored as it is taken (the
same checks as a watch's photos), recorded as a `PendingPhoto` of the user's draft, and the draft keeps only
its key. Saving the watch attaches them; the nightly task removes those left behind for a day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, computed_field
from sqlmodel import Session, col, select

from db.engine import session_scope
from db.inventory import PendingPhoto
from db.types import utcnow
from services import audit, photos
from services.errors import NotFound, ValidationFailed
from services.permissions import Actor, Permission, require
from services.photos import PhotoBatchResult, PhotoOutcome, StoredPhoto

ROUTE = '/media/pending/{photo_id}/thumb'
MAX_AGE = timedelta(days=1)
_DRAFT_KEY = re.compile(r'^[0-9a-f]{32}$')


class PendingPhotoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    original_name: str | None
    size_bytes: int
    width: int
    height: int

    @computed_field
    def thumb_url(self) -> str:
        return ROUTE.format(photo_id=self.id)


def add_pending_photos(actor: Actor, draft_key: str, files: Sequence[tuple[str, bytes]]) -> PhotoBatchResult:
    """Keep uploaded files (name, bytes) with the actor's intake draft; each is accepted or refused on its own."""
    require(actor, Permission.INVENTORY_CREATE, Permission.IMAGES_MANAGE)
    key = _checked_key(draft_key)
    if not files:
        raise ValidationFailed('Choose at least one photo to add.')
    with session_scope() as session:
        taken = {photo.checksum for photo in _drafted(session, actor, key)}
    screened = photos.screen_and_store(files, taken)
    with session_scope() as session:
        outcomes = [
            item if isinstance(item, PhotoOutcome) else _insert(session, actor, key, item, taken) for item in screened
        ]
    return PhotoBatchResult(outcomes=outcomes)


def list_pending_photos(actor: Actor, draft_key: str) -> list[PendingPhotoRead]:
    """The photos of the actor's draft, in the order they were taken."""
    require(actor, Permission.INVENTORY_CREATE)
    with session_scope() as session:
        return [PendingPhotoRead.model_validate(photo) for photo in _drafted(session, actor, _checked_key(draft_key))]


def remove_pending_photo(actor: Actor, draft_key: str, photo_id: int) -> list[PendingPhotoRead]:
    """Take one photo out of the draft; its file goes once nothing else shows it."""
    require(actor, Permission.INVENTORY_CREATE)
    key = _checked_key(draft_key)
    with session_scope() as session:
        photo = next((photo for photo in _drafted(session, actor, key) if photo.id == photo_id), None)
        if photo is None:
            raise NotFound('This photo is no longer in your intake; reload the page.')
        gone = (photo.checksum, photo.content_type)
        session.delete(photo)
        audit.record(session, actor, 'photo.pending_removed', 'pending_photo', photo_id, before=_summary(photo))
        rest = [PendingPhotoRead.model_validate(other) for other in _drafted(session, actor, key) if other is not photo]
    photos.discard_if_unused(*gone)
    return rest


def attach_pending_photos(actor: Actor, draft_key: str, watch_id: int) -> PhotoBatchResult | None:
    """Add the draft's photos to the watch just saved (checked again, as any upload), then forget the draft's rows.

    Returns None when the draft has no photos.
    """
    require(actor, Permission.IMAGES_MANAGE)
    key = _checked_key(draft_key)
    with session_scope() as session:
        drafted = [(photo.id, photo.original_name or 'photo', photo.checksum, photo.content_type)
                   for photo in _drafted(session, actor, key)]  # fmt: skip
    if not drafted:
        return None
    files = [(name, photos.stored_bytes(checksum, kind)) for _, name, checksum, kind in drafted]
    result = photos.add_photos(actor, watch_id, files)
    with session_scope() as session:
        ids = [photo_id for photo_id, *_ in drafted]
        for photo in _drafted(session, actor, key):
            if photo.id in ids:
                session.delete(photo)
        audit.record(session, actor, 'photo.pending_attached', 'watch', watch_id, after={'pending_ids': ids})
    for _, _, checksum, kind in drafted:
        photos.discard_if_unused(checksum, kind)
    return result


def pending_thumbnail(actor: Actor, photo_id: int) -> tuple[Path, str]:
    """The small image of one of the actor's own draft photos, with its ETag; nobody else's."""
    require(actor, Permission.INVENTORY_CREATE)
    with session_scope() as session:
        photo = session.get(PendingPhoto, photo_id)
        if photo is None or photo.user_id != actor.id:
            raise NotFound('No such photo in your intake.')
        checksum, kind = photo.checksum, photo.content_type
    return photos.stored_thumbnail(checksum, kind), f'"{checksum}-pending-thumb"'


def purge_stale_photos(actor: Actor, *, older_than: timedelta = MAX_AGE) -> int:
    """Remove draft photos nobody saved within `older_than` (an intake abandoned); returns how many went."""
    require(actor, Permission.SETTINGS_MANAGE)
    if older_than < timedelta(0):
        raise ValidationFailed('The age of photos to remove cannot be negative.')
    cutoff = utcnow() - older_than
    with session_scope() as session:
        stale = session.exec(select(PendingPhoto).where(PendingPhoto.created_at < cutoff)).all()
        files = {(photo.checksum, photo.content_type) for photo in stale}
        for photo in stale:
            session.delete(photo)
        if stale:
            hours = older_than.total_seconds() / 3600
            audit.record(
                session, actor, 'photo.pending_purged', 'pending_photo', after={'count': len(stale), 'hours': hours}
            )
    for checksum, kind in files:
        photos.discard_if_unused(checksum, kind)
    return len(stale)


def _insert(session: Session, actor: Actor, key: str, candidate: StoredPhoto, taken: set[str]) -> PhotoOutcome:
    photo = PendingPhoto(
        user_id=actor.id,
        draft_key=key,
        checksum=candidate.checksum,
        content_type=candidate.content_type,
        width=candidate.width,
        height=candidate.height,
        size_bytes=candidate.size_bytes,
        original_name=candidate.name,
    )
    session.add(photo)
    session.flush()
    taken.add(candidate.checksum)
    audit.record(session, actor, 'photo.pending_added', 'pending_photo', photo.id, after=_summary(photo))
    return PhotoOutcome(name=candidate.name, accepted=True, message='Kept with this intake.', image_id=photo.id)


def _drafted(session: Session, actor: Actor, key: str) -> list[PendingPhoto]:
    query = (
        select(PendingPhoto)
        .where(PendingPhoto.user_id == actor.id, PendingPhoto.draft_key == key)
        .order_by(col(PendingPhoto.id))
    )
    return list(session.exec(query).all())


def _checked_key(draft_key: str) -> str:
    if not isinstance(draft_key, str) or not _DRAFT_KEY.match(draft_key):
        raise ValidationFailed('This intake draft has no valid key; reload the page.')
    return draft_key


def _summary(photo: PendingPhoto) -> dict[str, object]:
    keys = ('draft_key', 'checksum', 'original_name', 'width', 'height', 'size_bytes')
    return {key: getattr(photo, key) for key in keys}
