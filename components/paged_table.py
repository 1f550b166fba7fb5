"""A `ui.table` in QTable's server-side mode: the browser asks for one page, the server answers with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

# (offset, limit, sort column, descending) -> (total, rows)
Loader = Callable[[int, int, str, bool], Awaitable[tuple[int, list[dict[str, Any]]]]]


class PagedTable:
    """Holds only the visible page; sorting and paging round-trip to the loader."""

    def __init__(
        self,
        columns: list[dict],
        loader: Loader,
        *,
        sort_by: str,
        descending: bool = True,
        per_page: int = 25,
        page: int = 1,
        no_data: str = 'Nothing here yet.',
        selection: Literal['single', 'multiple'] | None = None,
        on_loaded: Callable[[dict], object] | None = None,
    ) -> None:
        """`on_loaded` hears the pagination after each page arrives (a screen that remembers where it was)."""
        self.loader = loader
        self.on_loaded = on_loaded
        self.total = 0
        self.asked: dict[str, Any] = {}  # the pagination of the latest load, which wins over any still running
        self.loads = 0
        self.table = ui.table(
            columns=columns,
            rows=[],
            row_key='id',
            selection=selection,
            pagination={
                'page': page,
                'rowsPerPage': per_page,
                'rowsNumber': 0,
                'sortBy': sort_by,
                'descending': descending,
            },
        ).classes('w-full')
        self.table.props['rows-per-page-options'] = [10, 25, 50, 100]
        self.table.props['no-data-label'] = no_data
        self.table.props('flat bordered')
        self.table.on('request', lambda e: self.load(e.args['pagination']))
        self.table.on_pagination_change(self._keep_total)

    async def load(self, pagination: dict | None = None) -> None:
        """Fetch the page the browser asked for (or the current one) and echo the pagination back.

        Loads may overlap (a click on the next page while a live update reloads this one): the one asked last
        wins, and an older answer arriving after it is dropped.
        """
        wanted = {**self.table.pagination, **self.asked, **(pagination or {})}
        self.asked = wanted
        self.loads += 1
        mine = self.loads
        per_page = int(wanted.get('rowsPerPage') or 25)
        offset = (int(wanted.get('page') or 1) - 1) * per_page
        self.table.props('loading')
        try:
            sort, descending = wanted.get('sortBy') or '', bool(wanted.get('descending'))
            total, rows = await self.loader(offset, per_page, sort, descending)
        finally:
            if mine == self.loads:
                self.table.props(remove='loading')
        if mine != self.loads:
            return
        self.total = total
        self.table.rows = rows
        self.table.pagination = {**wanted, 'rowsNumber': self.total}
        if self.on_loaded:
            self.on_loaded(self.table.pagination)

    async def first_page(self) -> None:
        await self.load({'page': 1})

    def show_total_as(self, text: str | None) -> None:
        """Word the "1-25 of N" line with `text` for N (say "1,000+" for a capped count); None restores the number."""
        if text is None:
            self.table.props.pop(':pagination-label', None)
        else:
            self.table.props[':pagination-label'] = f'(first, last) => `${{first}}-${{last}} of {text}`'
        self.table.update()

    def _keep_total(self, event: ValueChangeEventArguments) -> None:
        """QTable reports its pagination when it mounts, possibly from before the first page arrived: the total is
        the server's, so a stale count (shown as "1-0 of 0" above real rows) is put right again."""
        if event.value.get('rowsNumber') != self.total:
            self.table.pagination = {**event.value, 'rowsNumber': self.total}
