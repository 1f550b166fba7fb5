"""Listing texts of watches: every version anyone (a person or a provider) wrote, and the Make.com requests
still waiting for their callback."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field

_APPROVED = {'sqlite_where': sa.text("status = 'approved'"), 'postgresql_where': sa.text("status = 'approved'")}


class WatchDescription(SQLModel, table=True):
    """One version of a watch's title and text in one language; never edited, only superseded.

    An edit is a new row (`provider` 'manual') pointing at the version it started from, so the history shows
    what a person changed. At most one version per watch and language is approved (a partial unique index).
    """

    __tablename__ = 'watch_descriptions'
    __table_args__ = (
        sa.Index('ix_watch_descriptions_watch_id_language_created_at', 'watch_id', 'language', 'created_at'),
        sa.Index('ux_watch_descriptions_approved', 'watch_id', 'language', unique=True, **_APPROVED),
        sa.CheckConstraint("status IN ('draft', 'approved', 'superseded')", name='status_known'),
        sa.CheckConstraint("provider IN ('builtin', 'openai', 'make', 'manual')", name='provider_known'),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='CASCADE')
    language: str = Field(max_length=8)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    provider: str = Field(max_length=20)
    model: str | None = Field(default=None, max_length=120)
    status: str = Field(default='draft', max_length=20)
    edited_from_id: int | None = Field(default=None, foreign_key='watch_descriptions.id', ondelete='SET NULL')
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    approved_at: datetime | None = timestamp_field()
    approved_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class DescriptionRequest(SQLModel, table=True):
    """A text asked of a Make.com scenario, answered later by its callback (or failed when it never comes)."""

    __tablename__ = 'description_requests'
    __table_args__ = (
        sa.Index('ix_description_requests_status_expires_at', 'status', 'expires_at'),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name='status_known'),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=64, unique=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='CASCADE', index=True)
    language: str = Field(max_length=8)
    job_id: int | None = Field(default=None, foreign_key='jobs.id', ondelete='SET NULL')
    status: str = Field(default='pending', max_length=20)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    expires_at: datetime = timestamp_field(nullable=False)
    completed_at: datetime | None = timestamp_field()
