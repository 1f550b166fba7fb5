"""The finance reports screen: figures and charts for a chosen period, CSV and XLSX downloads, producing a month's
report with progress, opening a stored one from the notification's link, and what a manager may do there."""

from __future__ import annotations

import csv
import io
from datetime import date

from nicegui import ui
from nicegui.testing import User
from openpyxl import load_workbook

from db.enums import Role
from services import jobs, stored_reports
from tests.factories import make_user
from tests.finance import T, book, sek_watch
from tests.ui.session import PATIENCE, eventually, open_as, press

YEAR_2025 = '2025-01-01/2025-12-31'


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _rows(user: User, marker: str) -> list[dict]:
    return _element(user, marker).rows


def _first_label(user: User) -> str | None:
    rows = _rows(user, 'table-pnl')
    return rows[0]['label'] if rows else None


async def _open_2025(user: User, email: str) -> None:
    await open_as(user, email, '/finance/reports', 'reports')
    _element(user, 'period-kind').value = 'year'
    await eventually(lambda: YEAR_2025 in _element(user, 'period-choice').options, 'the years to choose from')
    _element(user, 'period-choice').value = YEAR_2025
    await eventually(lambda: _first_label(user) == 'Jan 2025', 'the months of 2025', patience=100)
    assert len(_rows(user, 'table-pnl')) == 12


async def test_the_year_shows_charts_and_tables_and_follows_new_bookings(visitor: User):
    watch = sek_watch()
    make_user(Role.FINANCE, email='fay@example.com')
    await _open_2025(visitor, 'fay@example.com')
    march = _rows(visitor, 'table-pnl')[2]
    assert (march['label'], march['revenue'], march['gross_profit'], march['margin']) == (
        'Mar 2025', '2,000.00', '546.98', '27.35 %')  # fmt: skip
    chart = _element(visitor, 'pnl-chart')
    assert chart.options['xAxis']['data'][2] == 'Mar 2025'
    assert [series['data'][2] for series in chart.options['series']] == ['2000.00', '1453.02', '546.98']
    assert _element(visitor, 'dimension-chart').options['xAxis']['data'] == ['Omega']
    assert _rows(visitor, 'table-aged')[0]['label'] == '0–30 days'
    _element(visitor, 'pnl-grain').value = 'quarters'
    await eventually(lambda: len(_rows(visitor, 'table-pnl')) == 4, 'four quarters')
    _element(visitor, 'dimension').value = 'channel'
    await eventually(lambda: _rows(visitor, 'table-dimension')[0]['label'] == 'catawiki', 'the channel table')
    book(T.SHIPPING, '40', 'EUR', date(2025, 3, 5), watch_id=watch.watch_id)
    await eventually(lambda: _rows(visitor, 'table-pnl')[0]['gross_profit'] == '506.98', 'the new cost',
                     patience=80)  # fmt: skip


async def test_tables_download_as_csv_and_xlsx(visitor: User):
    sek_watch()
    make_user(Role.MANAGER, email='mia@example.com')
    await _open_2025(visitor, 'mia@example.com')
    visitor.find(marker='download-pnl-csv').click()
    lines = list(csv.reader(io.StringIO((await visitor.download.next(timeout=5)).content.decode('utf-8-sig'))))
    assert lines[3][:2] == ['Mar 2025', '2000.00']
    visitor.find(marker='download-dimension-xlsx').click()
    sheet = load_workbook(io.BytesIO((await visitor.download.next(timeout=5)).content)).active
    assert (sheet['A2'].value, sheet['B2'].value, sheet['B2'].data_type) == ('Omega', 2000, 'n')


async def test_finance_produces_a_month_with_progress_and_managers_only_read(visitor: User, task_workers):
    sek_watch()
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', '/finance/reports', 'reports')
    _element(visitor, 'period-kind').value = 'year'
    _element(visitor, 'period-kind').value = 'month'
    month = stored_reports.previous_month(date.today())
    await eventually(lambda: f'{month}-01' in str(_element(visitor, 'period-choice').options), 'the months')
    _element(visitor, 'period-choice').value = next(
        value for value in _element(visitor, 'period-choice').options if value.startswith(month)
    )
    await eventually(lambda: 'Produce report for' in _element(visitor, 'produce-report').text, 'the button')
    await press(visitor, 'produce-report')
    await visitor.should_see(marker='job-panel', retries=PATIENCE)
    await eventually(
        lambda: stored_reports.list_reports(make_user(Role.ADMIN)).total == 1, 'the stored report', patience=150
    )
    await visitor.should_see('Finished', retries=PATIENCE)


async def test_the_notification_link_opens_a_stored_report_for_a_manager_without_the_produce_button(visitor: User):
    sek_watch()
    finance = make_user(Role.FINANCE)
    jobs.run(stored_reports.produce(finance, '2025-03').id)
    (report,) = stored_reports.list_reports(finance).items
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', f'/finance/reports?report={report.id}', 'reports')
    await visitor.should_see(marker='stored-report', retries=PATIENCE)
    await visitor.should_see('Finance report March 2025', marker='stored-title')
    await eventually(lambda: _rows(visitor, 'table-stored-months')[0]['gross_profit'] == '546.98', 'stored figures')
    await visitor.should_not_see(marker='produce-report')
    await eventually(lambda: len(_rows(visitor, 'stored-reports')) == 1, 'the stored reports list')


async def test_agents_and_sellers_are_refused_the_screen(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/finance/reports', 'forbidden')


async def test_a_custom_period_is_checked_inline(visitor: User):
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', '/finance/reports', 'reports')
    _element(visitor, 'period-kind').value = 'custom'
    _element(visitor, 'period-start').value = '2025-03-01'
    _element(visitor, 'period-end').value = '2025-02-01'
    await eventually(lambda: _element(visitor, 'period-end').error == 'the period ends before it starts', 'the error')
    _element(visitor, 'period-end').value = '2025-03-31'
    await eventually(lambda: _first_label(visitor) == 'Mar 2025', 'March alone', patience=100)
    assert _element(visitor, 'period-end').error is None
