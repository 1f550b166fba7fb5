"""Reading payout and bank statements: a CSV or XLSX file, read through a column mapping, into checked lines.

A statement is taken whole or not at all: one row that cannot be read (a date in another format, an amount with
letters in it, an unknown currency) refuses the file, naming the first rows at fault by line number, so the ledger
is never reconciled against half a statement. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zipfile import BadZipFile

from openpyxl import load_workbook
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.errors import ValidationFailed
from services.money import CENT, check_currency

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
MAX_LISTED = 10  # broken rows named in a refusal; the rest are counted
HEADER_SEARCH = 20  # rows above the column names a bank may put its own heading in
REFERENCE_MAX = 120
TEXT_MAX = 500
ROLES = ('date', 'amount', 'currency', 'reference', 'text')
REQUIRED_ROLES = ('date', 'amount', 'reference')
DATE_FORMATS = {
    '%Y-%m-%d': '2026-03-31',
    '%d.%m.%Y': '31.03.2026',
    '%d/%m/%Y': '31/03/2026',
    '%m/%d/%Y': '03/31/2026',
    '%d-%m-%Y': '31-03-2026',
    '%Y%m%d': '20260331',
    '%d.%m.%y': '31.03.26',
}
_XLSX_MAGIC = b'PK\x03\x04'
_SPACES = re.compile(r"[\s'\u00a0\u202f]")  # thousands may be grouped by spaces, no-break spaces or apostrophes
_MINUS = str.maketrans({'\u2212': '-', '\u2013': '-'})
Cell = str | int | float | date | None


# --- mappings ----------------------------------------------------------------------------------------------------


class MappingCreate(BaseModel):
    """Which column holds what, and how dates and amounts are written; `sample_date` is a date as the file writes
    it, checked against `date_format` so a wrong format is caught before the first import rather than by it."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=80)
    date_column: str = Field(min_length=1, max_length=80)
    amount_column: str = Field(min_length=1, max_length=80)
    reference_column: str = Field(min_length=1, max_length=80)
    currency_column: str | None = Field(default=None, max_length=80)
    text_column: str | None = Field(default=None, max_length=80)
    date_format: str = Field(default='%Y-%m-%d', min_length=2, max_length=40)
    decimal_separator: Literal['.', ','] = '.'
    default_currency: str | None = None
    sample_date: str | None = Field(default=None, max_length=40)

    @field_validator('currency_column', 'text_column', 'default_currency', 'sample_date')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator('default_currency')
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)

    @field_validator('date_format')
    @classmethod
    def _date_format(cls, value: str) -> str:
        """A format that writes and reads back a day, month and year (so '%H:%M' or 'DD.MM' are refused)."""
        probe = date(2026, 12, 31)
        try:
            ok = datetime.strptime(probe.strftime(value), value).date() == probe
        except ValueError:
            ok = False
        if not ok:
            raise ValueError('use a date format with day, month and year, such as %d.%m.%Y for 31.12.2026')
        return value

    @model_validator(mode='after')
    def _consistent(self) -> MappingCreate:
        if self.currency_column is None and self.default_currency is None:
            raise ValidationFailed(
                'Name the currency column, or give a default currency for files without one.',
                {'default_currency': 'Give a currency column or a default currency.'},
            )
        columns = [name.casefold() for name in self.columns.values()]
        if len(set(columns)) != len(columns):
            raise ValidationFailed(
                'Each column can fill one role only.', {'reference_column': 'This column is already used above.'}
            )
        if self.sample_date is not None and _strict_date(self.sample_date, self.date_format) is None:
            raise ValidationFailed(
                f'The sample date "{self.sample_date}" does not match the date format {self.date_format}.',
                {'sample_date': f'Not a date written as {example(self.date_format)}.'},
            )
        return self

    @property
    def columns(self) -> dict[str, str]:
        """The role -> column name map the mapping row stores (roles left out are not read)."""
        given = {role: getattr(self, f'{role}_column') for role in ROLES}
        return {role: name for role, name in given.items() if name}


@dataclass(frozen=True)
class Mapping:
    """A mapping as the reader needs it (a stored row or the built-in one)."""

    name: str
    columns: dict[str, str]
    date_format: str
    decimal_separator: str
    default_currency: str | None


