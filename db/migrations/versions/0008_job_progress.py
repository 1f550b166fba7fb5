"""Jobs remember their plan and where they are in it, so an interrupted job resumes instead of starting over.

`keys` holds the item keys planned at start (or the failed ones on a retry), `position` how many of them are
behind us, `current` the item being worked on, `heartbeat_at` when the runner last said it was alive (a sweep
marks a running job whose heartbeat stopped as interrupted), and `title` what the job is called on screens.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import JSONType, UTCDateTime

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('title', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('keys', JSONType, nullable=True))
        batch.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('current', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', UTCDateTime(), nullable=True))
    op.create_index('ix_jobs_finished_at', 'jobs', ['finished_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_finished_at', table_name='jobs')
    with op.batch_alter_table('jobs') as batch:
        for name in ('heartbeat_at', 'current', 'position', 'keys', 'title'):
            batch.drop_column(name)
