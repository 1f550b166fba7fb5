"""Photos of a watch: checked on the server, stored once by content, shown in the order the team chooses.

NiceGUI's upload limits are enforced only in the browser, so every file is decoded here before anything is
written: a `.jpg` that is really a PDF, or a photo cut off half way, is refused with its own sentence while
the good files of the same upload go in. Decoding and thumbnailing (seconds for 40 large photos) run
outside any transaction, across a small thread pool; the rows are written afterwards in one short
transaction that re-checks the limits under a lock on the watch.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

from PIL import Image
from pydantic import BaseModel, ConfigDict, computed_field
from sqlmodel import Session, func, select

from db.engine import session_scope
from db.inventory import PendingPhoto, Watch, WatchImage
from services import audit, events, media_store
from services.errors import NotFound, ValidationFailed
from services.permissions import Actor, Permission, require
from services.scope import scoped, watch_in_scope
from services.settings import get_setting

ROUTE = '/media/photos/{image_id}/{size}'
SIZES: dict[str, int | None] = {
    'thumb': media_store.THUMB_SIZES[0],
    'large': media_store.THUMB_SIZES[1],
    'original': None,
}
MAX_PIXELS = 80_000_000  # below Pillow's decompression-bomb warning; a 12 MP phone photo is far under it
MB = 1024 * 1024
_FORMATS = {'JPEG': ('image/jpeg', '.jpg'), 'PNG': ('image/png', '.png'), 'WEBP': ('image/webp', '.webp')}
_SUFFIXES = dict(_FORMATS.values())
_WORKERS = min(4, os.cpu_count() or 1)
_ORIENTATION = 0x0112
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
T = TypeVar('T')
R = TypeVar('R')


class PhotoLimits(BaseModel):
    max_mb: int
    max_count: int


class PhotoOutcome(BaseModel):
    """What became of one uploaded file; `message` is a sentence to show next to its name."""

    name: str
    accepted: bool
    message: str
    image_id: int | None = None


class PhotoBatchResult(BaseModel):
    outcomes: list[PhotoOutcome]

    @property
    def accepted(self) -> list[PhotoOutcome]:
        return [outcome for outcome in self.outcomes if outcome.accepted]

    @property
    def refused(self) -> list[PhotoOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.accepted]


class PhotoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    watch_id: int
    position: int
    is_primary: bool
    width: int
    height: int
    size_bytes: int
    content_type: str
    original_name: str | None

    @computed_field
    def thumb_url(self) -> str:
        return photo_url(self.id, 'thumb')

    @computed_field
    def large_url(self) -> str:
        return photo_url(self.id, 'large')

    @computed_field
    def original_url(self) -> str:
        return photo_url(self.id, 'original')


def photo_limits() -> PhotoLimits:
    """The upload limits an admin sets (`photos.max_mb`, 25 by default; `photos.max_count`, 40); the upload widget
    shows them too, though only this service enforces them."""
    return PhotoLimits(max_mb=get_setting('photos.max_mb'), max_count=get_setting('photos.max_count'))


def photo_url(image_id: int, size: str) -> str:
    return ROUTE.format(image_id=image_id, size=size)


def add_photos(actor: Actor, watch_id: int, files: Sequence[tuple[str, bytes]]) -> PhotoBatchResult:
    """Add uploaded files (name, bytes) to a watch; each file is accepted or refused on its own."""
    require(actor, Permission.IMAGES_MANAGE)
    if not files:
        raise ValidationFailed('Choose at least one photo to add.')
    limits = photo_limits()
    with session_scope() as session:
        gallery = _gallery(session, actor, watch_id)
    checked = _parallel(lambda file: _inspect(file[0], file[1], limits), files)
    planned = _admit(checked, gallery, limits)
    _parallel(_store, [item for item in planned if isinstance(item, _Candidate)])
    with session_scope() as session:
        watch = _locked_watch(session, actor, watch_id)
        gallery = _gallery(session, actor, watch_id)
        final = _admit(planned, gallery, limits)
        outcomes = [
            _insert(session, actor, watch, gallery, item) if isinstance(item, _Candidate) else item for item in final
        ]
        watch.image_count = len(gallery.checksums)
        events.record(session, events.WATCH_CHANGED, ids=[watch_id])  # "has photos" is a list filter
    return PhotoBatchResult(outcomes=outcomes)


def list_photos(actor: Actor, watch_id: int) -> list[PhotoRead]:
    """A watch's photos in display order."""
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        return _reads(_images(session, watch_id))