GENERIC = Mapping(
    name='Generic bank export',
    columns={'date': 'Date', 'amount': 'Amount', 'currency': 'Currency', 'reference': 'Reference', 'text': 'Text'},
    date_format='%Y-%m-%d',
    decimal_separator='.',
    default_currency=None,
)


def example(date_format: str) -> str:
    """How 31 March 2026 looks in this format: what a person recognises better than '%d.%m.%Y'."""
    return DATE_FORMATS.get(date_format) or date(2026, 3, 31).strftime(date_format)


# --- reading -----------------------------------------------------------------------------------------------------


class ParsedLine(BaseModel):
    """A line of a statement as read from its file; what is stored of it, and the start of what a screen reads."""

    line_no: int
    value_date: date
    amount: Decimal
    currency: str
    reference: str | None
    description: str | None


class BrokenRows(ValidationFailed):
    """The file was refused for its rows; `rows` are (line number, why) for the first ones, `total` all of them."""

    def __init__(self, rows: list[tuple[int, str]], total: int) -> None:
        more = f' and {total - len(rows):,} more' if total > len(rows) else ''
        noun = 'row' if total == 1 else 'rows'
        listed = '; '.join(f'line {number}: {why}' for number, why in rows)
        super().__init__(f'{total:,} {noun} of the file cannot be read, so nothing was imported: {listed}{more}.')
        self.rows = rows
        self.total = total


def read_statement(content: bytes, mapping: Mapping) -> list[ParsedLine]:
    """Every non-blank row below the column names as a checked line, or a refusal naming what is wrong."""
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f'The file is {len(content) / 1024 / 1024:.1f} MB; a statement may be at most {MAX_BYTES // 1024 // 1024} '
            'MB. Split it, by month for instance.'
        )
    rows = _xlsx_rows(content) if content.startswith(_XLSX_MAGIC) else _csv_rows(content)
    header_no, positions = _header(rows, mapping)
    parsed: list[ParsedLine] = []
    broken: list[tuple[int, str]] = []
    for number, row in rows:
        if number <= header_no or all(cell in (None, '') for cell in row):
            continue
        if len(parsed) + len(broken) >= MAX_LINES:
            raise ValidationFailed(f'The file has more than {MAX_LINES:,} lines; import at most that many at a time.')
        try:
            parsed.append(_line(number, {role: _cell(row, index) for role, index in positions.items()}, mapping))
        except ValueError as why:
            broken.append((number, str(why)))
    if broken:
        raise BrokenRows(broken[:MAX_LISTED], len(broken))
    if not parsed:
        raise ValidationFailed('The file has no lines below its column names.')
    return parsed


def reference_key(reference: str | None) -> str:
    """What references are compared by: case and spaces do not count ("cw 123-a" is "CW123-A")."""
    return ''.join((reference or '').split()).casefold()


def _header(rows: list[tuple[int, list[Cell]]], mapping: Mapping) -> tuple[int, dict[str, int]]:
    """The line number of the column names and the position of each mapped column in it."""
    wanted = {role: name.strip().casefold() for role, name in mapping.columns.items()}
    needed = [name for role, name in wanted.items() if role != 'text']  # a file may leave the text out
    for number, row in rows[:HEADER_SEARCH]:
        names = [str(cell).strip().casefold() if cell is not None else '' for cell in row]
        if all(name in names for name in needed):
            return number, {role: names.index(name) for role, name in wanted.items() if name in names}
    named = ', '.join(name for role, name in mapping.columns.items() if role != 'text')
    first = next((row for _, row in rows if any(cell not in (None, '') for cell in row)), [])
    found = ', '.join(str(cell) for cell in first if cell not in (None, '')) or 'none'
    raise ValidationFailed(
        f'The file does not have the columns the mapping "{mapping.name}" reads ({named}); its first row has: '
        f'{found[:300]}. Choose another mapping or create one for this file.'
    )


