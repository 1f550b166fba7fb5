"""Jobs on Huey: the run task, the sweep for jobs whose worker died, and the nightly clean-up.

`connect` subscribes the run task to the `job.queued` domain event, so a job is enqueued only once the row
that describes it has committed (services never import tasks). The tasks take a job id and call one service.
"""

from __future__ import annotations

from collections.abc import Callable

from huey import crontab

from config import Settings
from services import events, jobs
from tasks.huey_app import huey


@huey.task()
def run_job(job_id: int) -> str:
    """Run one job to its end (the runner keeps the row; Huey keeps nothing worth retrying)."""
    return jobs.run(job_id)


@huey.periodic_task(crontab(minute='*'))
def sweep_interrupted_jobs() -> list[int]:
    """Running jobs whose heartbeat stopped a minute ago lost their worker: mark them interrupted."""
    return jobs.mark_interrupted()


@huey.task()
def purge_expired_jobs() -> tuple[int, int]:
    return jobs.purge_expired()


@huey.periodic_task(crontab(minute='40'))
def hourly() -> None:
    """Expired result files go within the hour of their expiry; old job history goes with them."""
    purge_expired_jobs()


def enqueue(event: events.Event) -> None:
    for job_id in event.ids:
        run_job(job_id)


def connect(settings: Settings) -> Callable[[], None]:
    """Wire jobs into this process: enqueue queued jobs and announce job changes on the bus.

    Also marks the jobs the previous run of this process left behind as interrupted: every running job in
    the embedded default (its workers were threads of the web process that stopped), and in server mode
    those whose heartbeat stopped (other workers may still be running theirs).
    """
    jobs.broadcast_jobs()
    jobs.mark_interrupted(stale_after=jobs.STALE_AFTER if settings.server_mode else None)
    return events.subscribe(jobs.QUEUED, enqueue)
