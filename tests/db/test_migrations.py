"""One Alembic history serves SQLite and PostgreSQL, and it agrees with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.engine import get_engine
from db.migrate import current_revision, downgrade, head_revision, upgrade
from db.search_schema import include_object
from db.tables import APPEND_ONLY, metadata


def test_a_migrated_database_has_no_pending_autogenerate_diff(db):
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={'compare_type': True, 'include_object': include_object})
        assert compare_metadata(context, metadata) == []
    assert current_revision(get_engine()) == head_revision()


def test_every_table_of_the_domain_exists_with_its_unique_keys(db):
    inspector = sa.inspect(get_engine())
    expected = {'users', 'watches', 'watch_images', 'batches', 'transactions', 'platform_data', 'audit_log'}
    assert expected <= set(inspector.get_table_names())
    uniques = {
        table: {tuple(u['column_names']) for u in inspector.get_unique_constraints(table)}
        for table in ('users', 'watches', 'batches')
    }
    assert ('email',) in uniques['users']
    assert ('sku',) in uniques['watches']
    assert ('batch_number',) in uniques['batches']
    indexes = {tuple(index['column_names']) for index in inspector.get_indexes('watches')}
    assert ('stage_id', 'created_at', 'purchase_cost_base') in indexes


def test_the_default_workflow_is_in_place(db):
    with get_engine().connect() as connection:
        keys = connection.exec_driver_sql('SELECT key FROM stages ORDER BY position').scalars().all()
        moves = connection.exec_driver_sql('SELECT count(*) FROM stage_transitions').scalar_one()
    assert keys[:8] == [
        'intake',
        'photographed',
        'described',
        'ready_to_list',
        'listed',
        'sold',
        'shipped',
        'delivered',
    ]
    assert {'on_hold', 'in_service', 'returned'} <= set(keys)
    assert moves > 10


def test_downgrade_to_nothing_and_back_up_again(db):
    downgrade()
    assert set(sa.inspect(get_engine()).get_table_names()) <= {'alembic_version'}
    upgrade()
    assert set(APPEND_ONLY) <= set(sa.inspect(get_engine()).get_table_names())
    assert current_revision(get_engine()) == head_revision()
