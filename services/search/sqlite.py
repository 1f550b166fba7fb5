"""Search on SQLite with FTS5: the embedded default, with nothing to install or run.

`search_fts` indexes the SKU, brand, model, reference (as typed and normalised), calibre, description and
notes of every live watch, with prefix indexes for two to four characters so search-as-you-type stays fast;
`search_vocab` lists its words, which typo correction picks from. Both read their text from the view of live
watches and are kept by the triggers of migration 0004 (`search_trigram`, for model substrings, too). Since
the index holds nothing a manager may not see, a search without filters by someone who sees every watch is
answered by the index alone, in its own rowid order, without reading a row of `watches`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session, func, select

from db.inventory import Watch
from services.permissions import Actor
from services.search.base import Progress, SearchRequest
from services.search.query import Query, Term
from services.search.sql import Filters, SqlBackend

FTS = 'search_fts'
TRIGRAM = 'search_trigram'
# The columns of a watch's name, which the second relevance class asks for.
NAME_COLUMNS = ('sku', 'brand', 'model', 'reference', 'reference_norm')
# Typo correction picks from the words of these columns: the names people search by.
IDENTITY_COLUMNS = ('brand', 'model', 'calibre')

# The sorts an index of `watches` lists in order: by its column alone, or by its column and then the id.
_INDEXED_SORTS = frozenset(
    columns[0].name
    for columns in (index.columns for index in Watch.__table__.indexes)
    if len(columns) == 1 or columns[1].name == 'id'
)
_MATCH = sa.literal_column(FTS)
_ROWID = sa.literal_column(f'{FTS}.rowid')
_VOCAB = sa.table('search_vocab', sa.column('term'), sa.column('col'))


class SqliteBackend(SqlBackend):
    """FTS5 tables inside the SQLite file, holding the live watches only."""

    name = 'sqlite'

    def words(self, query: Query, *, names_only: bool = False) -> sa.Select:
        text = expression(query.terms)
        if names_only:
            text = f'{{{" ".join(NAME_COLUMNS)}}}: ({text})'
        return select(_ROWID.label('id')).select_from(sa.table(FTS)).where(_MATCH.op('MATCH')(text))

    def narrowed(self, found: sa.Select, actor: Actor, filters: Filters) -> sa.Select:
        """The index alone when there is nothing to narrow; else each match's row, in the index's order."""
        if not filters and actor.sees_all_watches:
            return found
        return super().narrowed(found.join(Watch, Watch.id == _ROWID), actor, filters)

    def identified(self, identity: sa.ColumnElement[bool], actor: Actor, filters: Filters) -> sa.Select:
        """The identity's few watches looked up first and narrowed after, so no filter's index can lead the
        planner (which has no statistics on values) to read every row for a SKU that matches none."""
        return super().identified(Watch.id.in_(select(Watch.id).where(identity)), actor, filters)

    def known(self, session: Session, terms: Sequence[Term]) -> bool:
        found = select(sa.literal(1)).select_from(sa.table(FTS)).where(_MATCH.op('MATCH')(expression(terms)))
        return session.execute(found.limit(1)).first() is not None

    def candidates(self, session: Session, term: Term) -> list[str]:
        """The identity words that start with the same letter (a typo in the first letter is rare)."""
        first = term.parts[0][0]
        query = (
            select(_VOCAB.c.term)
            .distinct()
            .where(_VOCAB.c.term >= first, _VOCAB.c.term < chr(ord(first) + 1), _VOCAB.c.col.in_(IDENTITY_COLUMNS))
        )
        return list(session.execute(query).scalars())

    def ordered(
        self, session: Session, actor: Actor, query: Query, filters: Filters, request: SearchRequest, many: bool
    ) -> sa.Select:
        """Matches are looked up one by one and sorted, unless `many` pass the filters and an index holds the
        watches in the sort's order: then the page is read from that index, checking each row, and stops when
        it is full.

        SQLite cannot tell the two apart (it has no statistics on how many rows a MATCH returns, or on values):
        it looks every match up, or walks a filter's index (a price range's, say), which at a million watches
        costs ten times more. `id + 0` keeps it from driving by the matches, and a unary plus on each filter's
        columns keeps it off their indexes, so the sort's index is the one left to read.
        """
        if not many or request.sort not in _INDEXED_SORTS:
            return super().ordered(session, actor, query, filters, request, many)
        member = (Watch.id + 0).in_(self.union(actor, query))
        return self.in_list_order(session, actor, [_unindexed(term) for term in filters], request, member)

    def rebuild(self, session: Session, progress: Progress | None = None) -> int:
        """Rebuild both FTS5 tables from the live watches (FTS5's own 'rebuild'; one statement each)."""
        total = session.exec(select(func.count()).select_from(Watch).where(Watch.deleted_at.is_(None))).one()
        for done, table in enumerate((FTS, TRIGRAM)):
            if progress:
                progress(done * total // 2, total)
            session.execute(sa.text(f"INSERT INTO {table}({table}) VALUES('rebuild')"))
        if progress:
            progress(total, total)
        return total


def _unindexed(term: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The term with `+` before each column of `watches`: the same test, which SQLite answers row by row
    instead of from an index on the column."""

    def plus(element: Any) -> Any:
        if isinstance(element, sa.Column) and element.table is Watch.__table__:
            return UnaryExpression(element, operator=operators.custom_op('+'), type_=element.type)
        return None

    return visitors.replacement_traverse(term, {}, plus)


def expression(terms: Sequence[Term]) -> str:
    """An FTS5 query in which every term is a quoted phrase (so no user character is FTS5 syntax), ANDed."""
    return ' '.join(f'"{" ".join(term.parts)}"' + ('*' if term.prefix else '') for term in terms)
