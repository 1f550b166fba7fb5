"""Finance: sales, the ledger head every booking locks, a sale link on bookings, statements to reconcile, and
finance reports.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ledger_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booked_at', db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head')),
    )
    op.create_table(
        'statement_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            'columns', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False
        ),
        sa.Column('date_format', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('decimal_separator', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column('default_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column('builtin', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_statement_mappings_created_by_id_users'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_mappings')),
        sa.UniqueConstraint('name', name=op.f('uq_statement_mappings_name')),
    )
    op.create_table(
        'finance_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            'data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False
        ),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_finance_reports_created_by_id_users'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['job_id'], ['jobs.id'], name=op.f('fk_finance_reports_job_id_jobs'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_reports')),
    )
    with op.batch_alter_table('finance_reports', schema=None) as batch_op:
        batch_op.create_index('ix_finance_reports_period_start', ['period_start'], unique=False)

    op.create_table(
        'statement_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('mapping_id', sa.Integer(), nullable=True),
        sa.Column('line_count', sa.Integer(), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['imported_by_id'],
            ['users.id'],
            name=op.f('fk_statement_imports_imported_by_id_users'),
            ondelete='RESTRICT',
        ),
        sa.ForeignKeyConstraint(
            ['mapping_id'],
            ['statement_mappings.id'],
            name=op.f('fk_statement_imports_mapping_id_statement_mappings'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_imports')),
    )
    op.create_table(
        'sales',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('watch_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('buyer_id', sa.Integer(), nullable=True),
        sa.Column('price', db.types.Money(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('sold_on', sa.Date(), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('previous_stage_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.Column('reversed_at', db.types.UTCDateTime(), nullable=True),
        sa.Column('reversed_by_id', sa.Integer(), nullable=True),
        sa.Column('reversal_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint('price > 0', name=op.f('ck_sales_price_positive')),
        sa.ForeignKeyConstraint(
            ['buyer_id'], ['contacts.id'], name=op.f('fk_sales_buyer_id_contacts'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_sales_created_by_id_users'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['previous_stage_id'], ['stages.id'], name=op.f('fk_sales_previous_stage_id_stages'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['reversed_by_id'], ['users.id'], name=op.f('fk_sales_reversed_by_id_users'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['watch_id'], ['watches.id'], name=op.f('fk_sales_watch_id_watches'), ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sales')),
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_reference'), ['reference'], unique=False)
        batch_op.create_index('ix_sales_sold_on', ['sold_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_watch_id'), ['watch_id'], unique=False)
        batch_op.create_index(
            'ux_sales_watch_in_force',
            ['watch_id'],
            unique=True,
            sqlite_where=sa.text('reversed_at IS NULL'),
            postgresql_where=sa.text('reversed_at IS NULL'),
        )

    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sale_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transactions_sale_id'), ['sale_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_transactions_sale_id_sales'), 'sales', ['sale_id'], ['id'], ondelete='RESTRICT'
        )
    _append_only_again()
    op.execute('INSERT INTO ledger_head (id) VALUES (1)')

    op.create_table(
        'statement_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('value_date', sa.Date(), nullable=False),
        sa.Column('amount', db.types.Money(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('sale_id', sa.Integer(), nullable=True),
        sa.Column('transaction_id', sa.Integer(), nullable=True),
        sa.Column('expected_amount', db.types.Money(), nullable=True),
        sa.Column('difference', db.types.Money(), nullable=True),
        sa.Column('adjustment_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('matched', 'mismatched', 'unmatched', 'approved', 'dismissed')",
            name=op.f('ck_statement_lines_status_known'),
        ),
        sa.ForeignKeyConstraint(
            ['adjustment_id'],
            ['transactions.id'],
            name=op.f('fk_statement_lines_adjustment_id_transactions'),
            ondelete='RESTRICT',
        ),
        sa.ForeignKeyConstraint(
            ['decided_by_id'], ['users.id'], name=op.f('fk_statement_lines_decided_by_id_users'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['import_id'],
            ['statement_imports.id'],
            name=op.f('fk_statement_lines_import_id_statement_imports'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['sale_id'], ['sales.id'], name=op.f('fk_statement_lines_sale_id_sales'), ondelete='RESTRICT'
        ),
        sa.ForeignKeyConstraint(
            ['transaction_id'],
            ['transactions.id'],
            name=op.f('fk_statement_lines_transaction_id_transactions'),
            ondelete='RESTRICT',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_lines')),
        sa.UniqueConstraint('import_id', 'line_no', name=op.f('uq_statement_lines_import_id_line_no')),
    )
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.create_index('ix_statement_lines_import_id_status', ['import_id', 'status'], unique=False)


def downgrade() -> None:

    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_lines_import_id_status')

    op.drop_table('statement_lines')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_transactions_sale_id_sales'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transactions_sale_id'))
        batch_op.drop_column('sale_id')
    _append_only_again()
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index(
            'ux_sales_watch_in_force',
            sqlite_where=sa.text('reversed_at IS NULL'),
            postgresql_where=sa.text('reversed_at IS NULL'),
        )
        batch_op.drop_index(batch_op.f('ix_sales_watch_id'))
        batch_op.drop_index('ix_sales_sold_on')
        batch_op.drop_index(batch_op.f('ix_sales_reference'))
        batch_op.drop_index(batch_op.f('ix_sales_buyer_id'))

    op.drop_table('sales')
    op.drop_table('statement_imports')
    with op.batch_alter_table('finance_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_reports_period_start')

    op.drop_table('finance_reports')
    op.drop_table('statement_mappings')
    op.drop_table('ledger_head')


def _append_only_again() -> None:
    """SQLite's batch mode rebuilds `transactions`, which drops its triggers: put the append-only guard back."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for verb in ('UPDATE', 'DELETE'):
        op.execute(
            f'CREATE TRIGGER transactions_no_{verb.lower()} BEFORE {verb} ON transactions '
            f"BEGIN SELECT RAISE(ABORT, 'transactions is append-only: {verb} is not allowed'); END"
        )
