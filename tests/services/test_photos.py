"""Photos of a watch: server-side checks per file, content-addressed storage, order, main photo, scope."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch, WatchImage
from db.system import AuditEntry
from services import media_store, photos, settings
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from tests.factories import make_user, make_watch

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _photo(shade: int = 0, size: tuple[int, int] = (64, 48), fmt: str = 'JPEG', **save: object) -> bytes:
    """A small image whose bytes differ with `shade` (a white square moves with it)."""
    image = Image.new('RGB', size, (40, 60, 90))
    left, top = (shade * 8) % size[0], (shade * 8 // size[0]) * 8 % size[1]
    image.paste((255, 255, 255), (left, top, left + 8, top + 8))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def _phone_photo() -> bytes:
    """A portrait photo as a phone writes it: landscape pixels, orientation 6, GPS position and camera model."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x0110] = 'PhoneCam 12'
    exif.get_ifd(GPS_IFD).update({1: 'N', 2: (59.0, 19.0, 48.0), 3: 'E', 4: (18.0, 4.0, 7.0)})
    return _photo(7, size=(2000, 1500), exif=exif)


def _files(media: Path) -> list[Path]:
    return sorted(path.relative_to(media) for path in media.rglob('*') if path.is_file())


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def _image_count(watch_id: int) -> int:
    with session_scope() as session:
        watch = session.get(Watch, watch_id)
        assert watch is not None
        return watch.image_count


def _rows() -> int:
    with session_scope() as session:
        return len(session.exec(select(WatchImage.id)).all())


def _add(actor, watch_id: int, *shades: int) -> list[int]:
    result = photos.add_photos(actor, watch_id, [(f'{shade}.jpg', _photo(shade)) for shade in shades])
    assert not result.refused, result.refused
    return [outcome.image_id for outcome in result.accepted]


