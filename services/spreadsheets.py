"""Spreadsheet export and import of watches (CSV for anything, XLSX for Excel).

Rows are read in id order, a chunk at a time, as plain column tuples with their labels looked up per chunk,
so exporting 100,000 watches never holds 100,000 ORM objects. Costs leave only with cost access, serial
numbers only with serial access, and an agent exports only their own watches. An import checks every row the
way intake would, reports each refusal by row and column, and writes the whole file in one transaction or nothing.
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
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pydantic import BaseModel
from sqlmodel import Session, select

from db.engine import session_scope
from db.inventory import Watch
from db.places import Location
from db.types import utcnow
from services import audit, reference, search, watches
from services.errors import ServiceError, ValidationFailed
from services.inventory import ROW_COLUMNS, Labels
from services.permissions import Actor, Permission, require
from services.scope import scoped
from services.validation import validated
from services.watch_filter import WatchFilter

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
    wanted = check_export(actor, ids=ids, filters=filters, fmt=fmt)
    columns = export_columns(actor)
    with session_scope() as session:
        rows = export_rows(session, actor, wanted, None if ids is None else sorted(set(ids)), columns)
        data, count = write_table(fmt, [column.heading for column in columns], rows)
        record_export(session, actor, fmt=fmt, count=count, selection=ids is not None)
    return export_name(fmt), data


def check_export(
    actor: Actor, *, ids: Sequence[int] | None, filters: WatchFilter | dict[str, Any] | None, fmt: str
) -> WatchFilter:
    """Refuse an export the actor may not make or that is malformed; returns the filters as a WatchFilter."""
    require(actor, Permission.INVENTORY_VIEW, Permission.INVENTORY_EXPORT)
    if fmt not in ('csv', 'xlsx'):
        raise ValidationFailed(f'Watches can be exported as csv or xlsx, not "{fmt}".')
    if ids is not None and len(ids) > MAX_SELECTION:
        raise ValidationFailed(f'Select at most {MAX_SELECTION:,} watches, or export by filter.')
    return validated(WatchFilter, filters or {})


def export_columns(actor: Actor) -> list[Column]:
    """The columns this actor may take away: costs only with cost access, serials only with serial access."""
    return [column for column in COLUMNS if column.permission is None or actor.can(column.permission)]


def export_ids(session: Session, actor: Actor, filters: WatchFilter, ids: Sequence[int] | None) -> list[int]:
    """The ids an export would write, in id order: the chosen ones the actor may see, or every match."""
    base = scoped(select(Watch.id), actor).where(*search.where(session, actor, filters)).order_by(Watch.id)
    if ids is None:
        return list(session.exec(base).all())
    wanted = sorted(set(ids))
    return [found for start in range(0, len(wanted), CHUNK)
            for found in session.exec(base.where(Watch.id.in_(wanted[start : start + CHUNK])))]  # fmt: skip


def export_name(fmt: str) -> str:
    return f'watches-{utcnow():%Y%m%d-%H%M}.{fmt}'


def record_export(session: Session, actor: Actor, *, fmt: str, count: int, selection: bool) -> None:
    audit.record(session, actor, 'watches.exported', 'watch', None,
                 after={'format': fmt, 'count': count, 'selection': selection})  # fmt: skip


def write_table(fmt: str, headings: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """The rows as a CSV or XLSX file's bytes, and how many rows it holds."""
    return (_xlsx if fmt == 'xlsx' else _csv)(headings, rows)


def export_rows(
    session: Session, actor: Actor, filters: WatchFilter, ids: list[int] | None, columns: list[Column]
) -> Iterator[list[Any]]:
    """Each watch as a list of cell values, in id order, read one chunk at a time (keyset, not OFFSET)."""
    base = scoped(select(*ROW_COLUMNS, *_EXTRA), actor).where(*search.where(session, actor, filters)).order_by(Watch.id)
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


# --- import ------------------------------------------------------------------------------------------------------

MAX_IMPORT_ROWS = 10_000
_STRUCTURED = frozenset(
    {'condition', 'service_history'}
)  # no single cell holds these; the export's "Condition" is the grade


