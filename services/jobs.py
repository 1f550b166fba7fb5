"""Jobs: long work (exports, imports, label runs, reindexing) as rows that screens follow live.

`start` checks the kind's permission and parameters, plans the items, and writes the row with an audit entry
and a `job.queued` event; after the commit the task layer enqueues `run` for it (services never import
tasks). The runner (`services.job_runner`) does the work and publishes progress on the bus under topic `job`
with a snapshot per job, so a screen opened mid-job shows the current state at once.

Who may see a job: whoever started it, and anyone with `jobs.view_all`; acting on one (cancel, retry,
resume) takes the same, plus the kind's own permission for anything that runs it again. A job whose worker
died is marked interrupted (`mark_interrupted`) and `resume` continues it from its stored position. Files
(stashed uploads, parts, results) live under `var/jobs/`; `purge_expired` keeps that and the history bounded.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import JobStatus
from db.system import Job
from db.types import utcnow
from services import audit, bus, events, notifications
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.job_kinds import JobKind, job_directory, jobs_root, upload_path
from services.job_runner import CHANGED, broadcast_jobs, run
from services.job_views import ACTIVE, KINDS, TOPIC, ItemError, JobView, snapshot_key, view_of
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require

__all__ = [
    'TOPIC', 'ItemError', 'JobView', 'broadcast_jobs', 'cancel', 'download', 'get', 'kinds', 'list_jobs',
    'mark_interrupted', 'purge_expired', 'resume', 'retry_failed', 'run', 'start', 'stash_upload',
]  # fmt: skip

QUEUED = 'job.queued'  # ids: jobs to enqueue (the task layer subscribes)
STALE_AFTER = timedelta(minutes=1)  # a running job whose heartbeat is older than this has lost its worker
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_SUFFIXES = ('.csv', '.xlsx')


def kinds() -> list[tuple[str, str]]:
    """(name, label) of every kind, for the jobs page's filter."""
    return [(kind.name, kind.label) for kind in KINDS.values()]


def start(actor: Actor, kind: str, params: dict) -> JobView:
    """Plan and queue a job; refused without the kind's permission or with bad parameters (nothing written)."""
    spec = _kind(kind)
    require(actor, spec.permission)
    with session_scope() as session:
        job = Job(kind=kind, created_by_id=actor.id)
        session.add(job)
        session.flush()
        directory = job_directory(job.id)
        shutil.rmtree(directory, ignore_errors=True)  # a new job owns its id's directory (SQLite may reuse ids)
        try:
            plan = spec.plan(session, actor, dict(params or {}), directory)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        job.params, job.keys, job.total, job.title = plan.params, plan.keys, len(plan.keys), plan.title[:200]
        audit.record(session, actor, 'job.started', 'job', job.id, after={'kind': kind, 'title': job.title})
        _queue(session, job)
        return view_of(job, actor.name)


def get(actor: Actor, job_id: int) -> JobView:
    """One job as it is now: a running job's live snapshot when the bus has one, else the row."""
    with session_scope() as session:
        job, name = _visible(session, actor, job_id)
        view = view_of(job, name)
    return _fresh(view)


def list_jobs(
    actor: Actor,
    *,
    everyone: bool = False,
    status: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[JobView]:
    """The actor's jobs (everyone's with `everyone`, which needs jobs.view_all), newest first."""
    if everyone:
        require(actor, Permission.JOBS_VIEW_ALL)
    offset, limit = clamp(offset, limit)
    conditions = [] if everyone else [Job.created_by_id == actor.id]
    if status:
        conditions.append(Job.status == _status(status))
    if kind:
        conditions.append(Job.kind == kind)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Job).where(*conditions)).one()
        rows = session.exec(
            select(Job, User.name)
            .outerjoin(User, User.id == Job.created_by_id)
            .where(*conditions)
            .order_by(col(Job.id).desc())
            .offset(offset)
            .limit(limit)
        ).all()
        views = [view_of(job, name) for job, name in rows]
    return Page(total=total, items=[_fresh(view) for view in views])


