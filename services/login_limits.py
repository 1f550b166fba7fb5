"""Failed logins per network address: too many from one address, whatever accounts they tried, and it is refused.

The per-account lock-out (services.accounts) stops guessing at one account; this stops one address from
trying a few passwords on every account in turn. The count is a sliding window of
`login_max_per_address` failures per `login_address_window_minutes`. In server mode it lives in Redis, so
every web process behind the load balancer sees the same count; in the embedded default there is one web
process and the count lives in it (and starts afresh when the process does).

Redis being unreachable never stops people logging in: the failure is logged and the address is let through,
leaving the per-account lock-out as the guard until Redis is back.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from functools import cache
from typing import Protocol

import redis

from config import get_settings
from services.errors import AuthenticationFailed

log = logging.getLogger(__name__)


class AddressBlocked(AuthenticationFailed):
    """Too many failed logins from this network address lately; no password was checked."""


class FailureStore(Protocol):
    def count(self, address: str, since: float) -> int:
        """Failures recorded for `address` at or after `since` (seconds since the epoch)."""

    def add(self, address: str, at: float, window: float) -> None:
        """Record one failure; it need not be kept longer than `window` seconds."""

    def first_refusal(self, address: str, window: float) -> bool:
        """True the first time `address` is refused within `window` seconds, False after that."""


class MemoryStore:
    """The embedded default's count: one process, so a dict of timestamps under a lock is all it takes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._refused: dict[str, float] = {}

    def count(self, address: str, since: float) -> int:
        with self._lock:
            times = self._failures.get(address)
            if not times:
                return 0
            while times and times[0] < since:
                times.popleft()
            if not times:
                del self._failures[address]
            return len(times)

    def add(self, address: str, at: float, window: float) -> None:
        with self._lock:
            self._failures.setdefault(address, deque()).append(at)
            for other in [key for key, times in self._failures.items() if times[-1] < at - window]:
                del self._failures[other]  # addresses gone quiet, so the dict cannot grow without end

    def first_refusal(self, address: str, window: float) -> bool:
        now = time.time()
        with self._lock:
            if self._refused.get(address, 0.0) > now:
                return False
            self._refused = {key: until for key, until in self._refused.items() if until > now}
            self._refused[address] = now + window
            return True


class RedisStore:
    """Server mode: a sorted set of failure times per address (score = time) shared by every web process."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def count(self, address: str, since: float) -> int:
        key = self._key(address)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, '-inf', f'({since}')
            pipe.zcard(key)
            return int(pipe.execute()[1])

    def add(self, address: str, at: float, window: float) -> None:
        key = self._key(address)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {f'{at}:{uuid.uuid4().hex[:8]}': at})  # two failures in the same instant count twice
            pipe.expire(key, int(window) + 1)
            pipe.execute()

    def first_refusal(self, address: str, window: float) -> bool:
        return bool(self._client.set(f'{self._key(address)}:refused', 1, nx=True, ex=int(window) + 1))

    def _key(self, address: str) -> str:
        return f'{self.prefix}:{address}'


@cache
def get_store() -> MemoryStore | RedisStore:
    """The process's store: Redis in server mode, in memory in the embedded default."""
    settings = get_settings()
    if settings.redis_url:
        return RedisStore(settings.redis_url, f'{settings.queue_name}:login-failures')
    return MemoryStore()


def blocked(address: str) -> bool:
    """Whether logins from `address` are refused now, before any password is looked at."""
    settings = get_settings()
    since = time.time() - _window()
    try:
        return get_store().count(address, since) >= settings.login_max_per_address
    except redis.RedisError as error:
        log.warning('Could not read the failed logins of %s: %s', address, error)
        return False


def record_failure(address: str | None) -> None:
    """Count one failed login from `address` (nothing without an address: a command-line login has none)."""
    if not address:
        return
    try:
        get_store().add(address, time.time(), _window())
    except redis.RedisError as error:
        log.warning('Could not count a failed login of %s: %s', address, error)


def first_refusal(address: str) -> bool:
    """True for the first refusal of `address` in a window, so the audit log gets one entry per spell, not one
    per attempt."""
    try:
        return get_store().first_refusal(address, _window())
    except redis.RedisError as error:
        log.warning('Could not note the refusal of %s: %s', address, error)
        return True


def refusal_sentence() -> str:
    minutes = get_settings().login_address_window_minutes
    return f'Too many failed logins from your network; try again in {minutes} min.'


def _window() -> float:
    return get_settings().login_address_window_minutes * 60.0
