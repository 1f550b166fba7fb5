"""Housekeeping that runs on a schedule (Huey keeps no results of periodic tasks, so they enqueue plain ones)."""

from huey import crontab

from services import intake_photos, maintenance
from services.permissions import SYSTEM
from tasks.huey_app import huey


@huey.task()
def optimize_database() -> str:
    """Refresh the query planner's statistics so list queries keep their plans as data grows."""
    return maintenance.optimize_database()


@huey.task()
def purge_stale_intake_photos() -> int:
    """Photos of intakes nobody saved within a day: their drafts are abandoned."""
    return intake_photos.purge_stale_photos(SYSTEM)


@huey.periodic_task(crontab(minute='15', hour='3'))
def nightly() -> None:
    optimize_database()
    purge_stale_intake_photos()
