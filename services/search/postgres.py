"""Search on PostgreSQL: full-text search with a GIN index on the watches themselves.

`watches.search_document` is a generated tsvector ('simple' configuration: no stemming and no stop words, which
suits brands and references; weight A for SKU, brand, model and reference, B for calibre, description and
notes) under a GIN index of live watches. Text, scope, filters and sort are conditions on the same row, so the
planner weighs them together: an index scan in the sort's order that checks each row's words for a common
word, the GIN index for a rare one, with no join to misjudge. `search_vocabulary` lists the identity words
(brand, model, calibre) that typo correction picks from. Migration 0004 made all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, func, or_, select

from db.inventory import Watch
from services.permissions import Actor
from services.search.base import Progress
from services.search.query import Query, Term
from services.search.sql import SqlBackend, identity_terms

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

    def words(self, query: Query, *, names_only: bool = False) -> sa.Select:
        return select(Watch.id).where(_matches(query.terms, names_only=names_only))

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