def _line(number: int, cells: dict[str, Cell], mapping: Mapping) -> ParsedLine:
    reference = ' '.join(str(cells.get('reference') or '').split()) or None
    if reference is None and cells.get('amount') in (None, ''):
        raise ValueError('it has neither a reference nor an amount')
    if reference is not None and len(reference) > REFERENCE_MAX:
        raise ValueError(f'the reference is longer than {REFERENCE_MAX} characters')
    text = ' '.join(str(cells.get('text') or '').split())
    return ParsedLine(
        line_no=number,
        value_date=_date(cells.get('date'), mapping.date_format),
        amount=_amount(cells.get('amount'), mapping.decimal_separator),
        currency=_currency(cells.get('currency'), mapping.default_currency),
        reference=reference,
        description=(text[: TEXT_MAX - 1] + '…' if len(text) > TEXT_MAX else text) or None,
    )


def _date(cell: Cell, date_format: str) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell or '').strip()
    if not text:
        raise ValueError('the date is empty')
    found = _strict_date(text, date_format)
    if found is None:
        raise ValueError(f'"{text}" is not a date written as {example(date_format)}')
    return found


def _strict_date(text: str, date_format: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), date_format).date()
    except ValueError:
        return None


def _amount(cell: Cell, separator: str) -> Decimal:
    """A number cell as it is; text with the mapping's decimal separator, thousands grouped by the other one (in
    threes only, so '1,5' in a file with decimal points is refused rather than read as 15), a sign in front, behind,
    or as brackets."""
    if isinstance(cell, bool | date):
        raise ValueError(f'"{cell}" is not an amount')
    if isinstance(cell, int | float):
        return _cents(Decimal(repr(cell)), str(cell))
    text = _SPACES.sub('', str(cell or '')).translate(_MINUS)
    if not text:
        raise ValueError('the amount is empty')
    negative = text.startswith('-') or text.endswith('-') or (text.startswith('(') and text.endswith(')'))
    digits = text.strip('+-()')
    grouping = '.' if separator == ',' else ','
    point = re.escape(separator)
    plain = rf'\d+(?:{point}\d+)?'
    grouped = rf'\d{{1,3}}(?:{re.escape(grouping)}\d{{3}})+(?:{point}\d+)?'
    if not re.fullmatch(f'{plain}|{grouped}', digits):
        raise ValueError(f'"{cell}" is not an amount written with "{separator}" before the decimals')
    value = Decimal(digits.replace(grouping, '').replace(separator, '.'))
    return _cents(-value if negative else value, str(cell))


def _cents(value: Decimal, shown: str) -> Decimal:
    try:
        exact = value.quantize(CENT)
    except InvalidOperation:
        raise ValueError(f'"{shown}" is not an amount') from None
    if exact != value:
        raise ValueError(f'the amount "{shown}" has more than two decimals')
    return exact


def _currency(cell: Cell, default: str | None) -> str:
    code = str(cell or '').strip() or default
    if code is None:
        raise ValueError('the currency is empty and the mapping has no default currency')
    return check_currency(code)


def _cell(row: Sequence[Cell], index: int) -> Cell:
    return row[index] if index < len(row) else None


def _csv_rows(content: bytes) -> list[tuple[int, list[Cell]]]:
    """UTF-8 with or without a byte-order mark; semicolon or comma, whichever the column names use more."""
    try:
        text = content.decode('utf-8-sig')
    except UnicodeDecodeError:
        raise ValidationFailed(
            'The file is neither an XLSX workbook nor UTF-8 text; save the statement as "CSV UTF-8" or XLSX.'
        ) from None
    named = next((line for line in text.splitlines()[:HEADER_SEARCH] if line.count(';') + line.count(',') >= 2), '')
    delimiter = ';' if named.count(';') > named.count(',') else ','
    try:
        return [(number, [cell.strip() for cell in row])
                for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)]  # fmt: skip
    except csv.Error as error:
        raise ValidationFailed(f'The CSV file cannot be read: {error}.') from None


def _xlsx_rows(content: bytes) -> list[tuple[int, list[Cell]]]:
    """The first sheet with its cells as Excel typed them: dates as dates and numbers as numbers, so neither
    depends on the mapping's date format or decimal separator."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed('The file is not a readable XLSX workbook.') from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return [(number, [_typed(value) for value in row]) for number, row in enumerate(rows, start=1)]
    finally:
        workbook.close()


def _typed(value: Any) -> Cell:
    if value is None or isinstance(value, int | float | date):
        return value
    return str(value).strip()
