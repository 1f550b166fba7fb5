"""Content-addressed photo files: stored once, derivatives upright, small and free of metadata."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageOps

from services import media_store

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _phone_photo(size: tuple[int, int] = (800, 600), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera model, and a rotation left to the viewer."""
    image = Image.new('RGB', size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x0110] = 'PhoneCam 12'
    exif.get_ifd(GPS_IFD).update({1: 'N', 2: (59.0, 19.0, 48.0), 3: 'E', 4: (18.0, 4.0, 7.0)})
    buffer = io.BytesIO()
    image.save(buffer, 'JPEG', exif=exif, quality=90)
    return buffer.getvalue()


def test_the_same_bytes_are_stored_once_under_their_checksum(media):
    data = _phone_photo()
    checksum = media_store.store(data)
    assert checksum == hashlib.sha256(data).hexdigest()
    path = media_store.original_path(checksum)
    assert path == media / 'originals' / checksum[:2] / f'{checksum}.jpg'
    written = path.stat().st_mtime_ns
    assert media_store.store(data) == checksum
    assert path.stat().st_mtime_ns == written
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == [path.name], 'no temporary files are left behind'


def test_thumbnails_are_upright_small_and_carry_no_metadata(media):
    data = _phone_photo()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), 'the original has a GPS position'
    checksum = media_store.store(data)
    paths = media_store.make_thumbnails(checksum, sizes=(320, 1600))
    assert paths == {size: media_store.thumb_path(checksum, size) for size in (320, 1600)}
    assert paths[320] == media / 'thumbs' / '320' / checksum[:2] / f'{checksum}.jpg'
    with Image.open(paths[320]) as small, Image.open(paths[1600]) as large:
        assert small.size == (240, 320), 'rotated by the EXIF orientation, then fitted in 320'
        assert large.size == (600, 800), 'never enlarged'
        for thumb in (small, large):
            assert thumb.format == 'JPEG'
            assert not thumb.getexif(), 'no EXIF at all, so no GPS position'
            assert 'exif' not in thumb.info and 'icc_profile' not in thumb.info
            assert thumb.getpixel((thumb.width // 2, 5))[2] > 150, 'the blue half is on top after rotation'


def test_thumbnails_already_made_are_kept(media):
    checksum = media_store.store(_phone_photo(orientation=1))
    first = media_store.make_thumbnails(checksum, sizes=(320,))[320]
    made = first.stat().st_mtime_ns
    media_store.make_thumbnails(checksum, sizes=(320,))
    assert first.stat().st_mtime_ns == made
    assert ImageOps.exif_transpose(Image.open(first)).size == (320, 240)


def test_bad_names_never_reach_the_file_system(media):
    with pytest.raises(ValueError, match='SHA-256'):
        media_store.original_path('../../etc/passwd')
    with pytest.raises(ValueError, match='SHA-256'):
        media_store.thumb_path('ABC', 320)
    with pytest.raises(ValueError, match='suffix'):
        media_store.store(b'data', suffix='/../x')


def test_transparent_areas_become_white_not_black(media):
    picture = Image.new('RGBA', (400, 200), (0, 0, 0, 0))
    picture.paste((200, 30, 30, 255), (0, 0, 100, 200))
    buffer = io.BytesIO()
    picture.save(buffer, 'PNG')
    checksum = media_store.store(buffer.getvalue(), suffix='.png')
    paths = media_store.make_thumbnails(checksum, sizes=(320,), suffix='.png')
    with Image.open(paths[320]) as thumb:
        assert thumb.getpixel((300, 100))[0] > 240  # transparent part: white
        assert thumb.getpixel((20, 100))[1] < 80  # opaque red part kept
