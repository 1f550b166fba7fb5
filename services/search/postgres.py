"""Search on PostgreSQL: full-text search with a GIN index on the watches themselves.

`watches.search_document` is a generated tsvector ('simple' configuration: no stemming and no stop words, which
suits brands and references; weight A for SKU, brand, model and reference, B for calibre, description and
notes) under a GIN index of live watches. Text, scope, filters and sort are conditions on the same row, so the
planner weighs them together: an index scan in the sort's order that checks each row's words for a common
word, the GIN index for a rare one, with no join to misjudge. `search_vocabulary` lists the identity words
(brand, model, calibre) that typo correction picks from. Migration 0004 made all of them.

Twice the planner's estimates mislead it at a million watches, and the page is found in bounded steps
instead: a relevance class is looked for among the newest watches first (words are not independent: all
Seamasters are Omegas), and a page sorted by price band of prices by band (words cluster in price: no
Submariner is cheap).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, and_, func, or_, select

from db.inventory import Watch
from services.permissions import Actor
from services.search.base import TOTAL_CAP, Progress, SearchRequest
from services.search.query import Query, Term
from services.search.sql import Filters, SqlBackend, identity_terms
from services.watch_filter import WatchFilter, conditions

# Where the price bands of a sort by price end (see `PostgresBackend._by_price`): the shares of the priced
# watches in the filter's price range that come before each edge. The last band holds the rest.
BAND_SHARES = (0.35, 0.7)
_PRICE_STATISTICS = sa.text(
    'SELECT null_frac, most_common_vals::text, most_common_freqs, histogram_bounds::text FROM pg_stats '
    "WHERE schemaname = current_schema() AND tablename = 'watches' AND attname = 'asking_price'"
)
# The bitmap of a common word's matches in a wide band is exact (and needs no second look at each row) only with
# more memory than PostgreSQL's default 4 MB; this is for the one search transaction.
BAND_WORK_MEM = '16MB'
DOCUMENT = sa.literal_column('watches.search_document')
_VOCABULARY = sa.table('search_vocabulary', sa.column('word'))
_REFRESH = (
    'DELETE FROM search_vocabulary',
    'INSERT INTO search_vocabulary SELECT DISTINCT word FROM watches, '
    "unnest(search_identity(brand, model, calibre)) AS word WHERE word <> '' AND deleted_at IS NULL",
)


class PostgresBackend(SqlBackend):
    """A tsvector and GIN in the watches table itself."""

    name = 'postgres'
    # A relevance class's page is first looked for among this many newest watches (see `newest`).
    window = 5_000
    # A page sorted by price is first looked for among this many watches in price order (see `_by_price`).
    price_walk = 2_000

    def words(self, query: Query, *, names_only: bool = False) -> sa.Select:
        return select(Watch.id).where(_matches(query.terms, names_only=names_only))

    def newest(self, session: Session, arm: sa.Select, reach: int, *, gather: bool) -> list[int]:
        """A class's page from the newest `window` watches when they hold it; else from all of its matches.

        The planner takes the words of a query as independent: "omega seamaster" looks rare to it (Seamasters
        are all Omegas), so it sorts every match, and "omega s" looks common, so it walks the whole table newest
        first looking for one. Within the newest few thousand ids either way is bounded. Only a class with
        fewer matches than the page there needs the rest, and such a class is rare, so its matches are gathered
        and sorted (`id + 0` keeps the planner from walking the table).
        """
        if gather:
            return super().newest(session, arm, reach, gather=True)
        column = arm.selected_columns[0]
        start = session.execute(select(func.max(Watch.id))).scalar_one_or_none()
        if start is not None:
            recent = arm.where(column > start - self.window).order_by(column.desc()).limit(reach)
            if len(found := list(session.execute(recent).scalars())) == reach:
                return found
        return super().newest(session, arm, reach, gather=True)

    def in_order(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest
    ) -> tuple[list[int], int, bool]:
        """Sorted by price, the page comes first: reading it often counts past the cap of totals."""
        if request.sort != 'asking_price':
            return super().in_order(session, actor, query, filters, request)
        ids, counted = self._by_price(session, actor, query, filters, request)
        if counted > (cap := max(TOTAL_CAP, request.offset + request.limit)):
            return ids, cap, True
        return ids, *self._total(session, actor, query, filters, request, len(ids))

    def _by_price(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest
    ) -> tuple[list[int], int]:
        """The page sorted by price, and how many matches the bands it was read from hold (0 when no band was
        read): from the first watches in price order if they hold the page, else band of prices by band.

        The words people search for cluster in price: cheap watches are rarely Rolex and never Submariners. So
        the list's own plan, reading the price index from the cheapest up and checking each watch's words,
        reads hundreds of thousands of watches for the first 50 Submariners, and reading every match to sort
        them reads tens of thousands. The first `price_walk` watches in price order are checked first, which
        is all a word common at that end needs. Otherwise, within a band of prices the matches are where the
        words' index and the price index (`ix_search_watches_asking_price`) intersect, so only they are read,
        and all of them, so counting them costs nothing more. Bands follow each other in the sort's direction
        until the page is full.
        """
        price, reach = Watch.asking_price, request.offset + request.limit
        ordered = self.ordered(session, actor, query, filters, request, many=True)
        found = list(session.execute(_among_first(ordered, request, self.price_walk).limit(reach)).scalars())
        if len(found) == reach:
            return found[request.offset :], 0
        order = (price + 0, Watch.id)  # `+ 0`: matches are gathered and sorted, not read in the price index's order
        gathered = ordered.order_by(None).order_by(*(_directed(column, request) for column in order))
        gathered = gathered.add_columns(func.count().over())
        session.execute(sa.text(f"SET LOCAL work_mem = '{BAND_WORK_MEM}'"))
        found, counted = [], 0
        for band in _bands(session, request):
            rows = session.execute(gathered.where(band).limit(reach - len(found))).all()
            found += [watch_id for watch_id, _ in rows]
            counted += rows[0][1] if rows else 0
            if len(found) == reach:
                break
        return found[request.offset :], counted

    def known(self, session: Session, terms: Sequence[Term]) -> bool:
        found = select(sa.literal(1)).select_from(Watch).where(Watch.deleted_at.is_(None), _matches(terms))
        return session.execute(found.limit(1)).first() is not None

    def candidates(self, session: Session, term: Term) -> list[str]:
        """The identity words that start with the same letter (a typo in the first letter is rare)."""
        first = term.parts[0][0]
        word = _VOCABULARY.c.word
        return list(session.execute(select(word).where(word >= first, word < chr(ord(first) + 1))).scalars())

    def matching_query(self, actor: Actor, query: Query) -> sa.ColumnElement[bool]:
        """The words or an identity of the row itself, which the planner can answer with one bitmap of indexes."""
        if query.empty:
            return sa.false()
        return or_(_matches(query.terms), *identity_terms(actor, query))

    def rebuild(self, session: Session, progress: Progress | None = None) -> int:
        """The documents are generated with each row and never stale; the vocabulary is gathered afresh."""
        total = session.exec(select(func.count()).select_from(Watch).where(Watch.deleted_at.is_(None))).one()
        if progress:
            progress(0, total)
        for statement in _REFRESH:
            session.execute(sa.text(statement))
        if progress:
            progress(total, total)
        return total


def _among_first(ordered: sa.Select, request: SearchRequest, rows: int) -> sa.Select:
    """`ordered` (by price) among the first `rows` live watches in the price range, in price order: read from
    the price index alone, then looked up one by one."""
    wanted = request.filters
    price_range = WatchFilter(price_min=wanted.price_min, price_max=wanted.price_max)
    first = (
        select(Watch.id)
        .where(Watch.deleted_at.is_(None), *conditions(price_range))
        .order_by(*(_directed(column, request) for column in (Watch.asking_price, Watch.id)))
        .limit(rows)
        .subquery()
    )
    return ordered.join(first, first.c.id == Watch.id)


def _directed(column: sa.ColumnElement, request: SearchRequest) -> sa.ColumnElement:
    return column.desc() if request.descending else column.asc()


def _bands(session: Session, request: SearchRequest) -> list[sa.ColumnElement[bool]]:
    """Bands of asking prices in the sort's direction that together hold every watch: each ends where, by the
    planner's statistics, `BAND_SHARES` of the priced watches in the filter's range come before it; the last
    band holds the rest. Unpriced watches sort first when descending (they join the first band) and last
    otherwise (a band of their own)."""
    price = Watch.asking_price
    after, upto = (operator.lt, operator.ge) if request.descending else (operator.gt, operator.le)
    edges = _price_edges(session, request.filters, request.descending)
    bands = [
        and_(sa.true() if start is None else after(price, start), sa.true() if end is None else upto(price, end))
        for start, end in zip([None, *edges], [*edges, None], strict=True)
    ]
    return [or_(price.is_(None), bands[0]), *bands[1:]] if request.descending else [*bands, price.is_(None)]


def _price_edges(session: Session, wanted: WatchFilter, descending: bool) -> list[Decimal]:
    """The prices where the bands end, from the column's statistics: its most common prices with their shares
    of the table, and a histogram of the rest that splits them into equal shares (at each upper bound)."""
    stats = session.execute(_PRICE_STATISTICS).first()
    if stats is None:
        return []
    null_share, common, common_shares, bounds = stats
    shares: Counter[Decimal] = Counter()
    for value, share in zip(_decimals(common), common_shares or [], strict=True):
        shares[value] += share
    histogram = _decimals(bounds)
    for value in histogram[1:]:
        shares[value] += (1 - null_share - sum(common_shares or [])) / (len(histogram) - 1)
    low, high = wanted.price_min, wanted.price_max
    in_range = [value for value in shares if (low is None or value >= low) and (high is None or value <= high)]
    values = sorted(in_range, reverse=descending)
    total, seen, edges = sum(shares[value] for value in values), 0.0, []
    targets = iter(BAND_SHARES)
    target = next(targets)
    for value in values:
        seen += shares[value]
        if seen >= target * total:
            edges.append(value)
            if (target := next(targets, None)) is None:
                break
    return edges


def _decimals(array: str | None) -> list[Decimal]:
    """A numeric array as pg_stats shows it ("{1000.00,1250.00}")."""
    return [Decimal(value) for value in array.strip('{}').split(',')] if array else []


def _matches(terms: Sequence[Term], *, names_only: bool = False) -> sa.ColumnElement[bool]:
    return DOCUMENT.op('@@')(_tsquery(terms, names_only=names_only))


def _tsquery(terms: Sequence[Term], *, names_only: bool = False) -> sa.ColumnElement:
    """Every term ANDed; a term's parts as a phrase; with `names_only`, found in weight A (the name) only.
    The parts are letters and digits only, so quoting each one is all the escaping tsquery syntax needs."""
    weight = 'A' if names_only else ''

    def phrase(term: Term) -> str:
        last = len(term.parts) - 1
        return ' <-> '.join(_lexeme(part, term.prefix and n == last, weight) for n, part in enumerate(term.parts))

    return func.to_tsquery(sa.literal_column("'simple'"), ' & '.join(phrase(term) for term in terms))


def _lexeme(part: str, prefix: bool, weight: str) -> str:
    label = ('*' if prefix else '') + weight
    return f"'{part}':{label}" if label else f"'{part}'"
