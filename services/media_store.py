"""Content-addressed photo files under the media directory.

An original is stored once under its SHA-256 (`originals/ab/<checksum>.jpg`), however many watches show it,
and never changes, so it can be cached for ever. Derivatives (`thumbs/<size>/ab/<checksum>.jpg`) are upright
(EXIF orientation applied) and carry no metadata: a phone photo's GPS position must not reach a platform.
Writes are atomic (temporary file, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

from config import get_settings

THUMB_SIZES = (320, 1600)
JPEG_QUALITY = 82
_CHECKSUM = re.compile(r'^[0-9a-f]{64}$')
_SUFFIX = re.compile(r'^\.[a-z0-9]{1,8}$')


def store(data: bytes, suffix: str = '.jpg') -> str:
    """Keep the bytes as an original and return their checksum; the same bytes are written only once."""
    checksum = hashlib.sha256(data).hexdigest()
    path = original_path(checksum, suffix)
    if not path.exists():
        _write_atomic(path, data)
    return checksum


def original_path(checksum: str, suffix: str = '.jpg') -> Path:
    if not _SUFFIX.match(suffix):
        raise ValueError(f'unsupported file suffix "{suffix}"')
    return _root() / 'originals' / _shard(checksum) / f'{checksum}{suffix}'


def thumb_path(checksum: str, size: int) -> Path:
    return _root() / 'thumbs' / str(int(size)) / _shard(checksum) / f'{checksum}.jpg'


def make_thumbnails(checksum: str, sizes: tuple[int, ...] = THUMB_SIZES, suffix: str = '.jpg') -> dict[int, Path]:
    """JPEG derivatives that fit in each size (never enlarged), upright and without metadata; existing ones are kept."""
    wanted = {size: thumb_path(checksum, size) for size in sizes}
    missing = {size: path for size, path in wanted.items() if not path.exists()}
    if missing:
        with Image.open(original_path(checksum, suffix)) as source:
            source.draft(None, _fitted(source.size, max(missing)))  # JPEG decodes at 1/2, 1/4 or 1/8 scale: 4x faster
            upright = _clean_rgb(ImageOps.exif_transpose(source))
        for size, path in missing.items():
            derivative = upright.copy()
            derivative.thumbnail((size, size), Image.Resampling.LANCZOS)
            _write_atomic(path, _jpeg(derivative))
    return wanted


def _fitted(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size of the largest derivative: the decoder may scale down to it, never below."""
    scale = max(size) / box
    return size if scale <= 1 else (math.ceil(size[0] / scale), math.ceil(size[1] / scale))


def _clean_rgb(image: Image.Image) -> Image.Image:
    """A copy with only the pixels: no EXIF, ICC, comments or other info that a save could carry over.

    Transparent areas (PNG, WebP) become white, as on a product page, instead of JPEG's default black.
    """
    clean = Image.new('RGB', image.size, 'white')
    rgba = image.convert('RGBA')
    clean.paste(rgba, mask=rgba.getchannel('A'))
    return clean


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, 'JPEG', quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    """Synced before the rename: a file that exists is complete, even after a crash (it is never rewritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix='.tmp-')
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _shard(checksum: str) -> str:
    """The first two hex digits: keeps any one directory to a few thousand files at a million photos."""
    if not _CHECKSUM.match(checksum):
        raise ValueError('not a SHA-256 checksum')
    return checksum[:2]


def _root() -> Path:
    return get_settings().effective_media_dir
