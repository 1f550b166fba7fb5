"""Keeping the search index in step with the watches.

With the SQL backends (SQLite FTS5, PostgreSQL full-text) the index lives in the database: triggers update it
in the same transaction as the change itself, so nothing here is needed and `connect` subscribes nothing.
Meilisearch is a separate server: after a change commits, the `watch.changed` event enqueues `index_watches`,
which re-reads those watches and upserts (or removes) their documents. The task carries only ids, so a retry
or a late run always sends the watches as they are now.
"""

from __future__ import annotations

from collections.abc import Callable

from config import Settings
from db.engine import session_scope
from services import events
from tasks.huey_app import huey


@huey.task(retries=5, retry_delay=2, retry_backoff=2)
def index_watches(ids: list[int]) -> int:
    """Bring these watches up to date in the search index; returns how many were handled."""
    from services import search

    with session_scope() as session:
        search.backend().index(session, ids)
    return len(ids)


def enqueue(event: events.Event) -> None:
    """The subscriber: one task per committed unit of work, with every watch it changed."""
    index_watches(list(event.ids))


def connect(settings: Settings) -> Callable[[], None] | None:
    """Subscribe the index task to watch changes when the index is a separate server; returns the unsubscribe."""
    if not settings.meili_url:
        return None
    return events.subscribe(events.WATCH_CHANGED, enqueue)
