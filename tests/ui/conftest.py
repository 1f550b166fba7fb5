"""UI tests run the whole app in-process with NiceGUI's `user` fixture, on the test's own fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nicegui import Event
from nicegui.testing import User

from components import live
from config import get_settings
from tasks import huey_app


@pytest.fixture
async def visitor(db: str, user: User) -> User:
    """A browser that is not logged in yet; `db` comes first so the app starts on this test's database."""
    return user


@pytest.fixture
def task_workers(db: str) -> Iterator[None]:
    """Workers for the jobs a test starts. The embedded default's app runs its own; in server mode the web
    process runs none, so worker threads take the Redis queue for the test, as `python main.py worker` would.
    Whatever the test left queued is flushed, so it never runs against the next test's database."""
    if not get_settings().server_mode:
        yield
        return
    consumer = huey_app.start_embedded_consumer(workers=2)
    try:
        yield
    finally:
        consumer.stop(graceful=True)
        huey_app.huey.flush()


@pytest.fixture(autouse=True)
def _no_listeners_left_over() -> Iterator[None]:
    """Drop the screens' subscriptions to the live events when a test ends.

    NiceGUI's test reset clears the callbacks only of events in `Event.instances`, and empties that set, so
    module-level events (components.live) would keep the subscriptions of an earlier test's screens, whose
    clients are gone, and call them when a later test's job or notification comes by.
    """
    yield
    events: list[Event] = [
        live.watch_changed,
        live.job_changed,
        live.notification,
        live.reconnected,
        live.user_changed,
        live.permissions_changed,
        live.descriptions_changed,
        live.ledger_changed,
        live.watch_booked,
        live.fx_changed,
    ]
    for event in events:
        event.callbacks.clear()
