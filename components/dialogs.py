"""Asking before something that cannot simply be undone (and why), and waiting for any dialog's answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nicegui import ui

from components import field_errors, theme
from services.errors import ServiceError

T = TypeVar('T')


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


async def ask_reason(
    title: str,
    act: Callable[[str], Awaitable[T]],
    *,
    mark: str,
    action: str,
    subtitle: str | None = None,
    note: str | None = None,
    cancel: str = 'Cancel',
    action_mark: str = 'save',
    icon: str | None = None,
) -> T | None:
    """Ask why before a correction (a reversal, a dismissal), then `act(reason)`; what it returns, or None when
    cancelled. The reason is required and a refusal from `act` shows under it, with the dialog still open."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark(f'{mark}-dialog'):
        ui.label(title).classes(theme.CARD_TITLE)
        if subtitle:
            ui.label(subtitle).classes(theme.SUBTITLE)
        if note:
            ui.label(note).classes('text-sm')
        reason = ui.textarea('Reason *').props('outlined autogrow autofocus maxlength=500').classes('w-full')
        fields = {'reason': reason.mark(f'{mark}-reason')}

        async def save() -> None:
            if not field_errors.require(fields, 'reason'):
                return
            try:
                done = await act(reason.value)
            except ServiceError as error:
                field_errors.show(error, fields)
                return
            dialog.submit(done)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(cancel, on_click=lambda: dialog.submit(None)).props('flat').mark(f'{mark}-cancel')
            ui.button(action, icon=icon, color='negative', on_click=save).mark(f'{mark}-{action_mark}')
    return await answer(dialog)


async def answer(dialog: ui.dialog) -> Any:
    """What the dialog was submitted with (None when dismissed); it is removed afterwards so none pile up."""
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:  # the screen may have been redrawn meanwhile
            dialog.delete()
