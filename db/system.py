"""What the system itself keeps: long jobs, notifications, the audit trail and run-time settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import JobStatus
from db.types import JSONType, enum_type


class Job(SQLModel, table=True):
    """A long task with its progress, per-item errors and result, shown in the job panel."""

    __tablename__ = 'jobs'
    __table_args__ = (
        sa.Index('ix_jobs_created_by_id_created_at', 'created_by_id', 'created_at'),
        sa.Index('ix_jobs_status_created_at', 'status', 'created_at'),
        sa.Index('ix_jobs_finished_at', 'finished_at'),
        sa.CheckConstraint('done >= 0 AND total >= 0', name='counts_not_negative'),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    title: str = Field(default='', max_length=200)
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=enum_type(JobStatus))
    params: dict = Field(default_factory=dict, sa_type=JSONType)
    done: int = Field(default=0)
    failed: int = Field(default=0)
    total: int = Field(default=0)
    message: str | None = Field(default=None, max_length=500)
    errors: list = Field(default_factory=list, sa_type=JSONType)
    result: dict = Field(default_factory=dict, sa_type=JSONType)
    keys: list | None = Field(default=None, sa_type=JSONType)  # the items planned at start, or a retry's failed ones
    position: int = Field(default=0)  # how many of `keys` are done (or failed); a resume starts here
    current: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = timestamp_field()
    cancel_requested: bool = Field(default=False)
    task_id: str | None = Field(default=None, max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = created_at_field()
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()


class Notification(SQLModel, table=True):
    """A message for one user, linking to the object it is about."""

    __tablename__ = 'notifications'
    __table_args__ = (sa.Index('ix_notifications_user_id_read_at_created_at', 'user_id', 'read_at', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE')
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str | None = Field(default=None, max_length=1000)
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at_field()
    read_at: datetime | None = timestamp_field()


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, from which values to which. The database refuses UPDATE and DELETE."""

    __tablename__ = 'audit_log'
    __table_args__ = (
        sa.Index('ix_audit_log_entity_type_entity_id_at', 'entity_type', 'entity_id', 'at'),
        sa.Index('ix_audit_log_actor_id_at', 'actor_id', 'at'),
        sa.Index('ix_audit_log_at', 'at'),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key='users.id', ondelete='RESTRICT')
    actor_label: str = Field(max_length=254)
    action: str = Field(max_length=60)
    entity_type: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=40)
    before: dict | None = Field(default=None, sa_type=JSONType)
    after: dict | None = Field(default=None, sa_type=JSONType)
    ip: str | None = Field(default=None, max_length=45)


class Setting(SQLModel, table=True):
    """A run-time business setting; secrets (API keys) are stored encrypted in `value` with `secret` set."""

    __tablename__ = 'settings'

    key: str = Field(max_length=80, primary_key=True)
    value: dict = Field(default_factory=dict, sa_type=JSONType)
    secret: bool = Field(default=False)
    updated_at: datetime = created_at_field()
    updated_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
