"""Jobs: how far a long piece of work (an export, an import, a label run) has come."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Reader
from services import jobs
from services.jobs import JobView

router = APIRouter(prefix='/jobs', tags=['jobs'])


@router.get('/{job_id}', response_model=JobView)
def get_job(who: Reader, job_id: int) -> JobView:
    """One job's status and progress: the owner's own jobs, or anyone's with "see everyone's jobs"."""
    return jobs.get(who.actor, job_id)
