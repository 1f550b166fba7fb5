"""The exchange-rate schedule's one call: start the ECB import job as the system when a fetch is due.

Kept apart from services/fx.py because starting a job imports the job registry, which imports the import job,
which imports services/fx.py.
"""

from __future__ import annotations

from datetime import date

from services import fx, jobs
from services.job_fx import KIND
from services.permissions import SYSTEM


def start_scheduled(today: date | None = None) -> jobs.JobView | None:
    """The import job for what `fx.scheduled_feed` says is due (the daily file, or 90 days after a gap); None when
    today's rates are in already."""
    feed = fx.scheduled_feed(today)
    return jobs.start(SYSTEM, KIND, {'feed': feed}) if feed else None
