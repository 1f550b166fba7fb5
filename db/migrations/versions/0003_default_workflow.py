"""The default workflow: stages from Intake to Delivered, the side tracks, and who may make each move.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# key, name, colour, in stock
STAGES = [
    ('intake', 'Intake', '#64748b', True),
    ('photographed', 'Photographed', '#0ea5e9', True),
    ('described', 'Described', '#6366f1', True),
    ('ready_to_list', 'Ready to list', '#8b5cf6', True),
    ('listed', 'Listed', '#f59e0b', True),
    ('sold', 'Sold', '#10b981', False),
    ('shipped', 'Shipped', '#14b8a6', False),
    ('delivered', 'Delivered', '#15803d', False),
    ('on_hold', 'On hold', '#a3a3a3', True),
    ('in_service', 'In service', '#d97706', True),
    ('returned', 'Returned', '#dc2626', True),
]

OPS = ['admin', 'manager']
# from, to, roles that may move by hand, whether the system also makes this move by itself
TRANSITIONS = [
    ('intake', 'photographed', [*OPS, 'agent'], False),
    ('photographed', 'described', [*OPS, 'seller'], False),
    ('described', 'ready_to_list', [*OPS, 'seller'], False),
    ('ready_to_list', 'listed', [*OPS, 'seller'], True),
    ('listed', 'ready_to_list', [*OPS, 'seller'], True),
    ('listed', 'sold', [*OPS, 'seller'], True),
    ('sold', 'listed', OPS, False),
    ('sold', 'shipped', OPS, True),
    ('shipped', 'delivered', OPS, True),
    ('shipped', 'returned', OPS, False),
    ('delivered', 'returned', OPS, False),
    ('returned', 'in_service', OPS, False),
    ('returned', 'ready_to_list', OPS, False),
    *[(stage, 'on_hold', OPS, False) for stage in ('intake', 'photographed', 'described', 'ready_to_list')],
    *[('on_hold', stage, OPS, False) for stage in ('intake', 'photographed', 'described', 'ready_to_list')],
    *[(stage, 'in_service', OPS, False) for stage in ('intake', 'photographed', 'described', 'ready_to_list')],
    ('in_service', 'photographed', OPS, False),
    ('in_service', 'ready_to_list', OPS, False),
]


def upgrade() -> None:
    stages = sa.table(
        'stages',
        sa.column('id', sa.Integer),
        sa.column('key', sa.String),
        sa.column('name', sa.String),
        sa.column('colour', sa.String),
        sa.column('position', sa.Integer),
        sa.column('is_initial', sa.Boolean),
        sa.column('in_stock', sa.Boolean),
        sa.column('active', sa.Boolean),
    )
    op.bulk_insert(
        stages,
        [
            {
                'id': index + 1,
                'key': key,
                'name': name,
                'colour': colour,
                'position': (index + 1) * 10,
                'is_initial': key == 'intake',
                'in_stock': in_stock,
                'active': True,
            }
            for index, (key, name, colour, in_stock) in enumerate(STAGES)
        ],
    )
    ids = {key: index + 1 for index, (key, *_rest) in enumerate(STAGES)}
    transitions = sa.table(
        'stage_transitions',
        sa.column('from_stage_id', sa.Integer),
        sa.column('to_stage_id', sa.Integer),
        sa.column('roles', sa.JSON),
        sa.column('automatic', sa.Boolean),
    )
    op.bulk_insert(
        transitions,
        [
            {'from_stage_id': ids[source], 'to_stage_id': ids[target], 'roles': roles, 'automatic': automatic}
            for source, target, roles, automatic in TRANSITIONS
        ],
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('stages', 'id'), (SELECT max(id) FROM stages))")


def downgrade() -> None:
    op.execute('DELETE FROM stage_transitions')
    op.execute('DELETE FROM stages')
