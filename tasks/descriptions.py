"""Descriptions on a schedule: Make.com requests whose callback never came are failed, so nobody waits forever."""

from huey import crontab

from services import descriptions
from tasks.huey_app import huey


@huey.periodic_task(crontab(minute='*'))
def expire_make_requests() -> int:
    """Requests past their callback timeout become failed, with a sentence saying so."""
    return descriptions.expire_requests()
