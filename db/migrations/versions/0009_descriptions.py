"""Listing texts: every version of a watch's title and description per language (at most one approved), and the
requests sent to a Make.com scenario that wait for its callback.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVED = {'sqlite_where': sa.text("status = 'approved'"), 'postgresql_where': sa.text("status = 'approved'")}


def upgrade() -> None:
    op.create_table(
        'watch_descriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('watch_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('model', sa.String(length=120), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('edited_from_id', sa.Integer(), nullable=True),
        sa.Column('prompt_tokens', sa.Integer(), nullable=False),
        sa.Column('completion_tokens', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', UTCDateTime(), nullable=True),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'approved', 'superseded')", name='status_known'),
        sa.CheckConstraint("provider IN ('builtin', 'openai', 'make', 'manual')", name='provider_known'),
        sa.ForeignKeyConstraint(['watch_id'], ['watches.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['edited_from_id'], ['watch_descriptions.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_watch_descriptions_watch_id_language_created_at',
        'watch_descriptions',
        ['watch_id', 'language', 'created_at'],
        unique=False,
    )
    op.create_index(
        'ux_watch_descriptions_approved', 'watch_descriptions', ['watch_id', 'language'], unique=True, **APPROVED
    )
    op.create_table(
        'description_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('watch_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('completed_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name='status_known'),
        sa.ForeignKeyConstraint(['watch_id'], ['watches.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id'),
    )
    op.create_index('ix_description_requests_watch_id', 'description_requests', ['watch_id'], unique=False)
    op.create_index(
        'ix_description_requests_status_expires_at', 'description_requests', ['status', 'expires_at'], unique=False
    )


def downgrade() -> None:
    op.drop_table('description_requests')
    op.drop_table('watch_descriptions')
