"""What a job looks like to screens and on the bus, and the registry of the kinds of job.

A `JobView` is built from the database row (lists, pages opened after the job) or from the runner's state
(every progress message); both carry the same fields, so a screen never cares which one it got. Only the
latest `ERRORS_SHOWN` failed items travel; `failed` counts them all.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from db.enums import JobStatus
from db.system import Job
from services import bus
from services.job_descriptions import DescriptionsKind
from services.job_export import ExportKind
from services.job_fx import FxImportKind
from services.job_import import ImportKind
from services.job_kinds import JobKind
from services.job_labels import LabelKind
from services.job_reindex import ReindexKind
from services.job_reports import FinanceReportKind

TOPIC = 'job'  # bus topic; the message is JobView.model_dump(mode='json')
ERRORS_SHOWN = 100
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)

KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        ExportKind(),
        LabelKind(),
        ImportKind(),
        ReindexKind(),
        DescriptionsKind(),
        FinanceReportKind(),
        FxImportKind(),
    )
}


class ItemError(BaseModel):
    """One failed item: its key (what a retry redoes), how screens name it, and why it failed."""

    key: str
    label: str
    message: str


class JobView(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    status: str
    done: int
    failed: int
    total: int
    current: str | None
    message: str | None
    errors: list[ItemError]
    rate: float | None  # items per second over the current run
    eta_seconds: float | None
    created_by_id: int | None
    created_by_name: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download_name: str | None
    can_cancel: bool
    can_retry: bool
    can_resume: bool

    @property
    def finished(self) -> bool:
        """Nothing more will happen unless someone retries or resumes it."""
        return self.status not in ACTIVE


def register(kind: JobKind) -> None:
    """Add a kind (the benchmark's own, which must not exist in the product)."""
    KINDS[kind.name] = kind


def view_of(job: Job, created_by_name: str | None, *, rate: float | None = None) -> JobView:
    """The screens' view of a row; `rate` comes from a runner that is timing the current run."""
    remaining = len(job.keys or ()) - job.position
    return JobView(
        id=job.id,
        kind=job.kind,
        kind_label=KINDS[job.kind].label if job.kind in KINDS else job.kind,
        title=job.title or job.kind,
        status=job.status.value,
        done=job.done,
        failed=job.failed,
        total=job.total,
        current=job.current,
        message=job.message,
        errors=[ItemError.model_validate(error) for error in job.errors[-ERRORS_SHOWN:]],
        rate=rate,
        eta_seconds=remaining / rate if rate and job.status == JobStatus.RUNNING else None,
        created_by_id=job.created_by_id,
        created_by_name=created_by_name,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        download_name=job.result.get('file'),
        can_cancel=job.status in ACTIVE and not job.cancel_requested,
        can_retry=job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) and job.failed > 0,
        can_resume=job.status in (JobStatus.INTERRUPTED, JobStatus.CANCELLED) and remaining > 0,
    )


def snapshot_key(job_id: int) -> str:
    return f'job:{job_id}'


def publish(view: JobView) -> None:
    """Tell every screen; a running job's state is kept as a snapshot, a finished one's is dropped (the
    database then holds it all)."""
    board = bus.get_bus()
    if view.finished:
        board.publish(TOPIC, view.model_dump(mode='json'))
        board.forget(snapshot_key(view.id))
    else:
        board.publish(TOPIC, view.model_dump(mode='json'), snapshot=snapshot_key(view.id))
