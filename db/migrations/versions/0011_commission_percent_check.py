"""The commission percentage check on SQLite: there the column holds the percentage in 10^-8 units (db.types.Rate),
so `percent <= 100` refused every rule above 0.000001 %. PostgreSQL keeps NUMERIC and its check is right as it is.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ck_commission_rules_percent_range'


def upgrade() -> None:
    _replace('percent >= 0 AND percent <= 10000000000')


def downgrade() -> None:
    _replace('percent >= 0 AND percent <= 100')


def _replace(condition: str) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('commission_rules', recreate='always') as batch:
        batch.drop_constraint(op.f(NAME), type_='check')
        batch.create_check_constraint(op.f(NAME), condition)
