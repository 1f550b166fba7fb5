"""One finance report table on screen: server-paged from the rows the service computed, with CSV and XLSX buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from nicegui import ui

from components import theme
from components.memory_pages import SORT, MemoryPages
from components.paged_table import PagedTable
from services.report_export import Column, Table

Download = Callable[[str, str], Awaitable[None]]  # (table key, 'csv' | 'xlsx')


class ReportTable:
    """A card with the table's title, its download buttons and the table; `show` puts a (new) table in it.

    `slot` names the place for tests (`table-<slot>`, `download-<slot>-csv`); the table shown there may change
    (months or quarters, one dimension or another) and downloads are of the one shown.
    """

    def __init__(self, slot: str, title: str, *, download: Download | None = None, per_page: int = 12) -> None:
        self.key = slot
        self.pages = MemoryPages()
        with ui.card().classes(theme.CARD).mark(f'report-{slot}'):
            with ui.row().classes('w-full items-center justify-between gap-2'):
                self.title = ui.label(title).classes(theme.CARD_TITLE)
                if download:
                    with ui.row().classes('gap-1'):
                        for fmt in ('csv', 'xlsx'):
                            button = ui.button(
                                fmt.upper(), icon='download', on_click=lambda f=fmt: download(self.key, f)
                            )
                            button.props('flat dense no-caps size=sm').mark(f'download-{slot}-{fmt}')
            self.table = PagedTable([], self.pages.loader, sort_by='', descending=False, per_page=per_page,
                                    no_data='Nothing in this period.')  # fmt: skip
            self.table.table.props('dense').mark(f'table-{slot}')  # twelve columns fit 1280 px only dense

    async def show(self, table: Table) -> None:
        self.key = table.key
        self.title.text = table.title
        self.table.table.columns = [_column(column, first=index == 0) for index, column in enumerate(table.columns)]
        self.pages.rows = [_row(table.columns, values) for values in table.values()]
        await self.table.first_page()


def _column(column: Column, *, first: bool) -> dict[str, Any]:
    return {'name': column.key, 'label': column.heading, 'field': column.key, 'sortable': True,
            'align': 'left' if column.kind == 'text' else 'right',
            'classes': 'font-medium' if first else 'tabular-nums whitespace-nowrap'}  # fmt: skip


def _row(columns: list[Column], values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {'id': str(values[0])}
    exact: dict[str, Any] = {}
    for column, value in zip(columns, values, strict=True):
        row[column.key] = _text(column, value)
        exact[column.key] = value
    row[SORT] = exact
    return row


def _text(column: Column, value: Any) -> str:
    if value is None:
        return '—'
    if column.kind == 'money':
        return f'{value:,.2f}'
    if column.kind == 'percent':
        return f'{value} %'
    if column.kind == 'count':
        return f'{value:,}'
    return str(value)


def chart_value(value: Decimal | None) -> str | None:
    """Money for a chart: exact decimal text (ECharts reads numeric strings), never a float."""
    return None if value is None else str(value)
