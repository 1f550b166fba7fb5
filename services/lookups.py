"""What stands behind the ids on a page of rows (names, SKUs, whole rows), read with one query per table.

A page of 200 rows linking to people, watches and batches costs three queries this way, not 600.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


def names(session: Session, key: Any, name: Any, ids: Iterable[int | None]) -> dict[int, str]:
    """`name` by `key` (e.g. `User.name` by `User.id`) for the ids given; None among them is skipped."""
    wanted = {value for value in ids if value is not None}
    return dict(session.execute(sa.select(key, name).where(key.in_(wanted))).all()) if wanted else {}


def by_id(session: Session, table: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    """The rows of `table` with the ids given, by id; None among them is skipped."""
    wanted = {value for value in ids if value is not None}
    return {row.id: row for row in session.scalars(sa.select(table).where(table.id.in_(wanted)))} if wanted else {}
