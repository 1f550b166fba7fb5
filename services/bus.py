"""The event bus: messages from any thread or process to the screens of every web process.

Services and tasks publish small JSON messages on a topic (`watch.changed`, `job`, `notification`); each web
process runs one listener that hands them to its screens. Two implementations share the interface, chosen
by the settings like the task queue:

- `LocalBus` (embedded default): the task workers are threads of the web process, so `publish` hands the
  message straight to every listening event loop with `call_soon_threadsafe` (never touching a loop's objects
  from a foreign thread).
- `RedisBus` (server mode): `publish` is one pipeline of SET snapshot + PUBLISH on one channel; each web
  process listens with `redis.asyncio` pub/sub and reconnects after Redis restarts.

Pub/sub forgets what nobody heard. A message published with `snapshot=key` is also kept under that key (for a
day on Redis), so a screen opened mid-job reads the current state at once and then follows the live messages;
after a reconnect the listener announces `bus.reconnected` so screens re-read what they show. Publishing never
fails the caller: the database is the record, the bus only tells screens to look again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol

import redis
import redis.asyncio

from config import get_settings
from services import events

RECONNECTED = 'bus.reconnected'  # the listener was cut off and is back: re-read snapshots, messages were lost
SNAPSHOT_SECONDS = 24 * 3600
RETRY_SECONDS = 1.0

Message = dict[str, Any]
Deliver = Callable[[str, Message], None]
log = logging.getLogger(__name__)


class Bus(Protocol):
    def publish(self, topic: str, message: Message, *, snapshot: str | None = None) -> None:
        """Send `message` to every listener of every web process; callable from any thread or process."""

    def snapshot(self, key: str) -> Message | None:
        """The last message published with `snapshot=key`, or None (never published, expired, or Redis restarted)."""

    async def listen(self, deliver: Deliver) -> None:
        """Call `deliver(topic, message)` on this event loop for every message, until cancelled."""


class LocalBus:
    """Fan-out inside one process: publishers in any thread, listeners on event loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Deliver]] = []
        self._snapshots: dict[str, Message] = {}

    def publish(self, topic: str, message: Message, *, snapshot: str | None = None) -> None:
        with self._lock:
            if snapshot:
                self._snapshots[snapshot] = message
            listeners = list(self._listeners)
        for loop, deliver in listeners:
            try:
                loop.call_soon_threadsafe(deliver, topic, message)
            except RuntimeError:  # that loop has closed; its listener is being torn down
                continue

    def snapshot(self, key: str) -> Message | None:
        with self._lock:
            return self._snapshots.get(key)

    def forget(self, key: str) -> None:
        """Drop a snapshot nobody will ask for again (a finished job's screen reads the database)."""
        with self._lock:
            self._snapshots.pop(key, None)

    async def listen(self, deliver: Deliver) -> None:
        entry = (asyncio.get_running_loop(), deliver)
        with self._lock:
            self._listeners.append(entry)
        try:
            await asyncio.Event().wait()
        finally:
            with self._lock:
                self._listeners.remove(entry)


class RedisBus:
    """Across processes through Redis: one channel for every topic, snapshots as plain keys with an expiry."""

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def publish(self, topic: str, message: Message, *, snapshot: str | None = None) -> None:
        payload = json.dumps({'topic': topic, 'message': message}, default=str)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                if snapshot:
                    pipe.set(self._key(snapshot), json.dumps(message, default=str), ex=SNAPSHOT_SECONDS)
                pipe.publish(self.channel, payload)
                pipe.execute()
        except redis.RedisError as error:
            log.warning('Could not publish %s on the bus: %s', topic, error)

    def snapshot(self, key: str) -> Message | None:
        try:
            raw = self._client.get(self._key(key))
        except redis.RedisError as error:
            log.warning('Could not read the snapshot %s: %s', key, error)
            return None
        return json.loads(raw) if raw else None

    def forget(self, key: str) -> None:
        try:
            self._client.delete(self._key(key))
        except redis.RedisError as error:
            log.warning('Could not drop the snapshot %s: %s', key, error)

    async def listen(self, deliver: Deliver) -> None:
        """Subscribe, deliver, and after any connection loss wait a second, subscribe again and say so."""
        cut_off = False
        while True:
            client = redis.asyncio.Redis.from_url(self.url, health_check_interval=10)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    if cut_off:
                        deliver(RECONNECTED, {})
                        cut_off = False
                    async for raw in pubsub.listen():
                        if raw['type'] == 'message':
                            envelope = json.loads(raw['data'])
                            deliver(envelope['topic'], envelope['message'])
            except (redis.RedisError, OSError) as error:
                if not cut_off:
                    log.warning('The bus lost Redis (%s); retrying every %.0f s', error, RETRY_SECONDS)
                cut_off = True
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                await client.aclose()

    def _key(self, key: str) -> str:
        return f'{self.channel}:snapshot:{key}'


@cache
def get_bus() -> LocalBus | RedisBus:
    """The process's bus: Redis in server mode, in-process in the embedded default."""
    settings = get_settings()
    if settings.redis_url:
        return RedisBus(settings.redis_url, f'{settings.queue_name}:bus')
    return LocalBus()


def broadcast_changes() -> Callable[[], None]:
    """Forward every committed watch or ledger change (and the watches booked on) to the screens of every web
    process; returns the unsubscribe.

    Called once at start-up by the web process and by each worker, so a change made by a task reaches the
    screens too. The ids travel with the message: a screen reloads only when it shows one of them (or a list
    whose membership they may change).
    """
    names = (events.WATCH_CHANGED, events.LEDGER_CHANGED, events.WATCH_BOOKED)
    stops = [events.subscribe(name, _forward_change) for name in names]

    def stop_all() -> None:
        for stop in stops:
            stop()

    return stop_all


def _forward_change(event: events.Event) -> None:
    get_bus().publish(event.name, {'ids': list(event.ids)})
