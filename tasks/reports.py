"""The monthly finance report: on the 1st at 06:00 UTC, the previous month's report, produced as the system."""

from huey import crontab

from services import stored_reports
from tasks.huey_app import huey


@huey.periodic_task(crontab(minute='0', hour='6', day='1'))
def monthly_finance_report() -> int | None:
    """Start the report job (the job runs on the queue like any other); None when the month has one already."""
    job = stored_reports.start_monthly()
    return job.id if job else None
