"""Opening a watch named in the address bar: a bad or foreign id gets a calm not-found state, never a traceback."""

from __future__ import annotations

from nicegui import ui

from components import theme
from components.offload import call
from services import watches
from services.errors import NotFound
from services.permissions import Actor


async def load_watch(actor: Actor, watch_id: str) -> watches.WatchRead | None:
    """The watch, or None after showing why there is none (out of scope looks the same as missing, on purpose)."""
    number = int(watch_id) if watch_id.isdigit() else None
    try:
        if number is None:
            raise NotFound('No such watch, or it is not one of yours.')
        return await call(watches.get_watch, actor, number)
    except NotFound as missing:
        watch_not_found(str(missing))
        return None


def watch_not_found(reason: str) -> None:
    with ui.column().classes(f'{theme.NARROW_PAGE} items-center py-16').mark('watch-not-found'):
        with ui.card().classes(f'{theme.CARD} max-w-lg items-center text-center gap-3 py-10'):
            ui.icon('search_off', size='2.5rem').classes('text-stone-400')
            ui.label('Watch not found').classes('text-lg font-medium')
            ui.label(reason).classes(theme.SUBTITLE)
            ui.button('Back to the inventory', icon='arrow_back', on_click=lambda: ui.navigate.to('/watches')).props(
                'outline'
            ).classes('mt-2')
