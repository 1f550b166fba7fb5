"""Copying a value for the person: to the clipboard, with a toast saying what was copied."""

from __future__ import annotations

from nicegui import ui


def copy(text: str, done: str = 'Copied.') -> None:
    """The browser asks for no permission for this: it follows the person's own click."""
    ui.clipboard.write(text)
    ui.notify(done, type='positive')
