"""The reindex job: the search backend's rebuild, the same work `python main.py reindex` does.

A backend rebuilds in its own steps (Meilisearch loads the watches in batches into a fresh index and swaps it
in; the SQL indexes rebuild in a statement or two), so the job is one item whose progress the backend reports
as it goes: the screens show "indexed 40,000 of 80,000" as the current item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from db.engine import session_scope
from services import audit, search
from services.errors import ValidationFailed
from services.job_kinds import JobKind, Output, Plan, RunContext
from services.permissions import Actor, Permission
from services.search.base import Progress

STEP = 'rebuild'


def rebuild(progress: Progress | None = None) -> tuple[str, int]:
    """Rebuild the configured search index; returns the backend's name and how many watches it indexed."""
    backend = search.backend()
    with session_scope() as session:
        return backend.name, backend.rebuild(session, progress)


class ReindexKind(JobKind):
    name = 'reindex'
    label = 'Search reindex'
    permission = Permission.SETTINGS_MANAGE

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        if params:
            raise ValidationFailed('A reindex takes no parameters.')
        return Plan(params={}, keys=[STEP], title='Rebuild of the search index')

    def item(self, ctx: RunContext, key: str) -> None:
        name, count = rebuild(lambda done, total: ctx.note(f'Indexed {done:,} of {total:,} watches'))
        ctx.outcome = f'Indexed {count:,} watches ({name})'
        ctx.state['count'] = count

    def item_label(self, key: str) -> str:
        return 'Search index'

    def finish(self, ctx: RunContext, done: int) -> Output | None:
        with session_scope() as session:
            after = {'count': ctx.state.get('count')}
            audit.record(session, ctx.actor, 'search.reindexed', 'search', None, after=after)
        return None
