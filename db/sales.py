"""Sales recorded by hand (and later by the marketplaces): what a watch sold for, where and to whom.

The money itself lives in the ledger (`transactions.sale_id`); this row is what the bookings of one sale share,
and what a reversal marks, so a sale can be reversed once and only as a whole.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.types import Money

_LIVE = {'sqlite_where': sa.text('reversed_at IS NULL'), 'postgresql_where': sa.text('reversed_at IS NULL')}


class Sale(SQLModel, table=True):
    """One sale of one watch; at most one sale per watch is in force (not reversed) at a time."""

    __tablename__ = 'sales'
    __table_args__ = (
        sa.Index('ux_sales_watch_in_force', 'watch_id', unique=True, **_LIVE),
        sa.Index('ix_sales_sold_on', 'sold_on'),
        sa.CheckConstraint('price > 0', name='price_positive'),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='RESTRICT', index=True)
    channel: str = Field(max_length=30)
    buyer_id: int | None = Field(default=None, foreign_key='contacts.id', ondelete='RESTRICT', index=True)
    price: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    sold_on: date
    reference: str | None = Field(default=None, max_length=80, index=True)
    previous_stage_id: int | None = Field(default=None, foreign_key='stages.id', ondelete='RESTRICT')
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    created_at: datetime = created_at_field()
    reversed_at: datetime | None = timestamp_field()
    reversed_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    reversal_reason: str | None = Field(default=None, max_length=500)