class RowError(BaseModel):
    """One refusal: `row` is the spreadsheet's own row number (the header is row 1); `column` is the file's own
    heading of the refused cell (the field's name when the file has no such column, "Row" for the whole row)."""

    row: int
    field: str
    column: str
    message: str


class ImportReport(BaseModel):
    """What a (dry) run found; `imported` and `skus` stay empty on a dry run and whenever any row failed."""

    filename: str
    dry_run: bool
    rows: int
    errors: list[RowError]
    ignored_columns: list[str]
    imported: int = 0
    skus: list[str] = []

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


def import_watches(actor: Actor, filename: str, data: bytes, *, dry_run: bool) -> ImportReport:
    """Check every row of a CSV or XLSX file of watches, and (unless `dry_run`) take them all in, or none.

    One transaction for the whole file: a bad row 500 of 501 leaves the database as it was. The headers may
    be WatchCreate's field names or the export's column headings, so an export can be edited and re-imported.
    """
    table = read_import(actor, filename, data)
    with session_scope() as session:
        checker = RowChecker(session, table)
        taken = taken_skus(session, [sku for _, row in table.rows if (sku := checker.sku(row))])
        planned, errors = [], []
        for number, row in table.rows:
            checked = checker.check(actor, number, row, taken)
            (errors.extend if isinstance(checked, list) else planned.append)(checked)
        report = ImportReport(
            filename=filename, dry_run=dry_run, rows=len(table.rows), errors=errors, ignored_columns=table.ignored
        )
        if dry_run or errors:
            return report
        stage_id = watches.initial_stage_id(session)
        added = [watches.insert_watch(session, actor, values, stage_id, given_sku=sku) for values, sku in planned]
        watches.tell_agents(session, actor, added)
        skus = [watch.sku for watch in added]
        record_import(session, actor, filename, skus)
    return report.model_copy(update={'imported': len(skus), 'skus': skus})


@dataclass(frozen=True)
class ImportTable:
    """A file read for import: its headers, which field each column fills, the headers left unread, and every
    non-blank row with its spreadsheet row number."""

    headers: list[str]
    mapping: dict[int, str]
    ignored: list[str]
    rows: list[tuple[int, list[str]]]


def read_import(actor: Actor, filename: str, data: bytes) -> ImportTable:
    """Read and map a file for import, refusing one without Brand and Model columns or with too many rows."""
    require(actor, Permission.INVENTORY_IMPORT, Permission.INVENTORY_CREATE)
    headers, rows = _read_table(filename, data)
    mapping, ignored = _map_headers(headers)
    if 'brand' not in mapping.values() or 'model' not in mapping.values():
        raise ValidationFailed('The file needs a Brand and a Model column (the first row holds the column names).')
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(f'The file has more than {MAX_IMPORT_ROWS:,} rows; import at most that many at a time.')
    return ImportTable(headers, mapping, ignored, rows)


def record_import(session: Session, actor: Actor, filename: str, skus: list[str]) -> None:
    audit.record(session, actor, 'watches.imported', 'watch', None,
                 after={'filename': filename, 'count': len(skus), 'skus': skus})  # fmt: skip


def _read_table(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row and every non-blank row (with its spreadsheet row number), every cell as text."""
    suffix = filename.rsplit('.', 1)[-1].lower() if '.' in filename else ''
    if suffix == 'xlsx':
        table = _xlsx_rows(data)
    elif suffix == 'csv':
        table = _csv_rows(data)
    else:
        raise ValidationFailed(f'Import a .csv or .xlsx file, not "{filename}".')
    try:
        headers = next(table)
    except StopIteration:
        raise ValidationFailed('The file is empty.') from None
    rows = []
    for number, row in enumerate(table, start=2):
        if any(cell for cell in row):
            rows.append((number, row))
        if len(rows) > MAX_IMPORT_ROWS:
            break
    return headers, rows


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    """UTF-8 with or without a byte-order mark; comma or semicolon, whichever the header row uses more."""
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        raise ValidationFailed('The CSV file is not UTF-8 text; save it as "CSV UTF-8".') from None
    first = text.split('\n', 1)[0]
    delimiter = ';' if first.count(';') > first.count(',') else ','
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        yield [cell.strip() for cell in row]


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """The first sheet, read-only (streamed), each cell turned into the text a person would have typed."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed('The file is not a readable XLSX workbook.') from None
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_as_text(value) for value in row]
    finally:
        workbook.close()


