"""Opening a watch named in the address bar: a bad or foreign id gets a calm not-found state, never a traceback."""

from __future__ import annotations

from components import notices
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
    notices.dead_end(
        'search_off', 'Watch not found', reason, back=('Back to the inventory', '/watches'), mark='watch-not-found'
    )
