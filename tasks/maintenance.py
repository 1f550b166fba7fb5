"""Housekeeping that runs on a schedule."""

from huey import crontab

from services import maintenance
from tasks.huey_app import huey


@huey.periodic_task(crontab(minute='15', hour='3'))
def optimize_database() -> str:
    """Nightly: refresh the query planner's statistics so list queries keep their plans as data grows."""
    return maintenance.optimize_database()
