"""Where watches are (locations) and the groups in which they travel between them (batches)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import BatchStatus, LocationKind
from db.types import enum_type


class Location(SQLModel, table=True):
    """An office, a warehouse, an agent's home, a watchmaker, or the road between them."""

    __tablename__ = 'locations'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: LocationKind = Field(sa_type=enum_type(LocationKind))
    address: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, max_length=2)
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()


class Batch(SQLModel, table=True):
    """Watches moving together from an origin to a destination (open, packed, shipped, delivered)."""

    __tablename__ = 'batches'
    __table_args__ = (sa.Index('ix_batches_status_created_at', 'status', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    batch_number: str = Field(max_length=30, unique=True)
    origin_id: int | None = Field(default=None, foreign_key='locations.id', ondelete='RESTRICT')
    destination_id: int | None = Field(default=None, foreign_key='locations.id', ondelete='RESTRICT')
    status: BatchStatus = Field(default=BatchStatus.OPEN, sa_type=enum_type(BatchStatus))
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60)
    notes: str | None = None
    shipped_at: datetime | None = timestamp_field()
    delivered_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
