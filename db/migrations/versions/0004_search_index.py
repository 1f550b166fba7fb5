"""Full-text search index: SQLite FTS5 tables or a PostgreSQL tsvector column, kept in step with the watches.

The index changes in the same transaction as the watch, so search is never stale. It holds live watches
only: a search that needs no filters and no row scope is answered from the index alone, without reading a
row of `watches`. Every object here is named `search_*` (`ix_search_*` for indexes), which is how schema
comparison knows to skip it (`db.search_schema`). A later migration that rebuilds `watches` in batch mode on
SQLite must drop the view `search_live_watches` first (SQLite refuses to rename a table while a view names a
missing one) and create the view and the triggers again afterwards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The searchable text of a watch; the serial is deliberately absent (it is matched exactly, and only for
# roles that may see it, straight from `watches`).
TEXT = ('sku', 'brand', 'model', 'reference', 'reference_norm', 'calibre', 'description', 'notes')
IDENTITY = ('brand', 'model', 'calibre')
# SQLite: table -> (its columns, its FTS5 options). Both read their text from the view of live watches.
FTS5 = {
    'search_fts': (TEXT, "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'"),
    'search_trigram': (('model',), "tokenize='trigram'"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in FTS5:
            for event in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER {table}_{event}')
        op.execute('DROP TABLE search_vocab')
        for table in FTS5:
            op.execute(f'DROP TABLE {table}')
        op.execute('DROP VIEW search_live_watches')
        return
    for trigger, function in (('insert', 'statement'), ('update', 'row')):
        op.execute(f'DROP TRIGGER search_vocabulary_{trigger} ON watches')
        op.execute(f'DROP FUNCTION search_vocabulary_{function}()')
    op.execute('DROP TABLE search_vocabulary')
    op.execute('DROP INDEX ix_search_watches_model')
    op.execute('DROP INDEX ix_search_watches_document')
    op.execute('ALTER TABLE watches DROP COLUMN search_document')
    op.execute('DROP FUNCTION search_document(text, text, text, text, text, text, text, text)')
    op.execute('DROP FUNCTION search_identity(text, text, text)')
    op.execute('DROP FUNCTION search_words(text)')


def _sqlite_upgrade() -> None:
    """External-content FTS5 tables over the view of live watches (the text is stored once), with triggers
    that add a watch when it becomes live and remove it when it is deleted or its text changes."""
    op.execute(f'CREATE VIEW search_live_watches AS SELECT id, {", ".join(TEXT)} FROM watches WHERE deleted_at IS NULL')
    for table, (columns, options) in FTS5.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(columns)}, content='search_live_watches', "
            f"content_rowid='id', {options})"
        )
        names = ', '.join(columns)
        new = ', '.join(f'new.{column}' for column in columns)
        old = ', '.join(f'old.{column}' for column in columns)
        insert = f'INSERT INTO {table}(rowid, {names}) SELECT new.id, {new} WHERE new.deleted_at IS NULL;'
        delete = f"INSERT INTO {table}({table}, rowid, {names}) SELECT 'delete', old.id, {old} "
        delete += 'WHERE old.deleted_at IS NULL;'
        op.execute(f'CREATE TRIGGER {table}_insert AFTER INSERT ON watches BEGIN {insert} END')
        op.execute(f'CREATE TRIGGER {table}_delete AFTER DELETE ON watches BEGIN {delete} END')
        op.execute(
            f'CREATE TRIGGER {table}_update AFTER UPDATE OF {names}, deleted_at ON watches BEGIN {delete} {insert} END'
        )
        op.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")
    op.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'col')")


def _postgres_upgrade() -> None:
    """A generated tsvector on the watch itself (weights A: identity, B: the rest) under a GIN index of live
    watches, so one index scan serves the text, the filters and the sort of the same row; a vocabulary of
    identity words for typo correction, and a trigram index for the list's "model contains" filter."""
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.execute(
        'CREATE FUNCTION search_words(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS '
        "$$ SELECT lower(regexp_replace(coalesce(value, ''), '[^[:alnum:]]+', ' ', 'g')) $$"
    )
    op.execute(
        'CREATE FUNCTION search_document(sku text, brand text, model text, reference text, reference_norm text, '
        'calibre text, description text, notes text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ '
        "SELECT setweight(to_tsvector('simple', search_words(concat_ws(' ', sku, brand, model, reference, "
        "reference_norm))), 'A') || setweight(to_tsvector('simple', search_words(concat_ws(' ', calibre, "
        "description, notes))), 'B') $$"
    )
    op.execute(
        'CREATE FUNCTION search_identity(brand text, model text, calibre text) RETURNS text[] LANGUAGE sql '
        "IMMUTABLE PARALLEL SAFE AS $$ SELECT string_to_array(trim(search_words(concat_ws(' ', brand, model, "
        "calibre))), ' ') $$"
    )
    op.execute(
        'ALTER TABLE watches ADD COLUMN search_document tsvector '
        f'GENERATED ALWAYS AS (search_document({", ".join(TEXT)})) STORED'
    )
    op.execute(
        'CREATE INDEX ix_search_watches_document ON watches USING gin (search_document) WHERE deleted_at IS NULL'
    )
    op.execute('CREATE INDEX ix_search_watches_model ON watches USING gin (model gin_trgm_ops)')
    op.execute('CREATE TABLE search_vocabulary (word text PRIMARY KEY)')
    # New watches arrive in bulk (imports, the demo data): one insert of their words per statement; an edit
    # of a name adds its words row by row. Words are never taken out: a stale one only costs a candidate.
    for level, rows in (('statement', 'added'), ('row', '(SELECT NEW.*)')):
        op.execute(
            f'CREATE FUNCTION search_vocabulary_{level}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            f'INSERT INTO search_vocabulary SELECT DISTINCT word FROM {rows} AS watch, '
            "unnest(search_identity(watch.brand, watch.model, watch.calibre)) AS word WHERE word <> '' "
            'ON CONFLICT DO NOTHING; RETURN NULL; END $$'
        )
    op.execute(
        'CREATE TRIGGER search_vocabulary_insert AFTER INSERT ON watches REFERENCING NEW TABLE AS added '
        'FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_statement()'
    )
    op.execute(
        f'CREATE TRIGGER search_vocabulary_update AFTER UPDATE OF {", ".join(IDENTITY)} ON watches '
        'FOR EACH ROW EXECUTE FUNCTION search_vocabulary_row()'
    )
    op.execute(
        'INSERT INTO search_vocabulary SELECT DISTINCT word FROM watches, '
        "unnest(search_identity(brand, model, calibre)) AS word WHERE word <> '' ON CONFLICT DO NOTHING"
    )
