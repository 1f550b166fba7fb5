"""Jobs on a real Huey consumer: a committed start reaches the run task through its event, and the scheduled
housekeeping tasks call their services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from config import get_settings
from db.engine import session_scope
from db.enums import JobStatus, Role
from db.system import Job
from db.types import utcnow
from services import jobs
from tasks import huey_app
from tasks import jobs as job_tasks
from tests.background import until
from tests.factories import make_user, make_watch


@pytest.fixture
def consumer(media) -> Iterator[None]:
    """The embedded consumer (on Redis too when the suite runs in server mode), with jobs wired to it."""
    disconnect = job_tasks.connect(get_settings())
    running = huey_app.start_embedded_consumer(workers=2)
    yield
    running.stop(graceful=True)
    disconnect()


def test_a_started_job_runs_on_the_consumer(consumer):
    manager = make_user(Role.MANAGER)
    ids = [make_watch(brand='Rolex'), make_watch(brand='Omega')]
    job = jobs.start(manager, 'labels', {'layout': 'a4', 'ids': ids})
    finished = until(lambda: (view := jobs.get(manager, job.id)).finished and view)
    assert finished and (finished.status, finished.done, finished.download_name) == ('succeeded', 2, 'labels-a4.pdf')
    _, path, media_type = jobs.download(manager, job.id)
    assert media_type == 'application/pdf' and path.read_bytes().startswith(b'%PDF')


def test_a_resumed_job_is_enqueued_again(consumer):
    manager = make_user(Role.MANAGER)
    ids = [make_watch() for _ in range(3)]
    job = jobs.start(manager, 'export', {'fmt': 'csv', 'ids': ids})
    assert until(lambda: jobs.get(manager, job.id).finished)
    with session_scope() as session:  # as if its worker had died after the first item
        row = session.get(Job, job.id)
        row.status, row.position, row.done, row.result = JobStatus.INTERRUPTED, 1, 1, {}
    jobs.resume(manager, job.id)
    finished = until(lambda: (view := jobs.get(manager, job.id)).finished and view)
    assert finished and (finished.status, finished.done, finished.failed) == ('succeeded', 3, 0)
    _, path, _ = jobs.download(manager, job.id)
    assert len(path.read_text('utf-8-sig').splitlines()) == 1 + 3  # the heading and each watch once


def test_the_scheduled_tasks_sweep_and_purge(media):
    manager = make_user(Role.MANAGER)
    job = jobs.start(manager, 'export', {'fmt': 'csv', 'ids': [make_watch()]})
    with session_scope() as session:
        row = session.get(Job, job.id)
        row.status, row.heartbeat_at = JobStatus.RUNNING, utcnow() - timedelta(minutes=2)
    assert job_tasks.sweep_interrupted_jobs.call_local() == [job.id]
    with session_scope() as session:
        session.get(Job, job.id).finished_at = utcnow() - timedelta(days=40)
    assert job_tasks.purge_expired_jobs.call_local() == (1, 0)
