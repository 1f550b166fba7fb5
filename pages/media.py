"""The one HTTP route that serves photos, to logged-in staff only and within their row scope.

A photo's bytes never change under its id and size (files are content-addressed), so browsers may cache it
for a year and revalidate with the ETag; `private` keeps shared proxies from storing what only staff may see.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from nicegui import app
from starlette.responses import Response

from pages import auth
from services import accounts, photos
from services.errors import NotFound, PermissionDenied

CACHE_CONTROL = 'private, max-age=31536000, immutable'


def register() -> None:
    app.get(photos.ROUTE, include_in_schema=False)(photo)


async def photo(image_id: int, size: str, request: Request) -> Response:
    """401 without a live account, 404 outside the actor's scope, 304 when the browser's copy is current."""
    user_id = auth.current_user_id()
    if user_id is None:
        return Response(status_code=401)
    try:
        found = await run_in_threadpool(_find, user_id, image_id, size)
    except (NotFound, PermissionDenied):
        return Response(status_code=404)
    if found is None:
        return Response(status_code=401)
    path, etag, media_type = found
    headers = {'ETag': etag, 'Cache-Control': CACHE_CONTROL}
    if _etags(request.headers.get('if-none-match', '')) & {etag, '*'}:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


def _find(user_id: int, image_id: int, size: str) -> tuple[Path, str, str] | None:
    """The photo's file for this user, or None when the account is gone or deactivated."""
    actor = accounts.load_actor(user_id)
    return None if actor is None else photos.photo_file(actor, image_id, size)


def _etags(header: str) -> set[str]:
    """The tags in an If-None-Match header; a weak tag (W/"...") matches too, as RFC 9110 asks for GET."""
    return {tag.strip().removeprefix('W/') for tag in header.split(',') if tag.strip()}
