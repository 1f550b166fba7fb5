"""Shared table conventions: constraint names Alembic can find on SQLite, and the common columns."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.types import UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    'ix': 'ix_%(column_0_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

metadata = SQLModel.metadata


def created_at_field() -> datetime:
    """A creation timestamp set by Python, so both databases agree on the time zone."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def timestamp_field(*, nullable: bool = True, index: bool = False) -> datetime | None:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)
