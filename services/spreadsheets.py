"""Spreadsheet export of watches (CSV for anything, XLSX for Excel); import follows with watch validation.

Rows are read in id order, a chunk at a time, as plain column tuples with their labels looked up per chunk,
so exporting 100,000 watches never holds 100,000 ORM objects. Costs leave only with cost access, serial
numbers only with serial access, and an agent exports only their own watches.
"""

from __future__ import annotations

import csv
import enum
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session, select

from db.engine import session_scope
from db.inventory import Watch
from db.types import utcnow
from services import audit
from services.errors import ValidationFailed
from services.inventory import ROW_COLUMNS, Labels, WatchFilter, conditions, validated
from services.permissions import Actor, Permission, require
from services.scope import scoped

CHUNK = 2000
MAX_SELECTION = 100_000
Format = Literal['csv', 'xlsx']
# a text cell starting with one of these is a formula to a spreadsheet program
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    permission: Permission | None = None


COLUMNS = (
    Column('sku', 'SKU'),
    Column('brand', 'Brand'),
    Column('model', 'Model'),
    Column('reference', 'Reference'),
    Column('serial', 'Serial', Permission.SERIAL_VIEW),
    Column('year', 'Year'),
    Column('period', 'Period'),
    Column('movement', 'Movement'),
    Column('calibre', 'Calibre'),
    Column('case_material', 'Case material'),
    Column('case_diameter_mm', 'Case diameter (mm)'),
    Column('dial', 'Dial'),
    Column('strap', 'Strap or bracelet'),
    Column('gender', 'Gender'),
    Column('condition_grade', 'Condition'),
    Column('box', 'Box'),
    Column('papers', 'Papers'),
    Column('stage', 'Stage'),
    Column('location', 'Location'),
    Column('batch', 'Batch'),
    Column('agent', 'Agent'),
    Column('seller', 'Seller'),
    Column('asking_price', 'Asking price'),
    Column('reserve_price', 'Reserve price'),
    Column('price_currency', 'Price currency'),
    Column('purchase_cost', 'Purchase cost', Permission.COST_VIEW),
    Column('purchase_currency', 'Purchase currency', Permission.COST_VIEW),
    Column('purchase_cost_base', 'Purchase cost (base currency)', Permission.COST_VIEW),
    Column('purchased_on', 'Purchased on'),
    Column('sold_on', 'Sold on'),
    Column('image_count', 'Photos'),
    Column('created_at', 'Created (UTC)'),
    Column('description', 'Description'),
    Column('id', 'Id'),
)
# the columns read beyond the list's own
_EXTRA = (Watch.serial, Watch.period, Watch.movement, Watch.calibre, Watch.case_material, Watch.case_diameter_mm,
          Watch.dial, Watch.strap, Watch.gender, Watch.box, Watch.papers, Watch.seller_id, Watch.reserve_price,
          Watch.purchase_cost, Watch.purchase_currency, Watch.purchased_on, Watch.sold_on,
          Watch.description)  # fmt: skip


def export_watches(
    actor: Actor,
    *,
    ids: Sequence[int] | None = None,
    filters: WatchFilter | dict[str, Any] | None = None,
    fmt: Format = 'csv',
) -> tuple[str, bytes]:
    """The selected watches (`ids`), or every one matching `filters`, as a file name and the file's bytes."""
    require(actor, Permission.INVENTORY_VIEW, Permission.INVENTORY_IMPORT)
    if fmt not in ('csv', 'xlsx'):
        raise ValidationFailed(f'Watches can be exported as csv or xlsx, not "{fmt}".')
    if ids is not None and len(ids) > MAX_SELECTION:
        raise ValidationFailed(f'Select at most {MAX_SELECTION:,} watches, or export by filter.')
    wanted = validated(WatchFilter, filters or {})
    columns = [column for column in COLUMNS if column.permission is None or actor.can(column.permission)]
    with session_scope() as session:
        rows = _rows(session, actor, wanted, None if ids is None else sorted(set(ids)), columns)
        data, count = (_xlsx if fmt == 'xlsx' else _csv)([column.heading for column in columns], rows)
        after = {'format': fmt, 'count': count, 'selection': ids is not None}
        audit.record(session, actor, 'watches.exported', 'watch', None, after=after)
    return f'watches-{utcnow():%Y%m%d-%H%M}.{fmt}', data


def _rows(
    session: Session, actor: Actor, filters: WatchFilter, ids: list[int] | None, columns: list[Column]
) -> Iterator[list[Any]]:
    """Each watch as a list of cell values, in id order, read one chunk at a time (keyset, not OFFSET)."""
    base = scoped(select(*ROW_COLUMNS, *_EXTRA), actor).where(*conditions(filters)).order_by(Watch.id)
    for chunk in _chunks(session, base, ids):
        labels = Labels.load(session, chunk, photos=False, people=('seller_id',))
        for row in chunk:
            shown = labels.row(row, sees_cost=True).model_dump()
            values = {**row._asdict(), **shown, 'seller': labels.users.get(row.seller_id)}
            yield [_cell(values[column.key]) for column in columns]


def _chunks(session: Session, base: Any, ids: list[int] | None) -> Iterator[Sequence[Any]]:
    if ids is not None:
        for start in range(0, len(ids), CHUNK):
            yield session.exec(base.where(Watch.id.in_(ids[start : start + CHUNK]))).all()
        return
    last = 0
    while chunk := session.exec(base.where(Watch.id > last).limit(CHUNK)).all():
        yield chunk
        last = chunk[-1].id


def _cell(value: Any) -> Any:
    """Values a spreadsheet shows as they are: enums by value, times in UTC to the second without a zone (Excel
    has none), and text without the control characters an XLSX file may not contain."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub('', value)
    return value


def _csv(headings: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark, so Excel reads the accents right; text that looks like a formula is quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings)
    count = 0
    for row in rows:
        count += 1
        writer.writerow([f"'{value}" if _formula_like(value) else value for value in row])
    return buffer.getvalue().encode('utf-8-sig'), count


def _xlsx(headings: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """openpyxl's write-only mode streams rows to a temporary file instead of building the sheet in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet('Watches')
    sheet.freeze_panes = 'A2'
    sheet.append(headings)
    count = 0
    for row in rows:
        count += 1
        sheet.append([_text_cell(sheet, value) if _formula_like(value) else value for value in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        return file.read(), count


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A cell that stays text: openpyxl would otherwise store a leading '=' as a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = 's'
    return cell
