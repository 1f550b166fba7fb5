"""Spreadsheet import: both formats, every refusal by row, all or nothing, and who may import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.system import AuditEntry
from services import places, spreadsheets
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from services.spreadsheets import import_watches
from tests.factories import make_user, take_in

pytestmark = pytest.mark.usefixtures('db')
HEADER = 'Brand,Model,Reference,Year,Box,Purchase cost,Purchase currency'


def csv_file(*rows: str, header: str = HEADER, bom: bool = False, delimiter: str = ',') -> bytes:
    text = '\n'.join([header, *rows]).replace(',', delimiter)
    return text.encode('utf-8-sig' if bom else 'utf-8')


def watch_count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Watch)).one()


def errors_of(report: spreadsheets.ImportReport) -> list[tuple[int, str]]:
    return [(error.row, error.field) for error in report.errors]


@pytest.mark.parametrize(('bom', 'delimiter'), [(False, ','), (True, ','), (True, ';')])
def test_a_csv_is_checked_then_imported(bom: bool, delimiter: str):
    data = csv_file('rolex,Submariner,5513,1969,yes,9000,EUR', 'Omega,Speedmaster,145.022,,no,,', bom=bom,
                    delimiter=delimiter)  # fmt: skip
    dry = import_watches(SYSTEM, 'stock.csv', data, dry_run=True)
    assert (dry.rows, dry.errors, dry.imported, watch_count()) == (2, [], 0, 0)

    done = import_watches(SYSTEM, 'stock.csv', data, dry_run=False)
    assert done.imported == 2 and len(set(done.skus)) == 2
    with session_scope() as session:
        rolex = session.exec(select(Watch).where(Watch.reference == '5513')).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'watches.imported')).one()
    assert (rolex.brand, rolex.year, rolex.box, str(rolex.purchase_cost)) == ('Rolex', 1969, True, '9000.00')
    assert entry.after['count'] == 2 and entry.after['skus'] == done.skus


def test_an_xlsx_is_imported_with_numbers_and_dates_as_excel_stores_them():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(['brand', 'model', 'year', 'case_diameter_mm', 'papers', 'Notes on the side'])
    sheet.append(['Tudor', 'Submariner', 1978.0, 39.5, True, 'ignore me'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_watches(SYSTEM, 'stock.xlsx', buffer.getvalue(), dry_run=False)
    assert report.imported == 1
    assert report.ignored_columns == ['Notes on the side']
    with session_scope() as session:
        watch = session.exec(select(Watch)).one()
    assert (watch.year, watch.case_diameter_mm, watch.papers) == (1978, 39.5, True)


def test_an_export_can_be_imported_again_with_new_skus():
    take_in(SYSTEM, brand='Rolex', model='Datejust', reference='1601', box=True)
    name, data = spreadsheets.export_watches(SYSTEM)
    report = import_watches(SYSTEM, name, data.replace(b'SV-', b'OLD-'), dry_run=False)
    assert report.errors == [] and report.imported == 1
    assert 'Stage' in report.ignored_columns and 'Id' in report.ignored_columns
    assert report.skus[0].startswith('OLD-')


def test_every_bad_row_is_reported_by_row_and_field():
    places.create_location(SYSTEM, {'name': 'Geneva office', 'kind': 'office'})
    take_in(SYSTEM)
    taken = take_in(SYSTEM).sku
    data = csv_file(
        'Rolex,Submariner,,1969,,,,Geneva office',
        'Swatchy,Thing,,,,,,',
        'Rolex,,,1700,,,,',
        'Rolex,GMT,,,,100,,Nowhere',
        f'Rolex,GMT,,,,,,,{taken}',
        'Rolex,GMT,,,,,,,NEW-1',
        'Rolex,GMT,,,,,,,new-1',
        header=HEADER + ',Location,SKU',
    )
    report = import_watches(SYSTEM, 'stock.csv', data, dry_run=True)
    assert errors_of(report) == [
        (3, 'brand'),
        (4, 'model'),
        (4, 'year'),
        (5, 'purchase_currency'),
        (5, 'location'),
        (6, 'sku'),
        (8, 'sku'),
    ]
    assert 'in the file twice' in report.errors[-1].message
    assert 'not a known brand' in report.errors[0].message


def test_one_bad_row_in_501_writes_nothing():
    rows = [f'Omega,Seamaster {number},,1990,,,' for number in range(501)]
    rows[499] = 'Omega,,,1990,,,'
    report = import_watches(SYSTEM, 'stock.csv', csv_file(*rows), dry_run=False)
    assert errors_of(report) == [(501, 'model')]
    assert (report.imported, watch_count()) == (0, 0)


def test_more_than_ten_thousand_rows_are_refused():
    data = csv_file(*['Omega,Seamaster,,,,,'] * 10_001)
    with pytest.raises(ValidationFailed, match='more than 10,000 rows'):
        import_watches(SYSTEM, 'stock.csv', data, dry_run=True)


@pytest.mark.parametrize(
    ('filename', 'data', 'message'),
    [
        ('stock.pdf', b'%PDF', 'csv or .xlsx'),
        ('stock.xlsx', b'not a zip', 'not a readable XLSX'),
        ('stock.csv', 'Brand,Model\nCitroën,X'.encode('latin-1'), 'not UTF-8'),
        ('stock.csv', b'Reference\n5513', 'Brand and a Model column'),
        ('stock.csv', b'', 'empty'),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(filename: str, data: bytes, message: str):
    with pytest.raises(ValidationFailed, match=message):
        import_watches(SYSTEM, filename, data, dry_run=True)


@pytest.mark.parametrize(
    ('role', 'allowed'),
    [(Role.ADMIN, True), (Role.MANAGER, True), (Role.AGENT, False), (Role.SELLER, False), (Role.FINANCE, False)],
)
def test_only_roles_that_import_in_bulk_may_import(role: Role, allowed: bool):
    actor = make_user(role)
    data = csv_file('Omega,Seamaster,,,,,')
    if allowed:
        assert import_watches(actor, 'stock.csv', data, dry_run=False).imported == 1
    else:
        with pytest.raises(PermissionDenied):
            import_watches(actor, 'stock.csv', data, dry_run=True)
        assert watch_count() == 0
