"""What the two SQL backends share: the index lives in the database the watches live in.

The index changes in the same transaction as the watch (migration 0004), so these backends are never stale
and `index()` has nothing to do. A watch matches by its words, through the engine's full-text index, or by
its identity: a SKU prefix, a reference prefix (letters and digits only, so "16610 LV", "16610-LV" and
"16610LV" are one reference) and, for roles that may see serials, a serial typed exactly. Scope, filters and
sort are the inventory list's own, so a search result is exactly the list the user would get by filtering.
When a word matches nothing at all, it is replaced by the nearest word the index knows ("submarnier" becomes
"submariner") and the search runs again.

Relevance ranks by how a watch matches, in three classes: its identity, then every word in its name (SKU,
brand, model, reference), then every word anywhere (calibre, description and notes too); within a class the
newest comes first. Each class is read from its index newest first and stops after the page, so a common word
costs a page, not a score for each of its thousands of matches (which made "rolex" slow and grows with the
catalogue). A word's weight in a long description says little about a watch, so nothing of worth is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, func, or_, select

from db.inventory import Watch
from services.permissions import Actor, Permission
from services.scope import scoped
from services.search.base import FACET_CAP, FACETS, RELEVANCE, TOTAL_CAP, Progress, SearchRequest, SearchResult
from services.search.query import MIN_PREFIX, Query, Term, closest, parse
from services.watch_filter import conditions, starts_with
from services.watch_order import sort_order

# The relevance classes, best first.
IDENTITY_MATCH, NAME_MATCH, TEXT_MATCH = 0, 1, 2
_FACET_COLUMNS = (Watch.brand, Watch.stage_id, Watch.location_id, Watch.condition_grade)

Filters = list[sa.ColumnElement[bool]]


class SqlBackend:
    """The engine-neutral half of a search in SQL; a subclass says how its full-text index is queried."""

    name = 'sql'

    # --- the interface ---------------------------------------------------------------------------------------

    def search(self, session: Session, actor: Actor, request: SearchRequest) -> SearchResult:
        """The search as typed; only when it finds nothing are its words checked, and mistyped ones corrected."""
        query = parse(request.text)
        if query.empty:
            return SearchResult()
        found = self._search(session, actor, query, request)
        if not found.total and (fixed := self.corrected(session, query)) != query:
            found = self._search(session, actor, fixed, request)
        return found

    def matching(self, session: Session, actor: Actor, text: str) -> sa.ColumnElement[bool]:
        """The watches whose text matches, as a WHERE term over `watches` for any list query to add."""
        return self.matching_query(actor, self.corrected(session, parse(text)))

    def index(self, session: Session, watch_ids: Sequence[int]) -> None:
        """Nothing to do: the database changed the index with the watches, in the same transaction."""

    def rebuild(self, session: Session, progress: Progress | None = None) -> int:
        raise NotImplementedError

    # --- what a subclass provides ----------------------------------------------------------------------------

    def words(self, query: Query, *, names_only: bool = False) -> sa.Select:
        """`SELECT id` of the watches whose indexed text holds every term (with `names_only`, in the SKU, brand,
        model or reference). The id column is the one to order by; `narrowed` adds scope and filters."""
        raise NotImplementedError

    def narrowed(self, found: sa.Select, actor: Actor, filters: Filters) -> sa.Select:
        """`found` (a `words` query) limited to the live watches the actor may see that pass the filters."""
        return scoped(found, actor).where(*filters)

    def identified(self, identity: sa.ColumnElement[bool], actor: Actor, filters: Filters) -> sa.Select:
        """`SELECT id` of the live watches the actor may see that match by `identity` and pass the filters."""
        return scoped(select(Watch.id), actor).where(identity, *filters)

    def known(self, session: Session, terms: Sequence[Term]) -> bool:
        """Whether any live watch at all (in or out of anyone's scope) holds all these terms."""
        raise NotImplementedError

    def candidates(self, session: Session, term: Term) -> list[str]:
        """Words the index knows that might be what a mistyped term meant."""
        raise NotImplementedError

    def matching_query(self, actor: Actor, query: Query) -> sa.ColumnElement[bool]:
        """The query as a WHERE term over `watches`: the id is among the matches of its words or identity."""
        return Watch.id.in_(self.union(actor, query)) if not query.empty else sa.false()

    def ordered(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest, many: bool
    ) -> sa.Select:
        """`SELECT id` of the matches in the list's own order. `many` says more than `TOTAL_CAP` pass the
        filters, which a backend may use to choose how the database should find the page."""
        return self.in_list_order(session, actor, filters, request, self.matching_query(actor, query))

    def in_order(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest
    ) -> tuple[list[int], int, bool]:
        """The page in list order, the (capped) total and whether it was capped. The total comes first: how many
        match decides how the page is best found."""
        total, capped = self._total(session, actor, query, filters, request)
        ordered = self.ordered(session, actor, query, filters, request, many=capped)
        return list(session.exec(ordered.offset(request.offset).limit(request.limit)).all()), total, capped

    def in_list_order(
        self, session: Session, actor: Actor, filters: Filters, request: SearchRequest, member: sa.ColumnElement[bool]
    ) -> sa.Select:
        """`SELECT id` of the watches the actor may see that pass the filters and `member`, in list order."""
        order = sort_order(session, actor, request.sort, request.descending)
        return scoped(select(Watch.id), actor).where(*filters, member).order_by(*order)

    # --- shared ----------------------------------------------------------------------------------------------

    def corrected(self, session: Session, query: Query) -> Query:
        """The query with each word that matches nothing replaced by the nearest known word, if any is near."""
        if query.empty or self.known(session, query.terms):
            return query
        for position, term in enumerate(query.terms):
            fixable = term.correctable and not self.known(session, [term])
            if fixable and (word := closest(term, self.candidates(session, term))):
                query = query.with_term(position, word)
        return query

    def union(self, actor: Actor, query: Query) -> sa.Select:
        """The ids of every watch (live or not, in scope or not) that matches by its words or its identity."""
        return sa.union(self.words(query), *(select(Watch.id).where(term) for term in identity_terms(actor, query)))

    def _search(self, session: Session, actor: Actor, query: Query, request: SearchRequest) -> SearchResult:
        """By relevance the page comes first, since it often tells the total."""
        filters = conditions(request.filters)
        if request.sort == RELEVANCE or request.limit <= 0:
            ids = self._ranked_page(session, actor, query, filters, request) if request.limit > 0 else []
            total, capped = self._total(session, actor, query, filters, request, len(ids))
        else:
            ids, total, capped = self.in_order(session, actor, query, filters, request)
        facets, sampled = (
            count_facets(session, actor, [*filters, self.matching_query(actor, query)])
            if request.facets
            else ({}, False)
        )
        return SearchResult(ids=ids, total=total, capped=capped, facets=facets, facets_sampled=sampled)

    def _arms(self, actor: Actor, query: Query, filters: Filters) -> list[tuple[int, sa.Select]]:
        """(relevance class, `SELECT id`) for each way a watch can match, narrowed to scope and filters."""
        identity = identity_terms(actor, query)
        return [
            *([(IDENTITY_MATCH, self.identified(or_(*identity), actor, filters))] if identity else []),
            (NAME_MATCH, self.narrowed(self.words(query, names_only=True), actor, filters)),
            (TEXT_MATCH, self.narrowed(self.words(query), actor, filters)),
        ]

    def _ranked_page(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest
    ) -> list[int]:
        """Each class's newest matches, as many as the page reaches, then the best class of each watch.

        Whatever precedes a watch within its class's own list also precedes it in the answer, so reading each
        class no further than `offset + limit` loses nothing of the page.
        """
        reach = request.offset + request.limit
        best: dict[int, int] = {}
        for rank, arm in self._arms(actor, query, filters):  # best class first: the first rank seen is a watch's best
            for watch_id in self.newest(session, arm, reach, gather=rank == IDENTITY_MATCH):
                best.setdefault(watch_id, rank)
        ranked = sorted(best, key=lambda watch_id: (best[watch_id], -watch_id))
        return ranked[request.offset : reach]

    def newest(self, session: Session, arm: sa.Select, reach: int, *, gather: bool) -> list[int]:
        """The ids of the `reach` newest watches of one class (an arm of `_arms`).

        With `gather`, for a class of few matches such as identities, every match is found through its own
        indexes and sorted: `id + 0` keeps the planner from walking the whole table in id order for a rare SKU.
        """
        newest_first = (arm.selected_columns[0] + 0).desc() if gather else arm.selected_columns[0].desc()
        return list(session.execute(arm.order_by(newest_first).limit(reach)).scalars())

    def _total(
        self,
        session: Session,
        actor: Actor,
        query: Query,
        filters: Filters,
        request: SearchRequest,
        found: int | None = None,
    ) -> tuple[int, bool]:
        """The number of matches, counted only when the page (of `found` ids) does not tell, and never beyond
        the cap."""
        offset, limit = request.offset, request.limit
        if found is not None and limit > 0 and found < limit and (found or not offset):
            return offset + found, False
        cap = max(TOTAL_CAP, offset + limit)
        matches = scoped(select(Watch.id), actor).where(*filters, self.matching_query(actor, query))
        counted = session.execute(select(func.count()).select_from(matches.limit(cap + 1).subquery())).scalar_one()
        return min(counted, cap), counted > cap


def identity_terms(actor: Actor, query: Query) -> list[sa.ColumnElement[bool]]:
    """The ways a watch matches by what identifies it: its SKU, its reference, or (for some roles) its serial."""
    found = []
    if len(query.compact) >= MIN_PREFIX:
        found.append(starts_with(Watch.sku, query.compact))
    if len(query.reference) >= MIN_PREFIX:
        found.append(starts_with(Watch.reference_norm, query.reference))
    if actor.can(Permission.SERIAL_VIEW):
        found.append(Watch.serial.in_({query.typed, query.typed.upper()}))
    return found


def count_facets(session: Session, actor: Actor, where: Filters) -> tuple[dict[str, dict[str, int]], bool]:
    """Counts per brand, stage, location and grade, from one grouped pass over (at most `FACET_CAP` of) the
    matches instead of four; the flag says the counts stopped at the cap."""
    matches = scoped(select(*_FACET_COLUMNS), actor).where(*where).limit(FACET_CAP).subquery()
    columns = [matches.c[column.key] for column in _FACET_COLUMNS]
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    seen = 0
    for *values, count in session.execute(select(*columns, func.count()).group_by(*columns)):
        seen += count
        for name, value in zip(FACETS, values, strict=True):
            if value is not None:
                counts[name][str(value)] += count
    return {name: dict(counter.most_common()) for name, counter in counts.items()}, seen >= FACET_CAP
