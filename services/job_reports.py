"""The finance report job: a month's tables stored as a `FinanceReport`, with an XLSX file of them.

One item per table, so the progress panel says which table is being summed. Each table is kept as a part; the
report row is written at the end, in one transaction with its audit entry. When the system ran it (the
monthly schedule), every active Finance and Admin user is told in their notifications, with a link to it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Session

from db.engine import session_scope
from db.reports import FinanceReport
from services import audit, notifications, report_export
from services.errors import ValidationFailed
from services.job_kinds import JobKind, Output, Plan, RunContext
from services.permissions import Actor, Permission
from services.reports import Period
from services.validation import validated

KIND = 'finance-report'
REPORT_KIND = 'monthly'
NOTIFICATION = 'finance.report'
_MONTH = re.compile(r'\d{4}-(0[1-9]|1[0-2])')


class ReportParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    month: str

    @field_validator('month')
    @classmethod
    def _a_month(cls, value: str) -> str:
        if not _MONTH.fullmatch(value):
            raise ValueError('give the month as YYYY-MM, for instance 2025-03')
        return value


def month_period(month: str) -> Period:
    """The first and last day of a YYYY-MM month."""
    start = date.fromisoformat(f'{month}-01')
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start=start, end=following - timedelta(days=1))


def month_title(month: str) -> str:
    return f'Finance report {date.fromisoformat(f"{month}-01"):%B %Y}'


class FinanceReportKind(JobKind):
    name = KIND
    label = 'Finance report'
    permission = Permission.LEDGER_VIEW

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        wanted = validated(ReportParams, params)
        if month_period(wanted.month).start > date.today():
            raise ValidationFailed('A report can be produced for this month or earlier ones, not the future.',
                                   {'month': 'A month that has begun.'})  # fmt: skip
        return Plan(params=wanted.model_dump(), keys=list(report_export.TABLE_KEYS), title=month_title(wanted.month))

    def item(self, ctx: RunContext, key: str) -> None:
        with session_scope() as session:
            table = report_export.build_table(session, month_period(ctx.params['month']), key)
        position = report_export.TABLE_KEYS.index(key)
        ctx.save_part(f'{position:03d}', table.model_dump(mode='json'))

    def item_label(self, key: str) -> str:
        return key.replace('-', ' ').capitalize()

    def finish(self, ctx: RunContext, done: int) -> Output:
        month = ctx.params['month']
        tables = [report_export.Table.model_validate(part) for part in ctx.parts()]
        name = f'finance-report-{month}.xlsx'
        path = ctx.directory / name
        path.write_bytes(report_export.write('xlsx', tables))
        with session_scope() as session:
            report = store(session, ctx.actor, month, tables, job_id=ctx.job_id)
            if ctx.actor.id is None:
                announce(session, report)
        ctx.outcome = f'{report.title} is stored under Reports ({len(tables)} tables); its workbook can be downloaded'
        return Output(name=name, path=path, media_type=report_export.MEDIA_TYPES['xlsx'])


def store(
    session: Session, actor: Actor, month: str, tables: list[report_export.Table], *, job_id: int | None
) -> FinanceReport:
    """Write the report row with its audit entry in the caller's transaction."""
    period = month_period(month)
    report = FinanceReport(
        kind=REPORT_KIND,
        period_start=period.start,
        period_end=period.end,
        title=month_title(month),
        data={'tables': [table.model_dump(mode='json') for table in tables]},
        job_id=job_id,
        created_by_id=actor.id,
    )
    session.add(report)
    session.flush()
    audit.record(session, actor, 'finance_report.produced', 'finance_report', report.id,
                 after={'month': month, 'tables': len(tables)})  # fmt: skip
    return report


def announce(session: Session, report: FinanceReport) -> None:
    """Tell every active Finance and Admin user that the report is ready, with a link to it."""
    notifications.notify_roles(session, notifications.BOOKKEEPERS, kind=NOTIFICATION, title=f'{report.title} is ready',
                               body=f'{report.period_start:%d %b} – {report.period_end:%d %b %Y}',
                               link=f'/finance/reports?report={report.id}')  # fmt: skip
