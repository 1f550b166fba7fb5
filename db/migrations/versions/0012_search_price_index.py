"""A price index on every watch, live or deleted, for PostgreSQL's search sorted by price.

PostgreSQL combines two indexes into one bitmap only when their conditions differ, and the partial indexes of
live watches share `deleted_at IS NULL` with the search document's index, so a band of prices could not narrow
a word's matches before the rows were read. This index has no condition, so it can (services/search/postgres.py,
`ordered_page`). SQLite's search reads prices otherwise and gets no index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_search_watches_asking_price ON watches (asking_price)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_search_watches_asking_price')
