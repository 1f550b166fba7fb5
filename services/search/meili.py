"""Search on a Meilisearch server (`SV_MEILI_URL`), through its official Python client.

The index is a copy; the database stays the truth. After every committed change the `watch.changed` event
enqueues `tasks.search.index_watches`, which calls `index()` here; `python main.py reindex` calls `rebuild()`,
which loads a fresh index beside the live one and swaps it in, so search keeps answering meanwhile. The
client is synchronous (requests): fine, because services run off the event loop.

Meilisearch reports the failure of a write only in its task record, never as an exception, so every write
here waits for its task and turns a failed one into a `MeiliError` with the server's message. No Meilisearch
server can be installed on our build machines: this adapter runs against a real one only where
`SV_TEST_MEILI_URL` is set, and the test run says so when it is skipped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError
from meilisearch.models.task import TaskInfo
from sqlmodel import Session, func, or_, select

from config import Settings
from db.engine import session_scope
from db.inventory import Watch
from db.places import Location
from db.types import utcnow
from db.workflow import Stage
from services.errors import ServiceError, ValidationFailed
from services.permissions import Actor, Permission, require
from services.search.base import FACETS, RELEVANCE, TOTAL_CAP, Progress, SearchRequest, SearchResult
from services.search.meili_documents import (
    FILTERABLE,
    NO_TYPOS,
    SEARCHABLE,
    SORTABLE,
    SORTS,
    Ranks,
    document,
    filter_string,
    serial_condition,
)
from services.search.query import parse

log = logging.getLogger(__name__)
BATCH = 1_000
IN_FLIGHT = 4  # document batches a rebuild sends ahead of the one it waits for
TASK_TIMEOUT_MS = 10 * 60 * 1000  # a batch of 1,000 takes well under a second; a busy server can queue many
# A bulk selection ("select all" across pages) takes up to services.inventory.MAX_IDS watches in one request.
MAX_TOTAL_HITS = 100_000
SERIAL_HITS = 20  # a serial is nearly unique; more watches than this with one serial is not a real case
# Changes committed while a rebuild read the database may have gone to the index it replaces: re-index them.
CATCH_UP_MARGIN = timedelta(minutes=1)
SETTINGS = {
    'searchableAttributes': list(SEARCHABLE),
    'filterableAttributes': list(FILTERABLE),
    'sortableAttributes': list(SORTABLE),
    # `sort` first: a list sorted by price is in price order, with relevance only breaking ties.
    'rankingRules': ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness'],
    'typoTolerance': {
        'enabled': True,
        'minWordSizeForTypos': {'oneTypo': 5, 'twoTypos': 9},
        'disableOnAttributes': list(NO_TYPOS),
    },
    'pagination': {'maxTotalHits': MAX_TOTAL_HITS},
    'faceting': {'maxValuesPerFacet': 1_000, 'sortFacetValuesBy': {'*': 'count'}},
}
_COLUMNS = (Watch.id, Watch.sku, Watch.brand, Watch.model, Watch.reference, Watch.reference_norm, Watch.calibre,
            Watch.description, Watch.notes, Watch.serial, Watch.stage_id, Watch.location_id, Watch.batch_id,
            Watch.agent_id, Watch.seller_id, Watch.condition_grade, Watch.year, Watch.asking_price,
            Watch.purchase_cost_base, Watch.image_count, Watch.created_at)  # fmt: skip


class MeiliError(ServiceError):
    """The Meilisearch server could not be reached, refused a request, or failed a task."""


class MeiliBackend:
    """Watches in one Meilisearch index; answers with ids that the caller hydrates from the database."""

    name = 'meili'

    def __init__(self, url: str, key: str = '', index_uid: str = 'watches', *, timeout: int = 30) -> None:
        self.url = url
        self.index_uid = index_uid
        self.client = meilisearch.Client(url, key or None, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> MeiliBackend:
        return cls(settings.meili_url, settings.meili_key.get_secret_value())

    def configure(self) -> None:
        """Create the index if needed and apply our settings (Meilisearch re-indexes when they change)."""
        with self._answers('setting up the index'):
            self._configure(self.index_uid)

    def drop(self) -> None:
        """Delete the index with all its documents (a missing index is fine)."""
        with self._answers('deleting the index'):
            self._drop(self.index_uid)

    def index(self, session: Session, watch_ids: Sequence[int]) -> None:
        """Upsert the live watches among `watch_ids` and remove the deleted or missing ones."""
        ids = list(dict.fromkeys(watch_ids))
        if not ids:
            return
        ranks = _ranks(session)
        with self._answers('updating the index'):
            target = self.client.index(self.index_uid)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                rows = session.exec(select(*_COLUMNS).where(Watch.id.in_(chunk), Watch.deleted_at.is_(None))).all()
                tasks = [target.add_documents([document(row, ranks) for row in rows], primary_key='id')] if rows else []
                if gone := sorted(set(chunk) - {row.id for row in rows}):
                    tasks.append(target.delete_documents(filter=f'id IN [{", ".join(map(str, gone))}]'))
                for task in tasks:
                    self._wait(task, 'updating the index')

    def rebuild(self, session: Session, progress: Progress | None = None) -> int:
        """Load every live watch into a fresh index, swap it in for the live one, then catch up on changes
        committed meanwhile; returns the number of watches loaded."""
        started = utcnow()
        total = session.exec(select(func.count()).select_from(Watch).where(Watch.deleted_at.is_(None))).one()
        fresh = f'{self.index_uid}_rebuild'
        with self._answers('rebuilding the index'):
            self._drop(fresh)
            self._configure(fresh)
            loaded = self._load(session, fresh, total, progress)
            self._ensure(self.index_uid)
            self._wait(self.client.swap_indexes([{'indexes': [self.index_uid, fresh]}]), 'swapping in the new index')
            self._drop(fresh)
        self._catch_up(started - CATCH_UP_MARGIN)
        return loaded

    def search(self, session: Session, actor: Actor, request: SearchRequest) -> SearchResult:
        """The matches among the watches `actor` may see; a serial number (for roles that may see serials)
        matches only exactly, and such watches come first."""
        require(actor, Permission.INVENTORY_VIEW)
        sort = _sort(actor, request)
        typed = parse(request.text or request.filters.text)
        if typed.empty:
            return SearchResult()
        scope = filter_string(request.filters, actor)
        # Plain words only: Meilisearch gives quotes (phrases) and a leading minus (exclusion) a meaning.
        text = ' '.join(term.word for term in typed.terms)
        with self._answers('the search'):
            if actor.can(Permission.SERIAL_VIEW):
                return self._search_with_serial(text, typed.typed, scope, sort, request)
            return _result(
                self._multi([self._query(text, scope, sort, request, request.offset, request.limit)]), request
            )

    # --- searching ------------------------------------------------------------------------------------------

    def _search_with_serial(
        self, text: str, serial: str, scope: str, sort: list[str], request: SearchRequest
    ) -> SearchResult:
        """The watches with exactly this serial, then the word matches among the others (so none is counted twice).

        One round trip when no serial matches (nearly always); a second one pages the word matches after them.
        """
        exact, others = _and(scope, serial_condition(serial)), _and(scope, f'NOT {serial_condition(serial)}')
        same, words = self._multi(
            [self._query('', exact, sort, request, 0, SERIAL_HITS),
             self._query(text, others, sort, request, request.offset, request.limit)]
        )  # fmt: skip
        first = [hit['id'] for hit in same['hits']][request.offset : request.offset + request.limit]
        if same['hits']:
            offset = max(0, request.offset - len(same['hits']))
            (words,) = self._multi([self._query(text, others, sort, request, offset, request.limit - len(first))])
        result = _result([same, words], request)
        return result.model_copy(update={'ids': first + result.ids[len(same['hits']) :]})

    def _query(
        self, text: str, scope: str, sort: list[str], request: SearchRequest, offset: int, limit: int
    ) -> dict[str, Any]:
        """One search as Meilisearch takes it; page/hitsPerPage rather than offset/limit, for exact totals."""
        query: dict[str, Any] = {
            'indexUid': self.index_uid,
            'q': text,
            'attributesToRetrieve': ['id'],
            'matchingStrategy': 'all',
            **_paging(offset, limit),
        }
        if scope:
            query['filter'] = scope
        if sort:
            query['sort'] = sort
        if facets := _facets(request):
            query['facets'] = facets
        return query

    def _multi(self, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several searches in one round trip; each result's hits start at its query's offset."""
        skips = [query.pop('_skip', 0) for query in queries]
        results = self.client.multi_search(queries)['results']
        for skip, result in zip(skips, results, strict=True):
            result['hits'] = result['hits'][skip:]
        return results

    # --- writing --------------------------------------------------------------------------------------------

    def _configure(self, uid: str) -> None:
        self._allow_contains()
        self._ensure(uid)
        self._wait(self.client.index(uid).update_settings(SETTINGS), 'applying the index settings')

    def _allow_contains(self) -> None:
        """The model filter is a substring match (as in SQL): Meilisearch's CONTAINS, still behind a switch.

        A server that has no such switch any more, or a key that may not flip it, leaves the rest working.
        """
        try:
            self.client.update_experimental_features({'containsFilter': True})
        except MeilisearchApiError as error:
            log.warning('Meilisearch did not enable CONTAINS filters (%s); the model filter may fail', error.message)

    def _ensure(self, uid: str) -> None:
        self._wait(self.client.create_index(uid, {'primaryKey': 'id'}), 'creating the index', 'index_already_exists')

    def _drop(self, uid: str) -> None:
        self._wait(self.client.delete_index(uid), 'deleting an index', 'index_not_found')

    def _load(self, session: Session, uid: str, total: int, progress: Progress | None) -> int:
        """Send the live watches in batches, a few ahead of the one whose task is awaited; report each one done."""
        target, ranks = self.client.index(uid), _ranks(session)
        pending: deque[tuple[TaskInfo, int]] = deque()
        sent = 0
        for rows in _live_rows(session):
            sent += len(rows)
            pending.append((target.add_documents([document(row, ranks) for row in rows], primary_key='id'), sent))
            if len(pending) > IN_FLIGHT:
                self._settle(pending.popleft(), total, progress)
        while pending:
            self._settle(pending.popleft(), total, progress)
        return sent

    def _settle(self, sent: tuple[TaskInfo, int], total: int, progress: Progress | None) -> None:
        task, done = sent
        self._wait(task, 'loading watches into the index')
        if progress:
            progress(done, total)

    def _catch_up(self, since: datetime) -> None:
        changed = or_(Watch.created_at >= since, Watch.updated_at >= since)
        with session_scope() as session:
            ids = session.exec(select(Watch.id).where(changed)).all()
            if ids:
                self.index(session, ids)

    def _wait(self, task: TaskInfo, doing: str, *harmless: str) -> None:
        """Wait for the server to process a write, and raise with its message if it failed."""
        done = self.client.wait_for_task(task.task_uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=50)
        if done.status == 'succeeded':
            return
        error = done.error or {}
        if error.get('code') in harmless:
            return
        raise MeiliError(f'Meilisearch failed {doing}: {str(error.get("message") or done.status).rstrip(".")}.')

    @contextmanager
    def _answers(self, doing: str) -> Iterator[None]:
        """The client's errors as one sentence each, naming the server and what we were doing."""
        try:
            yield
        except MeilisearchCommunicationError:
            raise MeiliError(f'Cannot reach Meilisearch at {self.url} ({doing}).') from None
        except MeilisearchTimeoutError:
            raise MeiliError(f'Meilisearch at {self.url} did not finish {doing} in time.') from None
        except MeilisearchApiError as error:
            if error.code == 'index_not_found':
                raise MeiliError('The search index does not exist yet; run `python main.py reindex`.') from None
            raise MeiliError(f'Meilisearch refused {doing}: {error.message}') from None


