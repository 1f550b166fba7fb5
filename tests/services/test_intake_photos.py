"""Intake photos kept with the draft: checked and stored as taken, private to their user, attached on save, purged."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.inventory import PendingPhoto, WatchImage
from db.system import AuditEntry
from db.types import utcnow
from services import intake_photos, media_store, photos, settings
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from tasks import maintenance
from tests.factories import make_user, take_in


def _photo(shade: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG whose bytes differ with `shade`."""
    image = Image.new('RGB', size, (shade % 256, (shade * 7) % 256, 90))
    buffer = io.BytesIO()
    image.save(buffer, 'JPEG')
    return buffer.getvalue()


def _draft() -> str:
    return secrets.token_hex(16)


def _pending() -> list[PendingPhoto]:
    with session_scope() as session:
        return list(session.exec(select(PendingPhoto).order_by(PendingPhoto.id)).all())


def _actions() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def _original(data: bytes) -> Path:
    return media_store.original_path(hashlib.sha256(data).hexdigest())


def test_photos_are_checked_and_kept_with_their_draft_only(media):
    agent = make_user(Role.AGENT)
    draft, other_draft = _draft(), _draft()
    front, back = _photo(1), _photo(2)
    result = intake_photos.add_pending_photos(
        agent, draft, [('front.jpg', front), ('scan.jpg', b'%PDF-1.7 not a photo'), ('again.jpg', front)]
    )
    assert [(o.name, o.accepted, o.message) for o in result.outcomes] == [
        ('front.jpg', True, 'Kept with this intake.'),
        ('scan.jpg', False, 'This file is not a JPEG, PNG or WebP photo, whatever its name says.'),
        ('again.jpg', False, 'This photo has been added already.'),
    ]
    intake_photos.add_pending_photos(agent, draft, [('back.jpg', back)])
    listed = intake_photos.list_pending_photos(agent, draft)
    assert [(p.original_name, p.width, p.height, p.size_bytes) for p in listed] == [
        ('front.jpg', 64, 48, len(front)),
        ('back.jpg', 64, 48, len(back)),
    ]
    assert listed[0].thumb_url == f'/media/pending/{listed[0].id}/thumb'
    assert _original(front).read_bytes() == front
    assert intake_photos.list_pending_photos(agent, other_draft) == []
    assert intake_photos.list_pending_photos(make_user(Role.AGENT), draft) == [], "another agent's draft is theirs"
    assert _actions().count('photo.pending_added') == 2

    path, etag = intake_photos.pending_thumbnail(agent, listed[0].id)
    with Image.open(path) as thumb:
        assert thumb.size == (64, 48)
    assert etag.startswith('"')
    with pytest.raises(NotFound):
        intake_photos.pending_thumbnail(make_user(Role.MANAGER), listed[0].id)


def test_an_oversized_file_and_the_41st_photo_are_refused(media):
    agent = make_user(Role.AGENT)
    draft = _draft()
    settings.set_setting(SYSTEM, 'photos.max_mb', 1)
    big = _photo(0, size=(16, 16)) + b'\0' * (1024 * 1024)
    refused = intake_photos.add_pending_photos(agent, draft, [('huge.jpg', big)]).outcomes[0]
    assert (refused.accepted, refused.message) == (False, 'This file is 1.0 MB; a photo can be at most 1 MB.')
    assert _pending() == []

    result = intake_photos.add_pending_photos(agent, draft, [(f'{n}.jpg', _photo(n)) for n in range(40)])
    assert len(result.accepted) == 40
    last = intake_photos.add_pending_photos(agent, draft, [('41.jpg', _photo(41))]).outcomes[0]
    assert (last.accepted, last.message) == (False, 'A watch can have at most 40 photos; this one would be the 41st.')
    assert len(_pending()) == 40


@pytest.mark.parametrize('role', [Role.SELLER, Role.FINANCE])
def test_roles_that_take_nothing_in_are_refused_and_nothing_is_written(media, role: Role):
    someone = make_user(role)
    with pytest.raises(PermissionDenied):
        intake_photos.add_pending_photos(someone, _draft(), [('a.jpg', _photo(1))])
    with pytest.raises(PermissionDenied):
        intake_photos.list_pending_photos(someone, _draft())
    assert _pending() == []
    assert not _original(_photo(1)).exists()


