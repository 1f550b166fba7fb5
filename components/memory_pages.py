"""A `PagedTable` loader over rows the server has already computed (a report's groups, a watch's bookings).

The browser still receives one page at a time; sorting and slicing happen here, on the held rows, so a table
of a few hundred brands costs one computation, not one per page. A row may carry exact sort values (Decimal
money, which the browser never sees) under `SORT`, by column name.
"""

from __future__ import annotations

from typing import Any

from components.paged_table import Loader

SORT = '_sort'


class MemoryPages:
    """Holds the rows of one table; `loader` answers the table's page requests from them."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    @property
    def loader(self) -> Loader:
        async def load(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict[str, Any]]]:
            rows = self.rows
            if sort:
                rows = sorted(rows, key=lambda row: _sort_key(row, sort), reverse=descending)
            return len(rows), [_shown(row) for row in rows[offset : offset + limit]]

        return load


def _sort_key(row: dict[str, Any], column: str) -> tuple[bool, Any]:
    """By the exact value when there is one, else the shown one; empty values last."""
    value = row.get(SORT, {}).get(column, row.get(column))
    return (value is None, value if value is not None else 0)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != SORT}
