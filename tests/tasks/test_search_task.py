"""The index task on the real Huey path: a committed change, its event, the task on a real consumer.

No Meilisearch server can be installed on our build machines; the end-to-end case against one runs only
where `SV_TEST_MEILI_URL` is set (with `SV_TEST_MEILI_KEY` if it needs one) and is reported as skipped here.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

from config import get_settings
from db.engine import session_scope
from db.enums import Role
from services import watches
from services.permissions import Actor
from services.search.base import SearchRequest
from tasks import huey_app
from tasks import search as search_tasks
from tests.background import until
from tests.factories import make_user, make_watch, take_in

MEILI_URL = os.environ.get('SV_TEST_MEILI_URL', '')


@pytest.fixture
def consumer(db) -> Iterator[None]:
    running = huey_app.start_embedded_consumer(workers=1)
    yield
    running.stop(graceful=True)


@pytest.fixture
def finished() -> Iterator[list[tuple[str, tuple, str | None]]]:
    """(task name, arguments, error) of every task the consumer finishes while the test runs."""
    seen: list[tuple[str, tuple, str | None]] = []
    lock = threading.Lock()

    def note(signal: str, task, exc=None) -> None:
        with lock:
            seen.append((task.name, task.args, None if exc is None else repr(exc)))

    huey_app.huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)(note)
    yield seen
    huey_app.huey.disconnect_signal(note, SIGNAL_COMPLETE, SIGNAL_ERROR)


def test_the_index_task_runs_on_the_consumer(consumer):
    ids = [make_watch(brand='Rolex'), make_watch(brand='Omega')]
    assert search_tasks.index_watches(ids).get(blocking=True, timeout=20) == 2


def test_sql_backends_need_no_task():
    assert search_tasks.connect(get_settings().model_copy(update={'meili_url': ''})) is None


def test_a_committed_change_reaches_the_index_task_through_its_event(consumer, finished):
    manager = make_user(Role.MANAGER)
    # As wired when Meilisearch is configured; the task itself indexes with the configured (SQL) backend here.
    disconnect = search_tasks.connect(get_settings().model_copy(update={'meili_url': 'http://meili.internal'}))
    assert disconnect is not None
    runs = lambda: [entry[1:] for entry in finished if entry[0] == 'index_watches']  # noqa: E731
    try:
        watch = take_in(manager, brand='Tudor', model='Black Bay')
        edit = watches.parse_watch({'model': 'Black Bay 58'}, partial=True)
        watches.update_watch(manager, watch.id, edit, version=watch.version)
        until(lambda: len(runs()) >= 2)
    finally:
        disconnect()
    assert runs() == [(([watch.id],), None)] * 2  # (arguments, error): one task per commit, and each succeeded


# --- against a real Meilisearch server ---------------------------------------------------------------------------


@pytest.fixture
def meili(db, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    if not MEILI_URL:
        pytest.skip('SV_TEST_MEILI_URL not set: the Meilisearch adapter is not exercised (no server here)')
    from services.search.meili import MeiliBackend

    monkeypatch.setenv('SV_MEILI_URL', MEILI_URL)
    monkeypatch.setenv('SV_MEILI_KEY', os.environ.get('SV_TEST_MEILI_KEY', ''))
    get_settings.cache_clear()
    backend = MeiliBackend.from_settings(get_settings())
    backend.drop()
    backend.configure()
    yield backend
    backend.drop()
    monkeypatch.undo()
    get_settings.cache_clear()


def _found(backend, actor: Actor, text: str) -> list[int]:
    with session_scope() as session:
        return backend.search(session, actor, SearchRequest(text=text)).ids


def test_changes_reach_meilisearch_after_commit(meili, consumer):
    manager = make_user(Role.MANAGER)
    disconnect = search_tasks.connect(get_settings())
    marker = uuid.uuid4().hex[:8]
    try:
        watch = take_in(manager, brand='Rolex', model=f'Submariner {marker}', reference='16610 LV')
        assert until(lambda: _found(meili, manager, marker)) == [watch.id]
        assert _found(meili, manager, '16610-LV') == [watch.id]
        edit = watches.parse_watch({'model': f'Daytona {marker}'}, partial=True)
        edited = watches.update_watch(manager, watch.id, edit, version=watch.version)
        assert until(lambda: _found(meili, manager, f'daytona {marker}')) == [watch.id]
        watches.delete_watch(manager, watch.id, version=edited.version)
        assert until(lambda: not _found(meili, manager, marker))
    finally:
        disconnect()
