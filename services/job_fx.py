"""The exchange-rate import job: one ECB file fetched and stored, with progress, a notification and a retry.

One item, the feed. A fetch that fails is that item's failure with the feed client's sentence, so the job
fails with it and "Retry failed" fetches again. The schedule starts the job as the system: nobody is told by
the runner then, so a failure is announced to every active Finance and Admin user here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from db.engine import session_scope
from services import fx, notifications
from services.job_kinds import JobKind, Plan, RunContext
from services.permissions import Actor, Permission
from services.validation import validated

KIND = 'fx-import'
NOTIFICATION = 'fx.import_failed'
FEED_LABELS = {'daily': "today's ECB rates", '90d': 'the last 90 days of ECB rates'}


class FxImportParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    feed: Literal['daily', '90d'] = 'daily'


class FxImportKind(JobKind):
    name = KIND
    label = 'Exchange rates'
    permission = Permission.FX_MANAGE

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        wanted = validated(FxImportParams, params)
        return Plan(params=wanted.model_dump(), keys=[wanted.feed], title=f'Fetch {FEED_LABELS[wanted.feed]}')

    def item(self, ctx: RunContext, key: str) -> None:
        ctx.note(f'Fetching {FEED_LABELS[key]}')
        try:
            result = fx.import_feed(ctx.actor, key)
        except fx.FeedFailed as error:
            if ctx.actor.id is None:
                _tell_finance(str(error), ctx.job_id)
            raise
        booked = f'; {result.purchases_booked:,} waiting purchases booked' if result.purchases_booked else ''
        ctx.outcome = (
            f'{result.inserted:,} rates added and {result.updated:,} updated over {result.days:,} days{booked}'
        )

    def item_label(self, key: str) -> str:
        return 'ECB daily file' if key == 'daily' else 'ECB 90-day file'


def _tell_finance(reason: str, job_id: int) -> None:
    """The scheduled fetch failed: everyone who keeps the books hears of it (the rates may be missing today)."""
    with session_scope() as session:
        notifications.notify_roles(session, notifications.BOOKKEEPERS, kind=NOTIFICATION,
                                   title='The exchange rates could not be fetched',
                                   body=f'{reason} Fetch them under Exchange rates, or enter them by hand.',
                                   link=f'/jobs/{job_id}')  # fmt: skip