def cancel(actor: Actor, job_id: int) -> JobView:
    """A queued job is cancelled at once; a running one is asked to stop and does within about a second."""
    with session_scope() as session:
        job, name = _visible(session, actor, job_id, lock=True)
        if job.status not in ACTIVE:
            raise ValidationFailed('This job has already ended.')
        if job.status == JobStatus.QUEUED:
            job.status, job.finished_at, job.message = JobStatus.CANCELLED, utcnow(), 'Cancelled before it started.'
        else:
            job.cancel_requested, job.message = True, 'Cancelling…'
        audit.record(session, actor, 'job.cancelled', 'job', job.id, after={'status': job.status.value})
        events.record(session, CHANGED, ids=[job.id])
        return view_of(job, name)


def retry_failed(actor: Actor, job_id: int) -> JobView:
    """Run the failed items of an ended job again (only those; what succeeded stays done)."""
    with session_scope() as session:
        job, name = _visible(session, actor, job_id, lock=True)
        require(actor, _kind(job.kind).permission)
        if job.status not in (JobStatus.SUCCEEDED, JobStatus.FAILED) or not job.failed:
            raise ValidationFailed('Only an ended job with failed items can be retried.')
        job.keys = list(dict.fromkeys(error['key'] for error in job.errors))
        job.position, job.failed, job.errors = 0, 0, []
        audit.record(session, actor, 'job.retried', 'job', job.id, after={'items': len(job.keys)})
        _queue(session, job)
        return view_of(job, name)


def resume(actor: Actor, job_id: int) -> JobView:
    """Continue an interrupted (or cancelled) job from where it stopped, without redoing finished items."""
    with session_scope() as session:
        job, name = _visible(session, actor, job_id, lock=True)
        require(actor, _kind(job.kind).permission)
        if job.status not in (JobStatus.INTERRUPTED, JobStatus.CANCELLED) or job.position >= len(job.keys or ()):
            raise ValidationFailed('Only an interrupted or cancelled job with items left can be resumed.')
        audit.record(session, actor, 'job.resumed', 'job', job.id, after={'position': job.position})
        _queue(session, job)
        return view_of(job, name)


def download(actor: Actor, job_id: int) -> tuple[str, Path, str]:
    """The job's file: (file name, path on disk, media type), for whoever may see the job."""
    with session_scope() as session:
        job, _ = _visible(session, actor, job_id)
        result = dict(job.result)
    path = job_directory(job_id) / str(result.get('file', ''))
    if 'file' not in result or not path.is_file():
        hours = get_settings().export_retention_hours
        raise NotFound(f'This job has no file to download (files are kept for {hours} hours).')
    return result['file'], path, result['media_type']


def stash_upload(actor: Actor, filename: str, data: bytes) -> str:
    """Keep an uploaded file for an import job; returns the token to start the job with."""
    require(actor, Permission.INVENTORY_IMPORT)
    if not filename.lower().endswith(UPLOAD_SUFFIXES):
        raise ValidationFailed(f'Import a .csv or .xlsx file, not "{filename}".')
    if not data:
        raise ValidationFailed('The file is empty.')
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f'The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB.')
    token = secrets.token_hex(16)
    directory = upload_path(token)
    directory.mkdir(parents=True)
    (directory / 'upload').write_bytes(data)
    (directory / 'owner').write_text(str(actor.id))
    return token


