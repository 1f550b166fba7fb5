"""Asking before something that cannot simply be undone, and waiting for any dialog's answer."""

from __future__ import annotations

from typing import Any

from nicegui import ui


async def confirm(question: str, action: str, *, detail: str | None = None) -> bool:
    """True when the person chose `action`; the dialog is removed afterwards so none pile up on the page."""
    with ui.dialog() as dialog, ui.card().classes('max-w-md gap-3').mark('confirm'):
        ui.label(question).classes('text-base font-medium')
        if detail:
            ui.label(detail).classes('text-sm')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat').mark('confirm-no')
            ui.button(action, color='negative', on_click=lambda: dialog.submit(True)).mark('confirm-yes')
    return bool(await answer(dialog))


async def answer(dialog: ui.dialog) -> Any:
    """What the dialog was submitted with (None when dismissed); it is removed afterwards so none pile up."""
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:  # the screen may have been redrawn meanwhile
            dialog.delete()
