"""Running a job: its planned items in order, progress on the bus and in the database, cancel, finish.

The runner claims a queued job (so two workers never run one job), then hands the kind its keys from the
stored `position` on, a batch at a time. An item that raises is a failed item with its message; it never
fails the job. Progress goes two ways at two rates:

- on the bus about every `PUBLISH_SECONDS` (and always at the end), so a bar moves smoothly;
- to the database about every `CHECKPOINT_SECONDS`: counts, position, current item, new errors and the
  heartbeat. A worker that dies therefore loses at most that last second, which a resume redoes.

Cancelling is cooperative: `jobs.cancel` sets a flag on the row and the runner reads it at each checkpoint,
so a running job stops within about a second (after the batch in hand). While a run is alive a small thread
also refreshes the heartbeat every `HEARTBEAT_SECONDS`, so one long item (a reindex, drawing a thousand
labels) is never mistaken for a dead worker by the sweep that marks silent jobs interrupted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import select

from db.accounts import User
from db.engine import session_scope
from db.enums import JobStatus
from db.system import Job
from db.types import utcnow
from services import accounts, events, notifications
from services.job_kinds import JobKind, RunContext, failure_message, job_directory
from services.job_views import KINDS, JobView, publish, view_of
from services.permissions import SYSTEM, Actor

PUBLISH_SECONDS = 0.2
CHECKPOINT_SECONDS = 1.0
HEARTBEAT_SECONDS = 20.0
CHANGED = 'job.changed'  # a job's row changed: screens are told after the commit

log = logging.getLogger(__name__)


class _Stop(Exception):
    """The run ends early: cancelled by a person, or taken from this runner (marked interrupted)."""

    def __init__(self, cancelled: bool) -> None:
        super().__init__()
        self.cancelled = cancelled


@dataclass
class _Run:
    """The runner's copy of the row while it works; written back at checkpoints."""

    job: Job
    actor: Actor
    owner_name: str | None
    kind: JobKind
    started: float = field(default_factory=time.monotonic)
    handled_at_start: int = 0
    new_errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        elapsed = time.monotonic() - self.started
        handled = self.job.done + self.job.failed - self.handled_at_start
        return handled / elapsed if elapsed > 0 and handled else None

    def view(self) -> JobView:
        return view_of(self.job, self.owner_name, rate=self.rate)


def run(job_id: int, *, progress: bool = True) -> str:
    """Run a queued job to its end and return its final status; a job that is not queued is left alone.

    `progress=False` skips the publishing and the checkpoints in between (the benchmark's baseline; nothing
    can be cancelled then).
    """
    state = _claim(job_id)
    if state is None:
        return 'skipped'
    heartbeat = _Heartbeat(job_id)
    heartbeat.start()
    try:
        return _work(state, progress=progress)
    except Exception as error:
        log.exception('Job %s stopped', job_id)
        _end(state, JobStatus.FAILED, f'The job stopped: {failure_message(error)}')
        return JobStatus.FAILED.value
    finally:
        heartbeat.stop()


def _work(state: _Run, *, progress: bool) -> str:
    job, kind = state.job, state.kind
    ctx = RunContext(job.id, state.actor, job.params, job_directory(job.id))
    last_publish = last_checkpoint = time.monotonic()

    def note(text: str) -> None:
        nonlocal last_publish
        job.current = text[:200]
        if progress and time.monotonic() - last_publish >= PUBLISH_SECONDS:
            publish(state.view())
            last_publish = time.monotonic()

    ctx.note = note
    keys = job.keys or []
    try:
        kind.prepare(ctx)
        while job.position < len(keys):
            batch = keys[job.position : job.position + kind.batch]
            job.current = kind.item_label(batch[0])
            _record(state, batch, _attempt(kind, ctx, batch))
            if not progress:
                continue
            now = time.monotonic()
            if now - last_checkpoint >= CHECKPOINT_SECONDS or ctx.check_soon:
                ctx.check_soon = False
                _checkpoint(state)
                last_checkpoint = now
            if now - last_publish >= PUBLISH_SECONDS:
                publish(state.view())
                last_publish = now
    except _Stop as stop:
        if stop.cancelled:
            _end(state, JobStatus.CANCELLED, f'Cancelled after {job.done + job.failed:,} of {job.total:,} items.')
        return JobStatus.CANCELLED.value if stop.cancelled else JobStatus.INTERRUPTED.value
    return _finish(state, ctx)


def _attempt(kind: JobKind, ctx: RunContext, batch: list[str]) -> dict[str, str]:
    """The batch's failed items; a batch that raises as a whole fails each of its items with that message."""
    try:
        return kind.run(ctx, batch)
    except Exception as error:
        log.warning('Job %s: a batch of %s items failed: %s', ctx.job_id, len(batch), error)
        return dict.fromkeys(batch, failure_message(error))