def mark_interrupted(*, stale_after: timedelta | None = STALE_AFTER) -> list[int]:
    """Running jobs whose worker is gone become interrupted (and can be resumed); returns their ids.

    `stale_after=None` takes every running job: the embedded default's web process calls it at start, when
    no worker of the previous process can still be alive. Server mode takes those whose heartbeat stopped.
    """
    conditions = [Job.status == JobStatus.RUNNING]
    if stale_after is not None:
        conditions.append(sa.or_(col(Job.heartbeat_at).is_(None), Job.heartbeat_at < utcnow() - stale_after))
    with session_scope() as session:
        jobs = session.exec(select(Job).where(*conditions).with_for_update()).all()
        for job in jobs:
            job.status, job.finished_at, job.current = JobStatus.INTERRUPTED, utcnow(), None
            job.message = 'Interrupted: the worker stopped. Resume it to continue where it left off.'
            if job.created_by_id:
                title = f'{job.title} was interrupted'
                notifications.notify(
                    session, job.created_by_id, kind='job.failed', title=title, body=job.message, link=f'/jobs/{job.id}'
                )
        events.record(session, CHANGED, ids=[job.id for job in jobs])
        return [job.id for job in jobs]


def purge_expired() -> tuple[int, int]:
    """Housekeeping: forget ended jobs older than `job_retention_days` (with their files), remove result
    files older than `export_retention_hours` and uploads nobody imported; returns (jobs, files) removed."""
    settings = get_settings()
    now = utcnow()
    with session_scope() as session:
        history = now - timedelta(days=settings.job_retention_days)
        old = session.exec(select(Job.id).where(*_ended_before(history))).all()
        session.execute(sa.delete(Job).where(col(Job.id).in_(old)))
        files = session.exec(select(Job).where(*_ended_before(now - timedelta(hours=settings.export_retention_hours))))
        expired = [job for job in files if job.result.get('file')]
        for job in expired:
            job.result = {'expired': job.result['file']}
    for job_id in [*old, *(job.id for job in expired)]:
        shutil.rmtree(job_directory(job_id), ignore_errors=True)
    _purge_uploads(now.timestamp() - settings.export_retention_hours * 3600)
    return len(old), len(expired)


# --- helpers -----------------------------------------------------------------------------------------------------


def _kind(name: str) -> JobKind:
    if name not in KINDS:
        raise ValidationFailed(f'There is no kind of job called "{name}".')
    return KINDS[name]


def _status(value: str) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        raise ValidationFailed(f'There is no job status "{value}".') from None


def _visible(session: Session, actor: Actor, job_id: int, *, lock: bool = False) -> tuple[Job, str | None]:
    """The job and its starter's name, if the actor started it or may see everyone's jobs."""
    job = session.get(Job, job_id, with_for_update=lock)
    if job is None:
        raise NotFound('That job does not exist (finished jobs are kept for a limited time).')
    if job.created_by_id != actor.id and not actor.can(Permission.JOBS_VIEW_ALL):
        raise PermissionDenied(f'Your role ({actor.role.value}) may not {Permission.JOBS_VIEW_ALL.description}.')
    owner = session.get(User, job.created_by_id) if job.created_by_id else None
    return job, owner.name if owner else None


def _queue(session: Session, job: Job) -> None:
    """Back to the queue: the row says queued, and after the commit the task layer enqueues its run."""
    job.status, job.cancel_requested, job.finished_at, job.current = JobStatus.QUEUED, False, None, None
    job.message = None
    session.flush()
    events.record(session, CHANGED, ids=[job.id])
    events.record(session, QUEUED, ids=[job.id])


def _fresh(view: JobView) -> JobView:
    """A running job's snapshot on the bus is newer than its row (written once a second)."""
    if view.finished:
        return view
    live = bus.get_bus().snapshot(snapshot_key(view.id))
    return JobView.model_validate(live) if live and live.get('status') == view.status else view


def _ended_before(moment: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return col(Job.status).not_in(ACTIVE), col(Job.finished_at) < moment


def _purge_uploads(before: float) -> None:
    uploads = jobs_root() / 'uploads'
    for directory in uploads.glob('*') if uploads.exists() else ():
        if directory.stat().st_mtime < before:
            shutil.rmtree(directory, ignore_errors=True)