def test_photos_are_stored_upright_without_metadata_and_the_first_becomes_primary(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    data = _phone_photo()
    result = photos.add_photos(manager, watch_id, [('C:\\DCIM\\IMG_0001.JPG', data), ('dial.png', _photo(fmt='PNG'))])
    assert [(o.name, o.accepted, o.message) for o in result.outcomes] == [
        ('IMG_0001.JPG', True, 'Added.'),
        ('dial.png', True, 'Added.'),
    ]
    first, second = photos.list_photos(manager, watch_id)
    assert (first.id, first.position, first.is_primary) == (result.outcomes[0].image_id, 0, True)
    assert (second.position, second.is_primary, second.content_type) == (1, False, 'image/png')
    assert (first.width, first.height, first.size_bytes) == (1500, 2000, len(data)), 'as shown: rotated upright'
    assert first.thumb_url == f'/media/photos/{first.id}/thumb'
    assert first.model_dump()['original_url'] == f'/media/photos/{first.id}/original'
    assert _image_count(watch_id) == 2
    assert [entry.entity_id for entry in _audit('photo.added')] == [str(first.id), str(second.id)]
    checksum = hashlib.sha256(data).hexdigest()
    assert media_store.original_path(checksum).read_bytes() == data
    for size, expected in ((320, (240, 320)), (1600, (1200, 1600))):
        with Image.open(media_store.thumb_path(checksum, size)) as thumb:
            assert thumb.size == expected
            assert not thumb.getexif() and 'exif' not in thumb.info, 'no GPS position or camera in a derivative'


def test_the_same_bytes_on_two_watches_are_stored_once(media):
    manager = make_user(Role.MANAGER)
    data = _photo(3)
    for watch_id in (make_watch(), make_watch()):
        assert photos.add_photos(manager, watch_id, [('a.jpg', data)]).outcomes[0].accepted
    assert _rows() == 2
    assert len(_files(media)) == 3, 'one original and two derivatives'


def test_files_that_are_not_photos_are_refused_each_with_a_sentence_and_nothing_is_written(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    good = _photo(1)
    files = [
        ('invoice.jpg', b'%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'),
        ('cut.jpg', _photo(2, size=(600, 400))[:-400]),
        ('anim.gif', _photo(3, fmt='GIF')),
        ('empty.jpg', b''),
        ('good.jpg', good),
    ]
    result = photos.add_photos(manager, watch_id, files)
    not_a_photo = 'This file is not a JPEG, PNG or WebP photo, whatever its name says.'
    assert [(o.name, o.accepted, o.message) for o in result.outcomes] == [
        ('invoice.jpg', False, not_a_photo),
        ('cut.jpg', False, 'This photo is damaged or incomplete; export or copy it again.'),
        ('anim.gif', False, not_a_photo),
        ('empty.jpg', False, not_a_photo),
        ('good.jpg', True, 'Added.'),
    ]
    checksum = hashlib.sha256(good).hexdigest()
    assert {path.name for path in _files(media)} == {f'{checksum}.jpg'}
    assert _rows() == 1 and _image_count(watch_id) == 1
    assert len(_audit('photo.added')) == 1


def test_a_file_over_the_size_limit_set_by_an_admin_is_refused(media):
    settings.set_setting(SYSTEM, 'photos.max_mb', 1)
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    big = _photo(1, size=(1200, 900), fmt='BMP')  # not even decoded: the size is checked first
    big_png = _photo(1, fmt='PNG') + b'\0' * photos.MB
    result = photos.add_photos(manager, watch_id, [('big.jpg', big), ('big.png', big_png)])
    assert [o.message for o in result.outcomes] == [
        'This file is 3.1 MB; a photo can be at most 1 MB.',
        'This file is 1.0 MB; a photo can be at most 1 MB.',
    ]
    assert _files(media) == [] and _rows() == 0 and _audit('photo.added') == []


def test_a_watch_holds_at_most_forty_photos(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    result = photos.add_photos(manager, watch_id, [(f'{n}.jpg', _photo(n)) for n in range(41)])
    assert len(result.accepted) == 40
    assert [(o.name, o.message) for o in result.refused] == [
        ('40.jpg', 'A watch can have at most 40 photos; this one would be the 41st.')
    ]
    again = photos.add_photos(manager, watch_id, [('late.jpg', _photo(41)), ('later.jpg', _photo(42))])
    assert [o.message for o in again.outcomes] == [
        'A watch can have at most 40 photos; this one would be the 41st.'
    ] * 2
    assert _image_count(watch_id) == 40 and _rows() == 40
    assert len(_files(media)) == 3 * 40, 'the refused photos left no files'


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(media, monkeypatch):
    monkeypatch.setattr(photos, 'MAX_PIXELS', 2_000_000)
    result = photos.add_photos(
        make_user(Role.MANAGER), make_watch(), [('huge.png', _photo(size=(2000, 1001), fmt='PNG'))]
    )
    assert result.outcomes[0].message == 'This image has too many pixels; at most 2 megapixels please.'
    assert _files(media) == [] and _rows() == 0


def test_a_refused_file_does_not_take_a_place_under_the_limit(media):
    settings.set_setting(SYSTEM, 'photos.max_count', 2)
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    _add(manager, watch_id, 1)
    result = photos.add_photos(manager, watch_id, [('bad.jpg', b'not a photo'), ('two.jpg', _photo(2))])
    assert [o.accepted for o in result.outcomes] == [False, True]


def test_duplicates_of_a_photo_on_the_watch_are_refused_politely(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    _add(manager, watch_id, 1)
    result = photos.add_photos(
        manager, watch_id, [('again.jpg', _photo(1)), ('new.jpg', _photo(2)), ('b.jpg', _photo(2))]
    )
    assert [(o.accepted, o.message) for o in result.outcomes] == [
        (False, 'This photo has been added already.'),
        (True, 'Added.'),
        (False, 'This photo has been added already.'),
    ]
    assert _image_count(watch_id) == 2


def test_an_empty_upload_is_refused(media):
    with pytest.raises(ValidationFailed, match='at least one photo'):
        photos.add_photos(make_user(Role.MANAGER), make_watch(), [])


def test_a_seller_may_not_add_photos_and_nothing_is_written(media):
    seller = make_user(Role.SELLER)
    watch_id = make_watch()
    with pytest.raises(PermissionDenied, match='add or change photos'):
        photos.add_photos(seller, watch_id, [('a.jpg', _photo(1))])
    assert _files(media) == [] and _rows() == 0 and _audit('photo.added') == []
    assert photos.list_photos(seller, watch_id) == [], 'sellers still see photos'


def test_an_agent_works_only_on_their_own_watches(media):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    theirs, mine = make_watch(agent=other), make_watch(agent=agent)
    with pytest.raises(NotFound, match='not one of yours'):
        photos.add_photos(agent, theirs, [('a.jpg', _photo(1))])
    assert _files(media) == [] and _rows() == 0
    with pytest.raises(NotFound):
        photos.list_photos(agent, theirs)
    assert photos.add_photos(agent, mine, [('a.jpg', _photo(1))]).outcomes[0].accepted
    image_id = _add(other, theirs, 2)[0]
    for attempt in (
        lambda: photos.reorder_photos(agent, theirs, [image_id]),
        lambda: photos.set_primary(agent, theirs, image_id),
        lambda: photos.delete_photo(agent, theirs, image_id),
        lambda: photos.photo_file(agent, image_id, 'thumb'),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert [photo.id for photo in photos.list_photos(other, theirs)] == [image_id]


def test_photos_are_reordered_only_with_the_exact_set(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    a, b, c = _add(manager, watch_id, 1, 2, 3)
    shown = photos.reorder_photos(manager, watch_id, [c, a, b])
    assert [(photo.id, photo.position) for photo in shown] == [(c, 0), (a, 1), (b, 2)]
    assert [photo.id for photo in photos.list_photos(manager, watch_id)] == [c, a, b]
    stranger = _add(manager, make_watch(), 4)[0]
    for wrong in ([c, a], [c, a, b, b], [c, a, stranger]):
        with pytest.raises(ValidationFailed, match='each photo of this watch once'):
            photos.reorder_photos(manager, watch_id, wrong)
    assert [photo.id for photo in photos.list_photos(manager, watch_id)] == [c, a, b]
    (entry,) = _audit('photo.reordered')
    assert (entry.before, entry.after) == ({'order': [a, b, c]}, {'order': [c, a, b]})


def test_one_photo_is_primary_at_a_time(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    a, b = _add(manager, watch_id, 1, 2)
    assert [(p.id, p.is_primary) for p in photos.set_primary(manager, watch_id, b)] == [(a, False), (b, True)]
    stranger = _add(manager, make_watch(), 3)[0]
    with pytest.raises(NotFound, match='no such photo'):
        photos.set_primary(manager, watch_id, stranger)
    with pytest.raises(PermissionDenied):
        photos.set_primary(make_user(Role.SELLER), watch_id, a)
    assert [p.is_primary for p in photos.list_photos(manager, watch_id)] == [False, True]
    assert [(e.entity_id, e.before, e.after) for e in _audit('photo.primary_set')] == [
        (str(b), {'primary_id': a}, {'primary_id': b, 'watch_id': watch_id})
    ]


def test_deleting_the_primary_passes_it_on_and_closes_the_gap(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    a, b, c = _add(manager, watch_id, 1, 2, 3)
    photos.set_primary(manager, watch_id, b)
    shown = photos.delete_photo(manager, watch_id, b)
    assert [(p.id, p.position, p.is_primary) for p in shown] == [(a, 0, False), (c, 1, True)]
    shown = photos.delete_photo(manager, watch_id, c)
    assert [(p.id, p.position, p.is_primary) for p in shown] == [(a, 0, True)]
    assert _image_count(watch_id) == 1
    assert [entry.entity_id for entry in _audit('photo.deleted')] == [str(b), str(c)]
    with pytest.raises(NotFound):
        photos.delete_photo(manager, watch_id, b)


def test_a_file_stays_while_another_watch_shows_it(media):
    manager = make_user(Role.MANAGER)
    first, second = make_watch(), make_watch()
    shared = _photo(5)
    one = photos.add_photos(manager, first, [('a.jpg', shared)]).outcomes[0].image_id
    two = photos.add_photos(manager, second, [('a.jpg', shared)]).outcomes[0].image_id
    photos.delete_photo(manager, first, one)
    assert len(_files(media)) == 3
    photos.delete_photo(manager, second, two)
    assert _files(media) == []
    assert _image_count(second) == 0


def test_a_photo_file_comes_in_three_sizes_and_lost_derivatives_are_remade(media):
    manager = make_user(Role.MANAGER)
    watch_id = make_watch()
    data = _photo(1, size=(3400, 1700))  # large enough for JPEG to decode the derivatives at half scale
    image_id = _add_one(manager, watch_id, data)
    checksum = hashlib.sha256(data).hexdigest()
    path, etag, media_type = photos.photo_file(manager, image_id, 'original')
    assert (path.read_bytes(), etag, media_type) == (data, f'"{checksum}-original"', 'image/jpeg')
    media_store.thumb_path(checksum, 320).unlink()
    path, etag, media_type = photos.photo_file(manager, image_id, 'thumb')
    assert (Image.open(path).size, etag, media_type) == ((320, 160), f'"{checksum}-thumb"', 'image/jpeg')
    path, _, _ = photos.photo_file(manager, image_id, 'large')
    assert Image.open(path).size == (1600, 800)
    with pytest.raises(NotFound, match='No photo size'):
        photos.photo_file(manager, image_id, '../../etc/passwd')
    with pytest.raises(NotFound):
        photos.photo_file(manager, image_id + 1, 'thumb')
    media_store.original_path(checksum).unlink()
    with pytest.raises(NotFound, match='missing from the media store'):
        photos.photo_file(manager, image_id, 'large')


def _add_one(actor, watch_id: int, data: bytes) -> int:
    (outcome,) = photos.add_photos(actor, watch_id, [('photo.jpg', data)]).outcomes
    assert outcome.image_id is not None
    return outcome.image_id