def _as_text(value: Any) -> str:
    """Excel's numbers and dates as typed: 1969.0 back to 1969, a date without its midnight."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_headers(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index -> what it fills (a WatchCreate field, 'sku' or 'location'), and the headers left unread."""
    by_name = {name.casefold(): name for name in watches.EDITABLE if name not in _STRUCTURED}
    by_name.update({column.heading.casefold(): column.key for column in COLUMNS if column.key in watches.EDITABLE})
    by_name.update({'sku': 'sku', 'location': 'location', 'location_id': 'location_id'})
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = by_name.get(header.strip().casefold())
        if key is None or key in mapping.values():
            if header.strip():
                ignored.append(header.strip())
            continue
        mapping[index] = key
    return mapping, ignored


class RowChecker:
    """Checks rows of one file the way intake would, with the brands and locations looked up once."""

    def __init__(self, session: Session, table: ImportTable) -> None:
        self.mapping = table.mapping
        self.brands = {brand.name.casefold(): brand.name for brand in reference.brands()}
        self.locations = {name.casefold(): id_ for id_, name in session.exec(select(Location.id, Location.name))}
        self.order = {key: index for index, key in table.mapping.items()}
        self.headings = {key: table.headers[index].strip() for index, key in table.mapping.items()}
        self.seen: set[str] = set()

    def sku(self, row: list[str]) -> str | None:
        """The row's own SKU, if the file has a SKU column and the cell is filled."""
        index = self.order.get('sku')
        return row[index].strip().upper() or None if index is not None and index < len(row) else None

    def check(
        self, actor: Actor, number: int, row: list[str], taken: set[str]
    ) -> tuple[dict[str, Any], str | None] | list[RowError]:
        """The row's values as intake would store them with its SKU if given, or every refusal as a RowError.

        `taken` holds the SKUs already in use; a SKU seen earlier in the file is refused as a repeat.
        """
        raw = {key: row[index] for index, key in self.mapping.items() if index < len(row) and row[index]}
        problems: dict[str, str] = {}
        sku = raw.pop('sku', '').upper() or None
        if sku and (sku in taken or sku in self.seen):
            problems['sku'] = f'The SKU {sku} is {"already in use" if sku in taken else "in the file twice"}.'
        self.seen.add(sku or '')
        if 'location' in raw and (name := raw.pop('location')):
            raw['location_id'] = self.locations.get(name.casefold(), '')
            if not raw['location_id']:
                problems['location'] = f'There is no location "{name}".'
        brand = raw.get('brand', '')
        if brand and brand.casefold() not in self.brands:
            problems['brand'] = f'"{brand}" is not a known brand; use the name in the reference list (e.g. Rolex).'
        raw['brand'] = self.brands.get(brand.casefold(), brand)
        try:
            values = watches.intake_values(actor, watches.parse_watch(raw))
        except ValidationFailed as refusal:
            problems = {**refusal.fields, **problems} or {'row': str(refusal)}
        except ServiceError as refusal:
            problems['row'] = str(refusal)
        if not problems:
            return values, sku
        ordered = sorted(problems.items(), key=lambda item: self.order.get(item[0], len(self.order)))  # file order
        return [
            RowError(row=number, field=name, column=self.headings.get(name, name.replace('_', ' ').capitalize()),
                     message=message)
            for name, message in ordered
        ]  # fmt: skip


def taken_skus(session: Session, given: list[str]) -> set[str]:
    """Which of the SKUs a file names are already used (by any watch, deleted ones too: SKUs are never reused)."""
    wanted = sorted({sku.strip().upper() for sku in given if sku.strip()})
    taken: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        taken.update(session.exec(select(Watch.sku).where(Watch.sku.in_(wanted[start : start + CHUNK]))).all())
    return taken
