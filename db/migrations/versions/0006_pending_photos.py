"""Photos taken during an intake before the watch is saved, so they survive a reload with the draft.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'pending_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('draft_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_pending_photos_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_photos')),
        sa.UniqueConstraint(
            'user_id', 'draft_key', 'checksum', name=op.f('uq_pending_photos_user_id_draft_key_checksum')
        ),
    )
    with op.batch_alter_table('pending_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_photos_checksum'), ['checksum'], unique=False)
        batch_op.create_index('ix_pending_photos_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_photos_created_at')
        batch_op.drop_index(batch_op.f('ix_pending_photos_checksum'))
    op.drop_table('pending_photos')