def reorder_photos(actor: Actor, watch_id: int, image_ids: Sequence[int]) -> list[PhotoRead]:
    """Show the photos in the order given, which must name each photo of the watch exactly once."""
    require(actor, Permission.IMAGES_MANAGE)
    with session_scope() as session:
        _locked_watch(session, actor, watch_id)
        images = _images(session, watch_id)
        before = [image.id for image in images]
        if len(image_ids) != len(before) or set(image_ids) != set(before):
            raise ValidationFailed('The new order must name each photo of this watch once; reload and try again.')
        by_id = {image.id: image for image in images}
        for position, image_id in enumerate(image_ids):
            by_id[image_id].position = position
        audit.record(session, actor, 'photo.reordered', 'watch', watch_id, before={'order': before},
                     after={'order': list(image_ids)})  # fmt: skip
        return _reads(sorted(images, key=lambda image: image.position))


def set_primary(actor: Actor, watch_id: int, image_id: int) -> list[PhotoRead]:
    """Make one photo the watch's main photo (the one lists and platforms show first)."""
    require(actor, Permission.IMAGES_MANAGE)
    with session_scope() as session:
        _locked_watch(session, actor, watch_id)
        images = _images(session, watch_id)
        chosen = _one_of(images, image_id)
        before = next((image.id for image in images if image.is_primary), None)
        for image in images:
            image.is_primary = image is chosen
        audit.record(session, actor, 'photo.primary_set', 'watch_image', image_id, before={'primary_id': before},
                     after={'primary_id': image_id, 'watch_id': watch_id})  # fmt: skip
        return _reads(images)


def delete_photo(actor: Actor, watch_id: int, image_id: int) -> list[PhotoRead]:
    """Remove a photo; the main photo role passes on, and the file goes once no watch shows it any more."""
    require(actor, Permission.IMAGES_MANAGE)
    with session_scope() as session:
        watch = _locked_watch(session, actor, watch_id)
        images = _images(session, watch_id)
        doomed = _one_of(images, image_id)
        index = images.index(doomed)
        rest = images[:index] + images[index + 1 :]
        if doomed.is_primary and rest:
            rest[min(index, len(rest) - 1)].is_primary = True
        for position, image in enumerate(rest):
            image.position = position
        watch.image_count = len(rest)
        events.record(session, events.WATCH_CHANGED, ids=[watch_id])
        session.delete(doomed)
        audit.record(session, actor, 'photo.deleted', 'watch_image', image_id, before=_summary(doomed))
        reads = _reads(rest)
    discard_if_unused(doomed.checksum, doomed.content_type)
    return reads


def photo_file(actor: Actor, image_id: int, size: str) -> tuple[Path, str, str]:
    """The file to send for a photo in one of `SIZES`, with its ETag and media type; derivatives are remade if lost."""
    require(actor, Permission.INVENTORY_VIEW)
    if size not in SIZES:
        raise NotFound(f'No photo size "{size}"; use thumb, large or original.')
    with session_scope() as session:
        query = select(WatchImage).join(Watch, Watch.id == WatchImage.watch_id).where(WatchImage.id == image_id)
        image = session.exec(scoped(query, actor)).first()
        if image is None:
            raise NotFound('No such photo, or it is not on one of your watches.')
    suffix = _SUFFIXES[image.content_type]
    original = media_store.original_path(image.checksum, suffix)
    if not original.is_file():
        raise NotFound('The file of this photo is missing from the media store.')
    etag = f'"{image.checksum}-{size}"'
    if (pixels := SIZES[size]) is None:
        return original, etag, image.content_type
    return media_store.make_thumbnails(image.checksum, (pixels,), suffix)[pixels], etag, 'image/jpeg'


