"""The photo route: served to logged-in staff within their scope, cached for good, revalidated by ETag."""

from __future__ import annotations

import io

from nicegui.testing import User
from PIL import Image

from db.accounts import User as UserRow
from db.engine import session_scope
from db.enums import Role
from services import photos
from services.permissions import Actor
from tests.factories import make_user, make_watch
from tests.ui.session import PATIENCE, log_in


def _photo_of(actor: Actor) -> int:
    """A 2000 x 1000 photo on a new watch sourced by `actor`."""
    buffer = io.BytesIO()
    Image.new('RGB', (2000, 1000), (30, 60, 90)).save(buffer, 'JPEG')
    result = photos.add_photos(actor, make_watch(agent=actor), [('dial.jpg', buffer.getvalue())])
    image_id = result.outcomes[0].image_id
    assert image_id is not None
    return image_id


async def _logged_in(user: User, email: str) -> None:
    await log_in(user, email)
    await user.should_see(marker='user-menu', retries=PATIENCE)


async def test_a_photo_is_served_cached_and_revalidated(media, visitor: User):
    agent = make_user(Role.AGENT, email='agnes@example.com')
    image_id = _photo_of(agent)
    await _logged_in(visitor, 'agnes@example.com')
    response = await visitor.http_client.get(f'/media/photos/{image_id}/thumb')
    assert response.status_code == 200
    assert response.headers['content-type'] == 'image/jpeg'
    assert response.headers['cache-control'] == 'private, max-age=31536000, immutable'
    etag = response.headers['etag']
    assert etag.startswith('"') and etag.endswith('-thumb"')
    assert Image.open(io.BytesIO(response.content)).size == (320, 160)
    again = await visitor.http_client.get(f'/media/photos/{image_id}/thumb', headers={'If-None-Match': f'W/{etag}'})
    assert (again.status_code, again.content, again.headers['etag']) == (304, b'', etag)
    original = await visitor.http_client.get(f'/media/photos/{image_id}/original', headers={'If-None-Match': etag})
    assert original.status_code == 200, 'another size has another tag'
    assert Image.open(io.BytesIO(original.content)).size == (2000, 1000)


async def test_photos_outside_the_scope_or_of_no_size_are_not_found(media, visitor: User):
    make_user(Role.AGENT, email='agnes@example.com')
    theirs = _photo_of(make_user(Role.AGENT))
    await _logged_in(visitor, 'agnes@example.com')
    for path in (f'/media/photos/{theirs}/thumb', f'/media/photos/{theirs + 1}/thumb', f'/media/photos/{theirs}/huge'):
        assert (await visitor.http_client.get(path)).status_code == 404, path


async def test_without_a_login_there_is_no_photo(media, visitor: User):
    image_id = _photo_of(make_user(Role.AGENT))
    response = await visitor.http_client.get(f'/media/photos/{image_id}/large')
    assert response.status_code in {302, 303, 307}
    assert response.headers['location'].startswith('/login?redirect_to=%2Fmedia%2Fphotos%2F')


async def test_a_deactivated_account_gets_no_photo(media, visitor: User):
    manager = make_user(Role.MANAGER, email='max@example.com')
    image_id = _photo_of(manager)
    await _logged_in(visitor, 'max@example.com')
    with session_scope() as session:
        row = session.get(UserRow, manager.id)
        assert row is not None
        row.active = False
    assert (await visitor.http_client.get(f'/media/photos/{image_id}/large')).status_code == 401
