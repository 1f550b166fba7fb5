"""A screen that follows live events for exactly as long as it is shown, reloading at most once per pause.

Subscribing to a `components.live` event inside a builder ties the callback to the browser tab, but a screen
inside the shell is swapped out by `ui.sub_pages` long before its tab closes. So the subscriptions are held by
an invisible element placed in the screen: when the screen is cleared away (another screen opened) or the tab's
client is deleted, that element is deleted and drops them. Nothing is left subscribed either way.

Bursts are common (a bulk move of 500 watches is one event, an import in chunks is several, two colleagues
typing are many): the first event reloads at once, and whatever arrives while that reload runs and during the
pause after it is folded into one more reload, so the screen always ends on the latest state.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import Event, background_tasks, ui

from components import live

PAUSE_SECONDS = 0.3
Reload = Callable[[], Awaitable[None]]


class Coalescer:
    """Runs `reload` on the first poke, and once more (after a pause) if pokes came while it ran; never in parallel."""

    def __init__(self, reload: Reload, anchor: ui.element, *, pause: float = PAUSE_SECONDS) -> None:
        """Made in the screen's builder: reloads run with the builder's context variables, among them NiceGUI's
        request (which `app.storage.user` needs), although they are started by a message from the bus."""
        self.reload = reload
        self.anchor = anchor
        self.pause = pause
        self.running = False
        self.pending = False
        self.context = contextvars.copy_context()

    def poke(self) -> None:
        if self.running:
            self.pending = True
            return
        self.running = True
        self.context.run(background_tasks.create, self._run(), name='live reload', context=self.anchor)

    async def _run(self) -> None:
        try:
            while not self._gone():
                self.pending = False
                try:
                    await self.reload()
                except Exception:
                    if self._gone():  # the screen went away while it reloaded: nothing left to show it on
                        return
                    raise
                await asyncio.sleep(self.pause)
                if not self.pending:
                    break
        finally:
            self.running = False

    def _gone(self) -> bool:
        try:
            return self.anchor.is_deleted or self.anchor.client.is_deleted
        except RuntimeError:  # the client has been dropped altogether
            return True


class Subscriptions(ui.element):
    """Invisible holder of a screen's subscriptions: deleting it (with its screen or its tab) unsubscribes them."""

    def __init__(self) -> None:
        super().__init__()
        self.visible = False
        self._held: list[tuple[Event, Callable[..., Any]]] = []

    def follow(self, event: Event, callback: Callable[..., Any]) -> None:
        """Subscribe in this element's context (so callbacks may draw and notify) until this element goes."""
        with self:
            event.subscribe(callback, unsubscribe_on_delete=False)  # our own delete handler does it, once
        self._held.append((event, callback))

    def _handle_delete(self) -> None:
        for event, callback in self._held:
            event.unsubscribe(callback)
        self._held.clear()
        super()._handle_delete()


def follow_watches(
    reload: Reload, *, shows: Callable[[list[int]], bool] | None = None, pause: float = PAUSE_SECONDS
) -> Coalescer:
    """Reload the screen being built when watches it `shows` change (any watch if None), and after a reconnect.

    Call inside the screen's builder, in the container the screen lives in.
    """
    return _follow_ids(live.watch_changed, reload, shows, pause)


def follow_bookings_of(watch_id: int, reload: Reload, *, pause: float = PAUSE_SECONDS) -> Coalescer:
    """Reload the screen being built when something is booked on this watch, and after a reconnect."""
    return _follow_ids(live.watch_booked, reload, lambda ids: watch_id in ids, pause)


def follow(event: Event, reload: Reload, *, pause: float = PAUSE_SECONDS) -> Coalescer:
    """Reload the screen being built whenever `event` fires, whatever it carries, and after a reconnect. Call
    inside the screen's builder, as `follow_watches`."""
    subscriptions = Subscriptions()
    coalescer = Coalescer(reload, subscriptions, pause=pause)
    subscriptions.follow(event, coalescer.poke)  # takes no arguments, so NiceGUI passes none
    subscriptions.follow(live.reconnected, coalescer.poke)
    return coalescer


def follow_ledger(reload: Reload, *, pause: float = PAUSE_SECONDS) -> Coalescer:
    """Reload the screen being built whenever anything is booked (a list or a total over many watches and people),
    and after a reconnect."""
    return follow(live.ledger_changed, reload, pause=pause)


def _follow_ids(
    event: Event[[list[int]]], reload: Reload, shows: Callable[[list[int]], bool] | None, pause: float
) -> Coalescer:
    """Reload when `event` carries ids the screen `shows` (any, if None), and after a reconnect."""
    subscriptions = Subscriptions()
    coalescer = Coalescer(reload, subscriptions, pause=pause)

    def changed(ids: list[int]) -> None:
        if shows is None or shows(ids):
            coalescer.poke()

    subscriptions.follow(event, changed)
    subscriptions.follow(live.reconnected, coalescer.poke)
    return coalescer
