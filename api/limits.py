"""Requests per token per minute (`SV_API_REQUESTS_PER_MINUTE`): a runaway script slows itself, not the team.

A fixed window per clock minute: one counter per token and minute, so a check costs one increment. In server mode
the counter lives in Redis, so several web processes behind the load balancer share one count per token; in the
embedded default there is one process and the counter lives in it. Redis being unreachable never stops the API:
the failure is logged and the request let through.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import cache
from typing import Protocol

import redis

from config import get_settings

log = logging.getLogger(__name__)
WINDOW = 60


class CounterStore(Protocol):
    def hit(self, key: str, window: int) -> int:
        """Count one request under `key` in window number `window`; returns the count so far."""


class MemoryCounters:
    """The embedded default: counts of the current window only, under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounters:
    """Server mode: INCR on a key per token and window that expires with the window."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def hit(self, key: str, window: int) -> int:
        name = f'{self.prefix}:{key}:{window}'
        with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW + 1)
            return int(pipe.execute()[0])


@cache
def get_store() -> MemoryCounters | RedisCounters:
    settings = get_settings()
    if settings.redis_url:
        return RedisCounters(settings.redis_url, f'{settings.queue_name}:api-requests')
    return MemoryCounters()


def retry_after(key: str) -> int | None:
    """None when the request may go ahead; otherwise the seconds until the token's next window opens."""
    now = time.time()
    window = int(now // WINDOW)
    try:
        count = get_store().hit(key, window)
    except redis.RedisError as error:
        log.warning('Could not count an API request of token %s: %s', key, error)
        return None
    if count <= get_settings().api_requests_per_minute:
        return None
    return max(1, math.ceil((window + 1) * WINDOW - now))
