"""Finance reports produced by the scheduled monthly job (and on demand), kept so they can be opened again."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field
from db.types import JSONType


class FinanceReport(SQLModel, table=True):
    """The figures of one period as they stood when produced; `data` holds the tables the screen and files show."""

    __tablename__ = 'finance_reports'
    __table_args__ = (sa.Index('ix_finance_reports_period_start', 'period_start'),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    period_start: date
    period_end: date
    title: str = Field(max_length=120)
    data: dict = Field(default_factory=dict, sa_type=JSONType)
    job_id: int | None = Field(default=None, foreign_key='jobs.id', ondelete='SET NULL')
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = created_at_field()