def _record(state: _Run, batch: list[str], failures: dict[str, str]) -> None:
    job = state.job
    for key, message in failures.items():
        state.new_errors.append({'key': key, 'label': state.kind.item_label(key), 'message': message[:500]})
    job.failed += len(failures)
    job.done += len(batch) - len(failures)
    job.position += len(batch)
    if failures:  # the view shows the latest errors; the row gets them at the next checkpoint
        job.errors = [*job.errors, *state.new_errors[-len(failures) :]]


def _checkpoint(state: _Run) -> None:
    """Write progress and the heartbeat; stop if someone asked to cancel or the job was taken from us."""
    job = state.job
    with session_scope() as session:
        row = session.get(Job, job.id, with_for_update=True)
        if row is None or row.status != JobStatus.RUNNING:
            raise _Stop(cancelled=False)
        _copy_progress(row, state)
        if row.cancel_requested:
            raise _Stop(cancelled=True)


def _copy_progress(row: Job, state: _Run) -> None:
    job = state.job
    row.done, row.failed, row.position, row.current = job.done, job.failed, job.position, job.current
    row.heartbeat_at = utcnow()
    if state.new_errors:
        row.errors = [*row.errors, *state.new_errors]
        state.new_errors = []
    job.cancel_requested = row.cancel_requested


def _finish(state: _Run, ctx: RunContext) -> str:
    """The kind's finish (its file), then the final state: failed when every item failed or finish raised."""
    job = state.job
    if job.done == 0 and job.failed:
        _end(state, JobStatus.FAILED, f'All {job.failed:,} items failed.')
        return JobStatus.FAILED.value
    try:
        output = state.kind.finish(ctx, job.done)
    except Exception as error:
        log.exception('Job %s could not finish', job.id)
        _end(state, JobStatus.FAILED, f'Could not finish: {failure_message(error)}')
        return JobStatus.FAILED.value
    if output is not None:
        job.result = {'file': output.name, 'media_type': output.media_type}
    summary = (ctx.outcome or f'{job.done:,} done') + (f', {job.failed:,} failed.' if job.failed else '.')
    _end(state, JobStatus.SUCCEEDED, summary)
    return JobStatus.SUCCEEDED.value


def _end(state: _Run, status: JobStatus, message: str) -> None:
    """Write the final state, tell the starter (unless they cancelled it themselves) and the screens."""
    job = state.job
    with session_scope() as session:
        row = session.get(Job, job.id, with_for_update=True)
        if row is None:
            return
        _copy_progress(row, state)
        row.status, row.message, row.current = status, message[:500], None
        row.result = job.result
        row.finished_at = utcnow()
        if row.created_by_id and status != JobStatus.CANCELLED:
            succeeded = status == JobStatus.SUCCEEDED
            notifications.notify(
                session,
                row.created_by_id,
                kind='job.succeeded' if succeeded else 'job.failed',
                title=f'{row.title} {"is done" if succeeded else "failed"}',
                body=message,
                link=f'/jobs/{row.id}',
            )
        events.record(session, CHANGED, ids=[row.id])


def _claim(job_id: int) -> _Run | None:
    """Take a queued job for this runner (one UPDATE, so a second runner of the same job finds nothing)."""
    with session_scope() as session:
        now = utcnow()
        claimed = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, heartbeat_at=now, finished_at=None, message=None,
                    started_at=sa.func.coalesce(Job.started_at, now))
        )  # fmt: skip
        if not claimed.rowcount:
            return None
        job = session.get(Job, job_id)
        owner = session.get(User, job.created_by_id) if job.created_by_id else None
        events.record(session, CHANGED, ids=[job_id])
        session.expunge(job)
    actor = accounts.load_actor(owner.id) if owner else SYSTEM
    kind = KINDS.get(job.kind)
    state = _Run(job, actor or SYSTEM, owner.name if owner else None, kind)  # type: ignore[arg-type]
    state.handled_at_start = job.done + job.failed
    if kind is None or actor is None:
        why = 'this kind of job no longer exists' if kind is None else 'whoever started it can no longer act'
        _end(state, JobStatus.FAILED, f'The job cannot run: {why}.')
        return None
    return state


def announce(event: events.Event) -> None:
    """After commit: publish the changed jobs' views (subscribed at start-up by every process)."""
    with session_scope() as session:
        rows = session.exec(
            select(Job, User.name).outerjoin(User, User.id == Job.created_by_id).where(Job.id.in_(event.ids))
        ).all()
        views = [view_of(job, name) for job, name in rows]
    for view in views:
        publish(view)


def broadcast_jobs() -> None:
    """Announce committed job changes on the bus; subscribing twice keeps one subscription."""
    events.subscribe(CHANGED, announce)


class _Heartbeat:
    """Refreshes the row's heartbeat while a run is alive, between checkpoints or during one long item."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f'job-{job_id}-heartbeat', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            try:
                with session_scope() as session:
                    session.execute(
                        sa.update(Job)
                        .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:
                log.exception('Could not refresh the heartbeat of job %s', self.job_id)