def screen_and_store(files: Sequence[tuple[str, bytes]], taken: set[str]) -> list[StoredPhoto | PhotoOutcome]:
    """Check files as `add_photos` does (real type, size, duplicates of `taken`, the count limit) and store the
    accepted ones in the media store; for photos kept before their watch exists (intake)."""
    limits = photo_limits()
    checked = _parallel(lambda file: _inspect(file[0], file[1], limits), files)
    admitted = _admit(checked, _Gallery(checksums=set(taken), next_position=0, has_primary=False), limits)
    _parallel(_store, [item for item in admitted if isinstance(item, _Candidate)])
    return [item.stored() if isinstance(item, _Candidate) else item for item in admitted]


def stored_bytes(checksum: str, content_type: str) -> bytes:
    """The original file of a stored photo."""
    return media_store.original_path(checksum, _SUFFIXES[content_type]).read_bytes()


def stored_thumbnail(checksum: str, content_type: str) -> Path:
    """The small derivative of a stored photo, remade if it was lost."""
    pixels = media_store.THUMB_SIZES[0]
    return media_store.make_thumbnails(checksum, (pixels,), _SUFFIXES[content_type])[pixels]


def discard_if_unused(checksum: str, content_type: str) -> None:
    """Remove the original and its derivatives once no photo row (of a watch or of an intake draft) shows them.

    Called after the deleting transaction committed.
    """
    with session_scope() as session:
        users = session.exec(select(func.count()).where(WatchImage.checksum == checksum)).one()
        users += session.exec(select(func.count()).where(PendingPhoto.checksum == checksum)).one()
    if not users:
        media_store.original_path(checksum, _SUFFIXES[content_type]).unlink(missing_ok=True)
        for size in media_store.THUMB_SIZES:
            media_store.thumb_path(checksum, size).unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredPhoto:
    """A checked photo whose file is in the media store, shown on no watch yet; sizes as shown (upright)."""

    name: str
    checksum: str
    content_type: str
    width: int
    height: int
    size_bytes: int


@dataclass(frozen=True)
class _Candidate:
    """A file that decoded as a photo we accept; `width` and `height` are as shown (EXIF rotation applied)."""

    name: str
    data: bytes
    checksum: str
    content_type: str
    width: int
    height: int

    def stored(self) -> StoredPhoto:
        return StoredPhoto(self.name, self.checksum, self.content_type, self.width, self.height, len(self.data))


@dataclass
class _Gallery:
    """What the limits are checked against: the checksums on the watch, and who is main photo."""

    checksums: set[str]
    next_position: int
    has_primary: bool


class _Unreadable(Exception):
    """The file cannot be taken as a photo; the message says why, for the person uploading it."""


def _inspect(name: str, data: bytes, limits: PhotoLimits) -> _Candidate | PhotoOutcome:
    """Refuse a file that is too big or is not really a JPEG, PNG or WebP photo; nothing is written here."""
    name = _clean_name(name)
    if len(data) > limits.max_mb * MB:
        return _refused(name, f'This file is {len(data) / MB:.1f} MB; a photo can be at most {limits.max_mb} MB.')
    try:
        content_type, width, height = _decode(data)
    except _Unreadable as error:
        return _refused(name, str(error))
    return _Candidate(name, data, hashlib.sha256(data).hexdigest(), content_type, width, height)


def _decode(data: bytes) -> tuple[str, int, int]:
    """Decode the whole file (at reduced scale for JPEG, which still reads every byte), so a truncated one fails.

    Any exception while decoding means the same to the person uploading: the file is damaged.
    """
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
            image.verify()
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(image.size)
            content_type, (width, height) = _FORMATS[str(image.format)][0], image.size
            rotated = image.getexif().get(_ORIENTATION) in _ROTATED
            image.draft('RGB', (256, 256))
            image.load()
    except Image.UnidentifiedImageError:
        raise _Unreadable('This file is not a JPEG, PNG or WebP photo, whatever its name says.') from None
    except Image.DecompressionBombError:
        raise _Unreadable(
            f'This image has too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels please.'
        ) from None
    except Exception:
        raise _Unreadable('This photo is damaged or incomplete; export or copy it again.') from None
    return (content_type, height, width) if rotated else (content_type, width, height)


