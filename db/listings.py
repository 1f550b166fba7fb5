"""Watches on auction platforms, and the editable mapping from a watch to a platform's fields."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import ListingStatus, Platform
from db.types import JSONType, Money, enum_type


class Listing(SQLModel, table=True):
    """A watch on one platform; `fields` holds that platform's own attributes."""

    __tablename__ = 'platform_data'
    __table_args__ = (
        sa.UniqueConstraint('platform', 'external_id'),
        sa.Index('ix_platform_data_status_updated_at', 'status', 'updated_at'),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='CASCADE', index=True)
    platform: Platform = Field(sa_type=enum_type(Platform))
    status: ListingStatus = Field(default=ListingStatus.DRAFT, sa_type=enum_type(ListingStatus))
    external_id: str | None = Field(default=None, max_length=60)
    url: str | None = Field(default=None, max_length=500)
    fields: dict = Field(default_factory=dict, sa_type=JSONType)
    price: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = Field(default=None, max_length=3)
    synced_at: datetime | None = timestamp_field()
    last_error: str | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class PlatformTemplate(SQLModel, table=True):
    """How a watch's attributes become one platform's fields (title pattern, category, defaults)."""

    __tablename__ = 'platform_templates'
    __table_args__ = (sa.UniqueConstraint('platform', 'name'),)

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = Field(sa_type=enum_type(Platform))
    name: str = Field(max_length=80)
    mapping: dict = Field(default_factory=dict, sa_type=JSONType)
    active: bool = Field(default=True)
    updated_at: datetime = created_at_field()
