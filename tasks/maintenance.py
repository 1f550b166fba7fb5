"""Housekeeping that runs on a schedule (Huey keeps no results of periodic tasks, so they enqueue plain ones)."""

from huey import crontab

from services import maintenance
from tasks.huey_app import huey


@huey.task()
def optimize_database() -> str:
    """Refresh the query planner's statistics so list queries keep their plans as data grows."""
    return maintenance.optimize_database()


@huey.periodic_task(crontab(minute='15', hour='3'))
def nightly() -> None:
    optimize_database()
