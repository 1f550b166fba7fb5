"""Payout and bank statements brought in to be matched against the ledger, and the column mappings that read them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.types import JSONType, Money


class StatementMapping(SQLModel, table=True):
    """Which column of a statement file holds the date, amount, currency, reference and text, and how to read them."""

    __tablename__ = 'statement_mappings'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    columns: dict = Field(default_factory=dict, sa_type=JSONType)
    date_format: str = Field(default='%Y-%m-%d', max_length=40)
    decimal_separator: str = Field(default='.', max_length=1)
    default_currency: str | None = Field(default=None, max_length=3)
    builtin: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = created_at_field()


class StatementImport(SQLModel, table=True):
    """One imported file; its lines are kept as read, with what matching and Finance decided about each."""

    __tablename__ = 'statement_imports'

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    mapping_id: int | None = Field(default=None, foreign_key='statement_mappings.id', ondelete='SET NULL')
    line_count: int = Field(default=0)
    imported_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    created_at: datetime = created_at_field()


class StatementLine(SQLModel, table=True):
    """A statement line: matched to a sale or a booking, mismatched (found, but the amount differs), or unmatched.

    A difference becomes an adjustment in the ledger only when Finance approves the line (`adjustment_id`).
    """

    __tablename__ = 'statement_lines'
    __table_args__ = (
        sa.UniqueConstraint('import_id', 'line_no'),
        sa.Index('ix_statement_lines_import_id_status', 'import_id', 'status'),
        sa.CheckConstraint(
            "status IN ('matched', 'mismatched', 'unmatched', 'approved', 'dismissed')", name='status_known'
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key='statement_imports.id', ondelete='CASCADE')
    line_no: int
    value_date: date
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    reference: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=20)
    sale_id: int | None = Field(default=None, foreign_key='sales.id', ondelete='RESTRICT')
    transaction_id: int | None = Field(default=None, foreign_key='transactions.id', ondelete='RESTRICT')
    expected_amount: Decimal | None = Field(default=None, sa_type=Money)
    difference: Decimal | None = Field(default=None, sa_type=Money)
    adjustment_id: int | None = Field(default=None, foreign_key='transactions.id', ondelete='RESTRICT')
    decided_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    decided_at: datetime | None = timestamp_field()
