"""Jobs in the states the panel and the jobs page must show, for their UI tests.

Jobs run for real on the app's task workers. The states a run passes through too quickly to catch, or that
need a dead worker (waiting, interrupted, failed items), are set on a finished job's row as the runner would
have left it: test set-up, like the factories' direct inserts.
"""

from __future__ import annotations

from db.engine import session_scope
from db.system import Job
from services import jobs
from services.permissions import Actor
from tests.factories import make_watch
from tests.ui.session import eventually

RUN = 200  # tenths of a second a job may take on the task workers (a busy CI machine)


async def finished_job(actor: Actor, count: int = 3) -> jobs.JobView:
    """A label run over `count` new watches, run to its end by the task workers."""
    ids = [make_watch(brand='Rolex', model=f'Datejust {number}') for number in range(count)]
    job = jobs.start(actor, 'labels', {'layout': 'a4', 'ids': ids})
    await eventually(lambda: jobs.get(actor, job.id).finished, 'the label run to finish', patience=RUN)
    return jobs.get(actor, job.id)


def leave(job_id: int, **fields: object) -> None:
    """Set the row's fields as a run would have left them (a dead worker, a failed item)."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        for name, value in fields.items():
            setattr(job, name, value)


def job_keys(job_id: int) -> list[str]:
    with session_scope() as session:
        return list(session.get(Job, job_id).keys or [])
