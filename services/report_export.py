"""Finance report tables as data, CSV and XLSX: what the reports screen shows, downloads and the monthly job stores.

A `Table` is plain data (stored as JSON in `finance_reports.data`, money as exact decimal text), so a report
produced months ago opens and downloads as it stood. In XLSX every figure is a number with a format (money in
the base currency, counts, percentages), never text, so a spreadsheet can add it up; each table is a sheet.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import BaseModel
from sqlmodel import Session

from config import get_settings
from db.engine import session_scope
from services import reports, spreadsheets
from services.errors import ValidationFailed
from services.permissions import Actor, Permission, require
from services.reports import PnlRow, StockRow
from services.validation import validated

Kind = Literal['text', 'money', 'count', 'percent']
Format = Literal['csv', 'xlsx']
MEDIA_TYPES = {'csv': 'text/csv', 'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}
_SHEET_NAME = re.compile(r'[\[\]:*?/\\]')


class Column(BaseModel):
    key: str
    heading: str
    kind: Kind = 'text'


class Table(BaseModel):
    """One table of a report: its columns and its rows (values by column key)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]

    def values(self) -> list[list[Any]]:
        """The rows as lists in column order, money as Decimal (stored reports hold it as text)."""
        return [[_value(column, row.get(column.key)) for column in self.columns] for row in self.rows]


# --- building the tables ----------------------------------------------------------------------------------------


def pnl_table(key: str, title: str, heading: str, rows: list[PnlRow]) -> Table:
    """Revenue, each cost category, total costs, profit, margin and watches sold per row of a P/L."""
    columns = [
        Column(key='label', heading=heading),
        Column(key='revenue', heading='Revenue', kind='money'),
        *(Column(key=name, heading=label, kind='money') for name, label in reports.cost_headings()),
        Column(key='total_costs', heading='Total costs', kind='money'),
        Column(key='gross_profit', heading='Gross profit', kind='money'),
        Column(key='margin', heading='Margin %', kind='percent'),
        Column(key='sold', heading='Watches sold', kind='count'),
    ]
    flat = [{**row.model_dump(exclude={'costs'}), **row.costs} for row in rows]
    return Table(key=key, title=title, columns=columns, rows=flat)


def stock_table(key: str, title: str, heading: str, rows: list[StockRow]) -> Table:
    columns = [Column(key='label', heading=heading), Column(key='count', heading='Watches', kind='count'),
               Column(key='value', heading='Value at cost', kind='money')]  # fmt: skip
    return Table(key=key, title=title, columns=columns, rows=[row.model_dump() for row in rows])


TABLE_KEYS = ('months', 'quarters', *(f'by-{name}' for name in reports.DIMENSIONS), 'stock-stage',
              'stock-location', 'aged')  # fmt: skip


def build_table(session: Session, period: reports.Period, key: str) -> Table:
    """One of the report's tables (`TABLE_KEYS`) for the period; stock tables show the stock of today."""
    if key in ('months', 'quarters'):
        grain = 'month' if key == 'months' else 'quarter'
        title = 'Profit and loss by month' if key == 'months' else 'Profit and loss by quarter'
        return pnl_table(key, title, grain.title(), reports.over_time(session, period, grain))
    if key.startswith('by-') and (dimension := key[3:]) in reports.DIMENSIONS:
        label = reports.DIMENSIONS[dimension]
        return pnl_table(
            key, f'Profit and loss by {label.lower()}', label, reports.by_dimension(session, period, dimension)
        )
    if key in ('stock-stage', 'stock-location'):
        by = key.removeprefix('stock-')
        return stock_table(key, f'Stock value by {by}', by.title(), reports.stock_by(session, by))
    if key == 'aged':
        return stock_table(key, 'Aged stock', 'Days in stock', reports.ages(session, date.today()))
    raise ValidationFailed(f'"{key}" is not a table of the finance reports.', {'table': 'Unknown table.'})


def tables(actor: Actor, period: reports.Period | dict[str, Any], keys: list[str]) -> list[Table]:
    """Several of the report's tables for the period, read in one unit of work (what the reports screen shows)."""
    require(actor, Permission.REPORTS_VIEW)
    wanted = validated(reports.Period, period)
    with session_scope() as session:
        return [build_table(session, wanted, key) for key in keys]


def export_table(actor: Actor, period: reports.Period | dict[str, Any], key: str, fmt: Format) -> tuple[str, bytes]:
    """One table of the reports screen as a file: (file name, bytes)."""
    require(actor, Permission.REPORTS_VIEW)
    wanted = validated(reports.Period, period)
    check_format(fmt)
    with session_scope() as session:
        table = build_table(session, wanted, key)
    name = f'{key}-{wanted.start.isoformat()}-{wanted.end.isoformat()}.{fmt}'
    return name, write(fmt, [table])


def write(fmt: Format, tables: list[Table]) -> bytes:
    """CSV holds one table (the first); XLSX holds a sheet per table."""
    if fmt == 'csv':
        table = tables[0]
        return spreadsheets.write_table('csv', [column.heading for column in table.columns], table.values())[0]
    return _xlsx(tables)


# --- XLSX -------------------------------------------------------------------------------------------------------


def _xlsx(tables: list[Table]) -> bytes:
    currency = get_settings().base_currency
    formats = {'money': f'#,##0.00 "{currency}";-#,##0.00 "{currency}"', 'count': '#,##0', 'percent': '0.00"%"'}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_name(table.title, workbook.sheetnames))
        sheet.append([column.heading for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in table.values():
            sheet.append(values)
        for index, column in enumerate(table.columns, 1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = 24 if index == 1 else 16
            if column.kind in formats:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = formats[column.kind]
        sheet.freeze_panes = 'B2'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, taken: list[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet's name, and no two sheets of one name."""
    name = _SHEET_NAME.sub(' ', title)[:31]
    number = 2
    while name in taken:
        name = f'{name[:28]} {number}'
        number += 1
    return name


def _value(column: Column, value: Any) -> Any:
    if value is None or column.kind in ('text', 'count'):
        return value
    return Decimal(str(value))


def check_format(fmt: str) -> None:
    if fmt not in MEDIA_TYPES:
        raise ValidationFailed(f'Reports download as csv or xlsx, not "{fmt}".', {'format': 'Unknown format.'})
