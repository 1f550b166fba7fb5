"""Exchange rates from the ECB on business days after they are published (about 16:00 in Frankfurt).

Huey's schedule runs in UTC: 15:30 and 16:30 UTC are 16:30 and 17:30 in Brussels in winter (CET) and 17:30 and
18:30 in summer (CEST), after publication either way. The second run is a retry that does nothing once the
first one has today's rates; after a gap (downtime, an empty table) the 90-day file fills it.
"""

from huey import crontab

from services import fx_schedule
from tasks.huey_app import huey


@huey.periodic_task(crontab(minute='30', hour='15,16', day_of_week='1-5'))
def fetch_exchange_rates() -> int | None:
    """Start the import job as the system (it runs on the queue like any other); None when nothing is due."""
    job = fx_schedule.start_scheduled()
    return job.id if job else None
