"""Parcels we send: the carrier's label and tracking, and what the carrier reported along the way."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import ShipmentStatus
from db.types import Money, enum_type


class Shipment(SQLModel, table=True):
    """A parcel for a sold watch or a whole batch; `label_path` points into the media store."""

    __tablename__ = 'shipments'
    __table_args__ = (sa.Index('ix_shipments_status_created_at', 'status', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int | None = Field(default=None, foreign_key='watches.id', ondelete='SET NULL', index=True)
    batch_id: int | None = Field(default=None, foreign_key='batches.id', ondelete='SET NULL', index=True)
    recipient_id: int | None = Field(default=None, foreign_key='contacts.id', ondelete='SET NULL')
    carrier: str = Field(max_length=40)
    service: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60, index=True)
    label_path: str | None = Field(default=None, max_length=300)
    status: ShipmentStatus = Field(default=ShipmentStatus.DRAFT, sa_type=enum_type(ShipmentStatus))
    cost: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = created_at_field()
    shipped_at: datetime | None = timestamp_field()
    delivered_at: datetime | None = timestamp_field()


class ShipmentEvent(SQLModel, table=True):
    """One tracking event as the carrier reported it."""

    __tablename__ = 'shipment_events'
    __table_args__ = (sa.UniqueConstraint('shipment_id', 'at', 'code'),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key='shipments.id', ondelete='CASCADE', index=True)
    at: datetime = created_at_field()
    code: str = Field(max_length=40)
    description: str | None = Field(default=None, max_length=300)
    location: str | None = Field(default=None, max_length=120)