def _admit(
    items: Sequence[_Candidate | PhotoOutcome], gallery: _Gallery, limits: PhotoLimits
) -> list[_Candidate | PhotoOutcome]:
    """Refuse duplicates and photos beyond the limit, in upload order; refusals already made pass through."""
    seen = set(gallery.checksums)
    count = len(seen)
    admitted: list[_Candidate | PhotoOutcome] = []
    for item in items:
        if isinstance(item, PhotoOutcome):
            admitted.append(item)
        elif item.checksum in seen:
            admitted.append(_refused(item.name, 'This photo has been added already.'))
        elif count >= limits.max_count:
            message = (
                f'A watch can have at most {limits.max_count} photos; this one would be the {_ordinal(count + 1)}.'
            )
            admitted.append(_refused(item.name, message))
        else:
            seen.add(item.checksum)
            count += 1
            admitted.append(item)
    return admitted


def _store(candidate: _Candidate) -> None:
    suffix = _SUFFIXES[candidate.content_type]
    media_store.store(candidate.data, suffix)
    media_store.make_thumbnails(candidate.checksum, suffix=suffix)


def _insert(session: Session, actor: Actor, watch: Watch, gallery: _Gallery, candidate: _Candidate) -> PhotoOutcome:
    """Add the row at the end of the order; the first photo of a watch becomes its main photo."""
    image = WatchImage(
        watch_id=watch.id,
        position=gallery.next_position,
        is_primary=not gallery.has_primary,
        checksum=candidate.checksum,
        content_type=candidate.content_type,
        width=candidate.width,
        height=candidate.height,
        size_bytes=len(candidate.data),
        original_name=candidate.name,
        created_by_id=actor.id,
    )
    session.add(image)
    session.flush()
    gallery.checksums.add(candidate.checksum)
    gallery.next_position += 1
    gallery.has_primary = True
    audit.record(session, actor, 'photo.added', 'watch_image', image.id, after=_summary(image))
    return PhotoOutcome(name=candidate.name, accepted=True, message='Added.', image_id=image.id)


def _gallery(session: Session, actor: Actor, watch_id: int) -> _Gallery:
    watch_in_scope(session, actor, watch_id)
    rows = session.exec(
        select(WatchImage.checksum, WatchImage.position, WatchImage.is_primary).where(WatchImage.watch_id == watch_id)
    ).all()
    return _Gallery(
        checksums={row.checksum for row in rows},
        next_position=max((row.position for row in rows), default=-1) + 1,
        has_primary=any(row.is_primary for row in rows),
    )


def _locked_watch(session: Session, actor: Actor, watch_id: int) -> Watch:
    """The watch in scope, locked (PostgreSQL) so two uploads to one watch cannot both take the 40th place."""
    watch = watch_in_scope(session, actor, watch_id)
    session.refresh(watch, with_for_update=True)
    return watch


def _images(session: Session, watch_id: int) -> list[WatchImage]:
    query = select(WatchImage).where(WatchImage.watch_id == watch_id).order_by(WatchImage.position, WatchImage.id)
    return list(session.exec(query).all())


def _one_of(images: list[WatchImage], image_id: int) -> WatchImage:
    chosen = next((image for image in images if image.id == image_id), None)
    if chosen is None:
        raise NotFound('This watch has no such photo; it may have been removed meanwhile.')
    return chosen


def _parallel(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """Pillow releases the GIL while decoding, resizing and encoding, so threads use every core."""
    if len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), _WORKERS), thread_name_prefix='photos') as pool:
        return list(pool.map(function, items))


def _reads(images: list[WatchImage]) -> list[PhotoRead]:
    return [PhotoRead.model_validate(image) for image in images]


def _summary(image: WatchImage) -> dict[str, object]:
    keys = ('watch_id', 'position', 'is_primary', 'checksum', 'original_name', 'width', 'height', 'size_bytes')
    return {key: getattr(image, key) for key in keys}


def _refused(name: str, message: str) -> PhotoOutcome:
    return PhotoOutcome(name=name, accepted=False, message=message)


def _clean_name(name: str) -> str:
    """Only the file's own name (browsers may send a path), printable, and short enough for the column."""
    base = PurePosixPath(name.replace('\\', '/')).name
    return ''.join(char for char in base if char.isprintable())[:255] or 'photo'


def _ordinal(number: int) -> str:
    suffix = 'th' if 10 <= number % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')
    return f'{number}{suffix}'