def _sort(actor: Actor, request: SearchRequest) -> list[str]:
    """Sort rules (none for relevance), each ending in the id so equal keys keep one order from page to page."""
    if request.sort == RELEVANCE:
        return []
    if request.sort not in SORTS:
        raise ValidationFailed(f'The list cannot be sorted by "{request.sort}".')
    if request.sort == 'purchase_cost_base':
        require(actor, Permission.COST_VIEW)
    direction = 'desc' if request.descending else 'asc'
    return [f'{SORTS[request.sort]}:{direction}', f'id:{direction}']


def _paging(offset: int, limit: int) -> dict[str, int]:
    """Page mode counts matches exactly (up to maxTotalHits); an offset off the page grid reads from page one."""
    if limit <= 0:
        return {'page': 1, 'hitsPerPage': 0}
    if offset % limit == 0:
        return {'page': offset // limit + 1, 'hitsPerPage': limit}
    return {'page': 1, 'hitsPerPage': offset + limit, '_skip': offset}


def _result(results: list[dict[str, Any]], request: SearchRequest) -> SearchResult:
    """Merge disjoint result sets: their ids in order, their totals and facet counts added up."""
    found = sum(result.get('totalHits', 0) for result in results)
    cap = max(TOTAL_CAP, request.offset + request.limit)
    facets: dict[str, dict[str, int]] = {}
    if request.facets:
        for name in FACETS:
            counts: dict[str, int] = {}
            for result in results:
                for value, count in result.get('facetDistribution', {}).get(name, {}).items():
                    counts[value] = counts.get(value, 0) + count
            facets[name] = counts
    ids = [hit['id'] for result in results for hit in result['hits']]
    return SearchResult(ids=ids, total=min(found, cap), capped=found > cap, facets=facets)


def _facets(request: SearchRequest) -> list[str]:
    return list(FACETS) if request.facets else []


def _and(*conditions: str) -> str:
    return ' AND '.join(f'({condition})' for condition in conditions if condition)


def _ranks(session: Session) -> Ranks:
    stages = dict(session.exec(select(Stage.id, Stage.position)).all())
    locations = dict(session.exec(select(Location.id, Location.name)).all())
    return Ranks(stages=stages, locations=locations)


def _live_rows(session: Session) -> Iterator[Sequence[Any]]:
    """Every live watch's columns in id order, a batch at a time (keyset paging: each batch is an index seek)."""
    last = 0
    query = select(*_COLUMNS).where(Watch.deleted_at.is_(None)).order_by(Watch.id).limit(BATCH)
    while rows := session.exec(query.where(Watch.id > last)).all():
        yield rows
        last = rows[-1].id
