"""Stored finance reports: listing and opening them, their files, and starting the job that produces one.

Reading takes `reports.view`; producing takes `ledger.view` (the job kind's permission). The monthly schedule
starts the job as the system for the month before, once: a month that already has a report is skipped, so a
second scheduler (or a rerun after a restart) does not make a second copy.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import func, select

from db.accounts import User
from db.engine import session_scope
from db.reports import FinanceReport
from services import jobs, report_export
from services.errors import NotFound
from services.job_reports import KIND, REPORT_KIND
from services.paging import Page, clamp
from services.permissions import SYSTEM, Actor, Permission, require


class ReportSummary(BaseModel):
    id: int
    title: str
    period_start: date
    period_end: date
    created_at: datetime
    created_by_name: str | None  # None: produced by the schedule


class StoredReport(ReportSummary):
    tables: list[report_export.Table]


def list_reports(actor: Actor, *, offset: int = 0, limit: int = 25) -> Page[ReportSummary]:
    """Stored reports, the latest period first."""
    require(actor, Permission.REPORTS_VIEW)
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(FinanceReport)).one()
        rows = session.execute(
            _with_author()
            .order_by(FinanceReport.period_start.desc(), FinanceReport.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return Page(total=total, items=[_summary(report, name) for report, name in rows])


def get_report(actor: Actor, report_id: int) -> StoredReport:
    """One stored report with its tables as they stood when it was produced."""
    require(actor, Permission.REPORTS_VIEW)
    with session_scope() as session:
        found = session.execute(_with_author().where(FinanceReport.id == report_id)).first()
        if found is None:
            raise NotFound('No such report.')
        report, name = found
        tables = [report_export.Table.model_validate(table) for table in report.data.get('tables', [])]
        return StoredReport(**_summary(report, name).model_dump(), tables=tables)


def report_file(actor: Actor, report_id: int, fmt: report_export.Format = 'xlsx') -> tuple[str, bytes]:
    """A stored report as XLSX (every table), or one CSV of its first table; (file name, bytes)."""
    report = get_report(actor, report_id)
    report_export.check_format(fmt)
    return f'finance-report-{report.period_start:%Y-%m}.{fmt}', report_export.write(fmt, report.tables)


def produce(actor: Actor, month: str) -> jobs.JobView:
    """Start the job that stores the report of a month (YYYY-MM); needs `ledger.view`."""
    return jobs.start(actor, KIND, {'month': month})


def start_monthly(today: date | None = None) -> jobs.JobView | None:
    """The schedule's call: the previous month's report, as the system, unless that month has one already."""
    month = previous_month(today or date.today())
    with session_scope() as session:
        exists = session.execute(
            sa.select(FinanceReport.id)
            .where(FinanceReport.kind == REPORT_KIND, FinanceReport.period_start == date.fromisoformat(f'{month}-01'))
            .limit(1)
        ).first()
    return None if exists else jobs.start(SYSTEM, KIND, {'month': month})


def previous_month(today: date) -> str:
    return f'{today.replace(day=1) - timedelta(days=1):%Y-%m}'


def _with_author() -> sa.Select:
    return sa.select(FinanceReport, User.name).outerjoin(User, User.id == FinanceReport.created_by_id)


def _summary(report: FinanceReport, name: str | None) -> ReportSummary:
    return ReportSummary(id=report.id, title=report.title, period_start=report.period_start,
                         period_end=report.period_end, created_at=report.created_at, created_by_name=name)  # fmt: skip
