"""The monthly finance report: the job stores the month's tables and an XLSX file, the schedule runs it as the
system for the month before and tells every active Finance and Admin user, and only the ledger's readers produce."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.reports import FinanceReport
from db.system import AuditEntry, Job, Notification
from services import jobs, stored_reports, users
from services.errors import PermissionDenied, ValidationFailed
from tasks import reports as report_tasks
from tests.factories import make_user
from tests.finance import sek_watch


def _snapshot() -> list:
    with session_scope() as session:
        return [session.execute(sa.select(table)).all()
                for table in (FinanceReport.__table__, Job.__table__, AuditEntry.__table__)]  # fmt: skip


def _notifications() -> list[tuple[int, str, str]]:
    with session_scope() as session:
        rows = session.exec(select(Notification).where(Notification.kind == 'finance.report')).all()
        return sorted((row.user_id, row.title, row.link) for row in rows)


def test_a_finance_user_produces_a_month_and_opens_it_again(db):
    sek_watch()
    finance = make_user(Role.FINANCE, name='Fay Finance')
    view = stored_reports.produce(finance, '2025-03')
    assert (view.kind, view.title, view.total) == ('finance-report', 'Finance report March 2025', 10)
    assert jobs.run(view.id) == 'succeeded'
    (summary,) = stored_reports.list_reports(finance).items
    assert (summary.title, summary.period_start, summary.period_end, summary.created_by_name) == (
        'Finance report March 2025', date(2025, 3, 1), date(2025, 3, 31), 'Fay Finance')  # fmt: skip
    report = stored_reports.get_report(make_user(Role.MANAGER), summary.id)
    months = report.tables[0]
    assert (months.key, months.values()[0][:2]) == ('months', ['Mar 2025', Decimal('2000.00')])
    assert [table.key for table in report.tables][-3:] == ['stock-stage', 'stock-location', 'aged']
    name, data = stored_reports.report_file(finance, summary.id)
    workbook = load_workbook(io.BytesIO(data))
    assert name == 'finance-report-2025-03.xlsx' and len(workbook.sheetnames) == 10
    assert workbook['Profit and loss by month']['J2'].value == 546.98  # a number, not text
    assert jobs.download(finance, view.id)[0] == name
    with session_scope() as session:
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == 'finance_report.produced')).all()
    assert (entry.actor_id, entry.after) == (finance.id, {'month': '2025-03', 'tables': 10})
    assert _notifications() == []  # a person's own report is announced by the job's own notification only


@pytest.mark.parametrize(('month', 'says'), [('2025-13', 'YYYY-MM'), ('March', 'YYYY-MM'), ('2999-01', 'future')])
def test_a_bad_month_is_refused_and_nothing_is_written(db, month, says):
    finance = make_user(Role.FINANCE)
    before = _snapshot()
    with pytest.raises(ValidationFailed, match=says):
        stored_reports.produce(finance, month)
    assert _snapshot() == before


def test_managers_read_reports_but_do_not_produce_them_and_others_do_neither(db):
    finance = make_user(Role.FINANCE)
    jobs.run(stored_reports.produce(finance, '2025-03').id)
    manager, others = make_user(Role.MANAGER), [make_user(Role.AGENT), make_user(Role.SELLER)]
    before = _snapshot()
    with pytest.raises(PermissionDenied, match=r'Your role \(manager\) may not see the ledger'):
        stored_reports.produce(manager, '2025-02')
    for actor in others:
        with pytest.raises(PermissionDenied):
            stored_reports.produce(actor, '2025-02')
        with pytest.raises(PermissionDenied, match='may not see reports'):
            stored_reports.list_reports(actor)
    assert _snapshot() == before
    assert stored_reports.list_reports(manager).total == 1


def test_the_schedule_reports_the_previous_month_once_and_tells_finance_and_admins(db):
    sek_watch()
    fay, ada = make_user(Role.FINANCE), make_user(Role.ADMIN)
    gone, manager = make_user(Role.FINANCE), make_user(Role.MANAGER)
    users.set_active(ada, gone.id, False)
    view = stored_reports.start_monthly(date(2025, 4, 1))
    assert (view.title, view.created_by_id) == ('Finance report March 2025', None)
    assert jobs.run(view.id) == 'succeeded'
    (summary,) = stored_reports.list_reports(fay).items
    link = f'/finance/reports?report={summary.id}'
    assert summary.created_by_name is None
    assert _notifications() == sorted(
        [(fay.id, 'Finance report March 2025 is ready', link), (ada.id, 'Finance report March 2025 is ready', link)]
    )
    assert manager.id not in {user_id for user_id, *_ in _notifications()}
    assert stored_reports.start_monthly(date(2025, 4, 1)) is None


def test_the_huey_task_runs_on_the_first_at_six_utc_and_starts_the_job(db):
    task = report_tasks.monthly_finance_report
    due = task.task_class().validate_datetime  # Huey's scheduler hands it UTC times
    assert due(datetime(2025, 4, 1, 6, 0)) and due(datetime(2026, 1, 1, 6, 0))
    assert not due(datetime(2025, 4, 2, 6, 0)) and not due(datetime(2025, 4, 1, 7, 0))
    job_id = task.call_local()
    with session_scope() as session:
        job = session.get(Job, job_id)
    assert (job.kind, job.params, job.created_by_id) == (
        'finance-report',
        {'month': stored_reports.previous_month(date.today())},
        None,
    )
