"""The one search interface the rest of the product talks to, whatever engine answers it.

Three backends implement `SearchBackend`: SQLite FTS5 (the embedded default), PostgreSQL full-text with
pg_trgm, and Meilisearch when `SV_MEILI_URL` is set. A backend answers with watch ids in rank (or sort) order
and a capped total; the caller hydrates the rows from the database, so what a user sees is always the
database's truth, scoped to what they may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field
from sqlmodel import Session

from services.permissions import Actor
from services.watch_filter import WatchFilter

# Facets a search can count: the watch attribute each one groups by.
FACETS = ('brand', 'stage_id', 'location_id', 'condition_grade')
# Counting every match of a common word is what makes search slow: totals are exact up to here, then "1,000+".
TOTAL_CAP = 1_000
# Facets are counted over at most this many matches: grouping all 130,000 watches a common word finds in a
# million costs half a second, and the first ten thousand already show which brands and stages dominate.
FACET_CAP = 10_000
RELEVANCE = 'relevance'

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SearchRequest:
    """What to look for: the user's words, the list's filters, and which slice of the ordered matches to return.

    `sort` is `RELEVANCE` (best match first) or one of `services.watch_order.SORTS`.
    """

    text: str
    filters: WatchFilter = field(default_factory=WatchFilter)
    sort: str = RELEVANCE
    descending: bool = True
    offset: int = 0
    limit: int = 50
    facets: bool = False


class SearchResult(BaseModel):
    """A page of matching watch ids in order, the total (exact up to `TOTAL_CAP`) and facet counts if asked.

    `facets` maps a name in `FACETS` to {value: count}; ids (stage, location) are given as strings. With
    `facets_sampled` there were more than `FACET_CAP` matches and the counts cover only that many of them.
    """

    ids: list[int] = Field(default_factory=list)
    total: int = 0
    capped: bool = False
    facets: dict[str, dict[str, int]] = Field(default_factory=dict)
    facets_sampled: bool = False


class SearchBackend(Protocol):
    """An engine that finds watches. Every method respects the actor's row scope and serial permission."""

    name: str

    def search(self, session: Session, actor: Actor, request: SearchRequest) -> SearchResult:
        """The matches for `request` among the watches `actor` may see."""
        ...

    def index(self, session: Session, watch_ids: Sequence[int]) -> None:
        """Bring these watches up to date in the index (deleted or missing ones are removed)."""
        ...

    def rebuild(self, session: Session, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the database; returns the number of watches indexed."""
        ...