def test_a_bad_draft_key_or_no_file_is_refused(media):
    agent = make_user(Role.AGENT)
    with pytest.raises(ValidationFailed, match='no valid key'):
        intake_photos.add_pending_photos(agent, '../../etc', [('a.jpg', _photo(1))])
    with pytest.raises(ValidationFailed, match='at least one photo'):
        intake_photos.add_pending_photos(agent, _draft(), [])
    assert _pending() == []


def test_saving_attaches_the_photos_to_the_new_watch_and_empties_the_draft(media):
    agent = make_user(Role.AGENT)
    draft = _draft()
    front, back = _photo(1), _photo(2)
    intake_photos.add_pending_photos(agent, draft, [('front.jpg', front), ('back.jpg', back)])
    watch = take_in(agent)
    result = intake_photos.attach_pending_photos(agent, draft, watch.id)
    assert result is not None and [(o.name, o.accepted) for o in result.outcomes] == [
        ('front.jpg', True),
        ('back.jpg', True),
    ]
    gallery = photos.list_photos(agent, watch.id)
    assert [(p.original_name, p.is_primary) for p in gallery] == [('front.jpg', True), ('back.jpg', False)]
    assert _pending() == []
    assert _original(front).exists(), 'the watch shows the file now'
    assert 'photo.pending_attached' in _actions()
    assert intake_photos.attach_pending_photos(agent, draft, watch.id) is None


def test_attaching_to_a_watch_out_of_scope_is_refused_and_keeps_the_draft(media):
    agent = make_user(Role.AGENT)
    draft = _draft()
    intake_photos.add_pending_photos(agent, draft, [('front.jpg', _photo(1))])
    someone_elses = take_in(make_user(Role.AGENT))
    with pytest.raises(NotFound):
        intake_photos.attach_pending_photos(agent, draft, someone_elses.id)
    assert len(_pending()) == 1
    with session_scope() as session:
        assert session.exec(select(WatchImage)).all() == []


def test_removing_a_photo_deletes_its_file_when_nothing_else_shows_it(media):
    agent = make_user(Role.AGENT)
    draft = _draft()
    front, back = _photo(1), _photo(2)
    intake_photos.add_pending_photos(agent, draft, [('front.jpg', front), ('back.jpg', back)])
    first, second = intake_photos.list_pending_photos(agent, draft)
    assert [p.id for p in intake_photos.remove_pending_photo(agent, draft, first.id)] == [second.id]
    assert not _original(front).exists()
    assert _original(back).exists()
    with pytest.raises(NotFound):
        intake_photos.remove_pending_photo(make_user(Role.AGENT), draft, second.id)
    assert 'photo.pending_removed' in _actions()


def test_the_nightly_purge_removes_photos_of_drafts_a_day_old(media):
    agent = make_user(Role.AGENT)
    old, fresh = _photo(1), _photo(2)
    intake_photos.add_pending_photos(agent, _draft(), [('old.jpg', old)])
    intake_photos.add_pending_photos(agent, _draft(), [('fresh.jpg', fresh)])
    with session_scope() as session:
        stale = session.exec(select(PendingPhoto).where(PendingPhoto.original_name == 'old.jpg')).one()
        stale.created_at = utcnow() - timedelta(hours=25)

    with pytest.raises(PermissionDenied):
        intake_photos.purge_stale_photos(make_user(Role.MANAGER))
    with pytest.raises(ValidationFailed):
        intake_photos.purge_stale_photos(SYSTEM, older_than=timedelta(hours=-1))
    assert len(_pending()) == 2

    assert maintenance.purge_stale_intake_photos.call_local() == 1
    assert [p.original_name for p in _pending()] == ['fresh.jpg']
    assert not _original(old).exists()
    assert _original(fresh).exists()
    assert _actions().count('photo.pending_purged') == 1
