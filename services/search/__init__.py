"""Search over the watches: which backend answers, and the public calls the screens use.

Meilisearch answers when `SV_MEILI_URL` is set; otherwise the database answers with its own full-text index
(FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL). Every call respects the actor's row scope: an agent's
results, totals and facet counts only ever hold their own watches.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, select

from config import get_settings
from db.engine import get_engine, session_scope
from db.inventory import Watch
from db.places import Location
from db.workflow import Stage
from services.paging import clamp
from services.permissions import Actor, Permission, require
from services.search.base import FACETS, RELEVANCE, SearchBackend, SearchRequest, SearchResult
from services.search.sql import SqlBackend, count_facets
from services.validation import validated
from services.watch_filter import WatchFilter, conditions

__all__ = ['FacetCount', 'Facets', 'backend', 'facet_counts', 'search_ids', 'where']

# The most watches a text filter hands over from a backend that is not the database (a bulk selection's limit).
MAX_MATCHES = 100_000


class FacetCount(BaseModel):
    """One chip: a value of a facet, what to call it, and how many matches have it."""

    value: str
    label: str
    count: int


class Facets(BaseModel):
    """The chips of every facet, most first; `sampled` when they were counted over the first `FACET_CAP` matches."""

    groups: dict[str, list[FacetCount]]
    sampled: bool = False


def backend() -> SearchBackend:
    """The configured engine: Meilisearch when it has a URL, else the database's own index."""
    settings = get_settings()
    if settings.meili_url:
        from services.search.meili import MeiliBackend

        return MeiliBackend.from_settings(settings)
    if get_engine().dialect.name == 'sqlite':
        from services.search.sqlite import SqliteBackend

        return SqliteBackend()
    from services.search.postgres import PostgresBackend

    return PostgresBackend()


def search_ids(
    actor: Actor,
    text: str,
    filters: WatchFilter | dict[str, Any] | None = None,
    *,
    sort: str = RELEVANCE,
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> SearchResult:
    """The ids of one page of matches in order, with the (capped) total."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = validated(WatchFilter, filters or {})
    offset, limit = clamp(offset, limit)
    request = SearchRequest(
        text=text or '', filters=wanted, sort=sort, descending=descending, offset=offset, limit=limit
    )
    with session_scope() as session:
        return backend().search(session, actor, request)


def facet_counts(actor: Actor, filters: WatchFilter | dict[str, Any]) -> Facets:
    """How many matches of the filters (and their text) have each brand, stage, location and grade, most first."""
    require(actor, Permission.INVENTORY_VIEW)
    wanted = validated(WatchFilter, filters)
    with session_scope() as session:
        if wanted.text:
            request = SearchRequest(text=wanted.text, filters=wanted, limit=0, facets=True)
            result = backend().search(session, actor, request)
            counts, sampled = result.facets, result.facets_sampled
        else:
            counts, sampled = count_facets(session, actor, conditions(wanted))
        return Facets(groups=_labelled(session, counts), sampled=sampled)


def where(session: Session, actor: Actor, filters: WatchFilter) -> list[sa.ColumnElement[bool]]:
    """The filters as WHERE terms over `watches`, the text included, for lists that need every match.

    A database backend gives its text match as a subquery that runs inside the list's own query; another
    engine gives the ids of its matches (at most `MAX_MATCHES`).
    """
    found = conditions(filters)
    if not filters.text:
        return found
    engine = backend()
    if isinstance(engine, SqlBackend):
        return [*found, engine.matching(session, actor, filters.text)]
    request = SearchRequest(text=filters.text, filters=filters, limit=MAX_MATCHES)
    return [*found, Watch.id.in_(engine.search(session, actor, request).ids)]


def _labelled(session: Session, counts: dict[str, dict[str, int]]) -> dict[str, list[FacetCount]]:
    """Stage and location ids named; brands and grades are their own labels."""
    names = {
        'stage_id': {str(key): name for key, name in session.execute(select(Stage.id, Stage.name))},
        'location_id': {str(key): name for key, name in session.execute(select(Location.id, Location.name))},
    }
    return {
        facet: [
            FacetCount(value=value, label=names.get(facet, {}).get(value, value), count=count)
            for value, count in counts.get(facet, {}).items()
        ]
        for facet in FACETS
    }
