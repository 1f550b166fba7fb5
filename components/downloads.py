"""Files the server made (labels, spreadsheets) handed to the browser as a download, without touching disk."""

from __future__ import annotations

from nicegui import ui

MEDIA_TYPES = {
    'pdf': 'application/pdf',
    'zpl': 'text/plain; charset=utf-8',
    'csv': 'text/csv; charset=utf-8',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}


def send(filename: str, data: bytes | str) -> None:
    """Start the download; the media type follows the file name's extension so the browser opens it right."""
    content = data.encode() if isinstance(data, str) else data
    extension = filename.rsplit('.', 1)[-1].lower()
    ui.download.content(content, filename, MEDIA_TYPES.get(extension, 'application/octet-stream'))
