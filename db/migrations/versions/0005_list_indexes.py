"""Indexes for the inventory list's remaining slow sorts and filters at 100,000 watches.

Sorting by stage or location reads each stage (location) in id order; watches without photos and a price
range are listed newest first from the index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'), 'postgresql_where': sa.text('deleted_at IS NULL')}
INDEXES = {
    'ix_watches_live_stage_id_cost': ['stage_id', 'id', 'purchase_cost_base'],
    'ix_watches_live_location_id_id': ['location_id', 'id'],
    'ix_watches_live_image_count_created_at': ['image_count', 'created_at', 'id'],
    'ix_watches_live_asking_price_created_at': ['asking_price', 'created_at', 'id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'watches', columns, unique=False, **LIVE)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='watches', **LIVE)
