"""The search index's own objects, which migration 0004 writes as raw DDL.

FTS5 virtual tables and a view of live watches (SQLite), a generated tsvector column on `watches` and a
vocabulary table (PostgreSQL), with their triggers, functions and indexes, differ by database and have no
place in the models, so comparing the schema with the models must skip them: every table, view and column
is named `search_*`, every index `ix_search_*`.
"""

from __future__ import annotations

from typing import Any

PREFIXES = ('search_', 'ix_search_')


def include_object(_object: Any, name: str | None, _type: str, _reflected: bool, _compare_to: Any) -> bool:
    """Alembic's filter: False for the search index's objects, True for everything the models describe."""
    return not (name or '').startswith(PREFIXES)
