"""Money: the append-only, hash-chained ledger, exchange rates, and commission rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import CommissionBasis, Role, TransactionType
from db.types import JSONType, Money, Rate, enum_type


class Transaction(SQLModel, table=True):
    """One booking. The database refuses UPDATE and DELETE; a correction is a new row that `reverses_id` another.

    `row_hash` covers this row's content and `prev_hash`, the hash of the row before it, so any change made
    behind the application's back breaks the chain from that row on.
    """

    __tablename__ = 'transactions'
    __table_args__ = (
        sa.Index('ix_transactions_watch_id_value_date', 'watch_id', 'value_date'),
        sa.Index('ix_transactions_type_value_date', 'type', 'value_date'),
        sa.Index('ix_transactions_user_id_value_date', 'user_id', 'value_date'),
        sa.CheckConstraint('amount <> 0', name='amount_not_zero'),
        sa.CheckConstraint('fx_rate > 0', name='fx_rate_positive'),
    )

    id: int | None = Field(default=None, primary_key=True)
    type: TransactionType = Field(sa_type=enum_type(TransactionType))
    value_date: date
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    fx_rate: Decimal = Field(sa_type=Rate)
    base_amount: Decimal = Field(sa_type=Money)
    base_currency: str = Field(max_length=3)
    watch_id: int | None = Field(default=None, foreign_key='watches.id', ondelete='RESTRICT')
    user_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    contact_id: int | None = Field(default=None, foreign_key='contacts.id', ondelete='RESTRICT', index=True)
    batch_id: int | None = Field(default=None, foreign_key='batches.id', ondelete='RESTRICT', index=True)
    sale_id: int | None = Field(default=None, foreign_key='sales.id', ondelete='RESTRICT', index=True)
    reverses_id: int | None = Field(default=None, foreign_key='transactions.id', ondelete='RESTRICT', unique=True)
    reference: str | None = Field(default=None, max_length=80, index=True)
    memo: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    created_at: datetime = created_at_field()
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64, unique=True)


class LedgerHead(SQLModel, table=True):
    """One row every booking locks first (UPDATE), so bookings chain one after another on both databases.

    Without it two concurrent bookings could read the same last hash and both chain onto it.
    """

    __tablename__ = 'ledger_head'

    id: int = Field(primary_key=True)
    booked_at: datetime | None = timestamp_field()


class FxRate(SQLModel, table=True):
    """Units of `currency` per one unit of the base currency on a day (the ECB's quotation)."""

    __tablename__ = 'fx_rates'
    __table_args__ = (
        sa.UniqueConstraint('currency', 'rate_date'),
        sa.CheckConstraint('rate > 0', name='rate_positive'),
    )

    id: int | None = Field(default=None, primary_key=True)
    rate_date: date = Field(index=True)
    currency: str = Field(max_length=3)
    rate: Decimal = Field(sa_type=Rate)
    source: str = Field(max_length=20)
    created_at: datetime = created_at_field()


class CommissionRule(SQLModel, table=True):
    """What a user (or everyone in a role) earns per sale; `tiers` are thresholds with their own percentage."""

    __tablename__ = 'commission_rules'
    __table_args__ = (
        sa.CheckConstraint('user_id IS NOT NULL OR role IS NOT NULL', name='has_subject'),
        sa.CheckConstraint('percent >= 0 AND percent <= 100', name='percent_range'),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key='users.id', ondelete='CASCADE', index=True)
    role: Role | None = Field(default=None, sa_type=enum_type(Role))
    basis: CommissionBasis = Field(sa_type=enum_type(CommissionBasis))
    percent: Decimal = Field(sa_type=Rate)
    tiers: list = Field(default_factory=list, sa_type=JSONType)
    minimum: Decimal | None = Field(default=None, sa_type=Money)
    maximum: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(max_length=3)
    valid_from: date
    valid_to: date | None = None
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()
