"""A watch's photos: list, upload (checked by the same service as the screens), and order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse

from api.auth import Reader, Writer
from api.problems import problem
from api.schemas import ImageOrder
from services import photos
from services.photos import PhotoBatchResult, PhotoRead

router = APIRouter(prefix='/watches/{watch_id}/images', tags=['images'])


@router.get('', response_model=list[PhotoRead])
def list_images(who: Reader, watch_id: int) -> list[PhotoRead]:
    """The photos in display order, with the addresses of their thumbnail, large and original files."""
    return photos.list_photos(who.actor, watch_id)


@router.post('', response_model=PhotoBatchResult, status_code=201)
def add_images(
    who: Writer, watch_id: int, files: Annotated[list[UploadFile], File(description='JPEG, PNG or WebP photos.')]
) -> PhotoBatchResult | JSONResponse:
    """Add photos; each file is accepted or refused on its own (201 when any went in, 422 when none did)."""
    limits = photos.photo_limits()
    uploads = [(upload.filename or 'photo', upload.file.read(limits.max_mb * photos.MB + 1)) for upload in files]
    result = photos.add_photos(who.actor, watch_id, uploads)
    if result.accepted:
        return result
    errors = {outcome.name: outcome.message for outcome in result.refused}
    return problem(422, 'No photo was added: ' + ' '.join(errors.values()), errors=errors)


@router.put('/order', response_model=list[PhotoRead])
def order_images(who: Writer, watch_id: int, body: ImageOrder) -> list[PhotoRead]:
    """Show the photos in this order; the list must name every photo of the watch once."""
    return photos.reorder_photos(who.actor, watch_id, body.image_ids)
