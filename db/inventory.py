"""The catalogue: watches, their photos (and those taken at intake before the watch exists), and the SKU counter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import Gender, Movement
from db.types import JSONType, Money, enum_type

_SORTED = ('model', 'year', 'condition_grade', 'asking_price', 'purchase_cost_base', 'image_count')
_LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'), 'postgresql_where': sa.text('deleted_at IS NULL')}


class Watch(SQLModel, table=True):
    """One unique watch. `version` guards against two people saving over each other.

    `purchase_cost_base` is the purchase cost converted at the rate booked with the purchase, kept here so
    stock value and cost sorting need no join with the ledger. Deleted watches keep their row (and SKU).
    """

    __tablename__ = 'watches'
    __table_args__ = (
        sa.Index('ix_watches_created_at', 'created_at'),
        # Live watches by stage: the list filtered by stage in date order, and (covering) the stock counts and
        # value per stage without reading the table; one index, so SQLite's planner cannot pick a worse one.
        sa.Index('ix_watches_live_stage_created_cost', 'stage_id', 'created_at', 'purchase_cost_base', **_LIVE),
        sa.Index('ix_watches_live_agent_stage_cost', 'agent_id', 'stage_id', 'purchase_cost_base', **_LIVE),
        # Sorting the inventory list by these columns reads the index in order (id breaks ties, as the list does).
        *(sa.Index(f'ix_watches_live_{column}_id', column, 'id', **_LIVE) for column in _SORTED),
        # Sorting by stage or location reads one stage (location) after another, each in id order; the stage one
        # also covers the stock counts and value per stage, so whichever SQLite picks for those reads no rows.
        sa.Index('ix_watches_live_stage_id_cost', 'stage_id', 'id', 'purchase_cost_base', **_LIVE),
        sa.Index('ix_watches_live_location_id_id', 'location_id', 'id', **_LIVE),
        # The newest first among watches without photos or within a price range, from the index alone. SQLite
        # keeps no statistics on values: without these it reads every watch when none lacks photos, and every
        # row in the range to sort it by date.
        sa.Index('ix_watches_live_image_count_created_at', 'image_count', 'created_at', 'id', **_LIVE),
        sa.Index('ix_watches_live_asking_price_created_at', 'asking_price', 'created_at', 'id', **_LIVE),
        sa.Index('ix_watches_brand_created_at', 'brand', 'created_at'),
        sa.Index('ix_watches_location_id_created_at', 'location_id', 'created_at'),
        sa.Index('ix_watches_agent_id_created_at', 'agent_id', 'created_at'),
        sa.Index('ix_watches_seller_id_created_at', 'seller_id', 'created_at'),
        sa.Index('ix_watches_batch_id_created_at', 'batch_id', 'created_at'),
        sa.CheckConstraint('year IS NULL OR year BETWEEN 1800 AND 2200', name='year_plausible'),
        sa.CheckConstraint('case_diameter_mm IS NULL OR case_diameter_mm BETWEEN 15 AND 60', name='diameter_plausible'),
        sa.CheckConstraint('purchase_cost IS NULL OR purchase_cost >= 0', name='cost_not_negative'),
        sa.CheckConstraint('asking_price IS NULL OR asking_price >= 0', name='asking_not_negative'),
        sa.CheckConstraint('reserve_price IS NULL OR reserve_price >= 0', name='reserve_not_negative'),
        sa.CheckConstraint('version >= 1', name='version_positive'),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=40, unique=True)
    brand: str = Field(max_length=60)
    model: str = Field(max_length=120)
    reference: str | None = Field(default=None, max_length=60, index=True)
    reference_norm: str | None = Field(default=None, max_length=60, index=True)
    serial: str | None = Field(default=None, max_length=60, index=True)
    movement: Movement | None = Field(default=None, sa_type=enum_type(Movement))
    calibre: str | None = Field(default=None, max_length=60)
    year: int | None = None
    period: str | None = Field(default=None, max_length=40)
    case_material: str | None = Field(default=None, max_length=60)
    case_diameter_mm: float | None = None
    dial: str | None = Field(default=None, max_length=80)
    strap: str | None = Field(default=None, max_length=80)
    gender: Gender | None = Field(default=None, sa_type=enum_type(Gender))
    condition: dict = Field(default_factory=dict, sa_type=JSONType)
    condition_grade: str | None = Field(default=None, max_length=4)
    box: bool = Field(default=False)
    papers: bool = Field(default=False)
    service_history: list = Field(default_factory=list, sa_type=JSONType)
    description: str | None = None
    notes: str | None = None
    location_id: int | None = Field(default=None, foreign_key='locations.id', ondelete='RESTRICT')
    stage_id: int = Field(foreign_key='stages.id', ondelete='RESTRICT')
    batch_id: int | None = Field(default=None, foreign_key='batches.id', ondelete='SET NULL')
    agent_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    seller_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    supplier_id: int | None = Field(default=None, foreign_key='contacts.id', ondelete='SET NULL', index=True)
    purchase_cost: Decimal | None = Field(default=None, sa_type=Money)
    purchase_currency: str | None = Field(default=None, max_length=3)
    purchase_cost_base: Decimal | None = Field(default=None, sa_type=Money)
    asking_price: Decimal | None = Field(default=None, sa_type=Money)
    reserve_price: Decimal | None = Field(default=None, sa_type=Money)
    price_currency: str | None = Field(default=None, max_length=3)
    purchased_on: date | None = None
    sold_on: date | None = None
    image_count: int = Field(default=0)
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    updated_at: datetime | None = timestamp_field()
    deleted_at: datetime | None = timestamp_field()


class WatchImage(SQLModel, table=True):
    """A photo of a watch. Files are stored once by `checksum` (content address); rows say who shows them where."""

    __tablename__ = 'watch_images'
    __table_args__ = (
        sa.UniqueConstraint('watch_id', 'checksum'),
        sa.Index('ix_watch_images_watch_id_position', 'watch_id', 'position'),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='CASCADE')
    position: int = Field(default=0)
    is_primary: bool = Field(default=False)
    checksum: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    size_bytes: int
    original_name: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class PendingPhoto(SQLModel, table=True):
    """A photo taken during an intake that is not saved yet: its file is already in the media store.

    Keyed to the user and their intake draft (`draft_key`), so the photos come back with the draft after a
    reload or a dropped connection; saving the watch turns them into `WatchImage` rows, a nightly task
    removes those a day old.
    """

    __tablename__ = 'pending_photos'
    __table_args__ = (
        sa.UniqueConstraint('user_id', 'draft_key', 'checksum'),
        sa.Index('ix_pending_photos_created_at', 'created_at'),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE')
    draft_key: str = Field(max_length=32)
    checksum: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    size_bytes: int
    original_name: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_at_field()


class SkuCounter(SQLModel, table=True):
    """The last number handed out per SKU period; only ever incremented, so a SKU is never reused."""

    __tablename__ = 'sku_counters'

    period: str = Field(max_length=20, primary_key=True)
    value: int = Field(default=0)
