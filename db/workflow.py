"""The configurable workflow: stages, the moves allowed between them and by whom, and each watch's history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field
from db.types import JSONType


class Stage(SQLModel, table=True):
    """A step in a watch's life (Intake, Photographed, ... Delivered); `key` is stable, `name` is editable."""

    __tablename__ = 'stages'

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=60)
    colour: str = Field(default='#64748b', max_length=9)
    position: int = Field(default=0)
    is_initial: bool = Field(default=False)
    in_stock: bool = Field(default=True)
    active: bool = Field(default=True)


class StageTransition(SQLModel, table=True):
    """An allowed move and the roles that may make it; automatic moves are made by the system itself."""

    __tablename__ = 'stage_transitions'
    __table_args__ = (
        sa.UniqueConstraint('from_stage_id', 'to_stage_id'),
        sa.CheckConstraint('from_stage_id <> to_stage_id', name='not_to_itself'),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_stage_id: int = Field(foreign_key='stages.id', ondelete='CASCADE')
    to_stage_id: int = Field(foreign_key='stages.id', ondelete='CASCADE')
    roles: list[str] = Field(default_factory=list, sa_type=JSONType)
    automatic: bool = Field(default=False)


class StageEvent(SQLModel, table=True):
    """One move of one watch: who moved it, when, from where to where."""

    __tablename__ = 'stage_events'
    __table_args__ = (sa.Index('ix_stage_events_watch_id_at', 'watch_id', 'at'),)

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key='watches.id', ondelete='CASCADE')
    from_stage_id: int | None = Field(default=None, foreign_key='stages.id', ondelete='RESTRICT')
    to_stage_id: int = Field(foreign_key='stages.id', ondelete='RESTRICT')
    actor_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    note: str | None = Field(default=None, max_length=500)
    at: datetime = created_at_field()
