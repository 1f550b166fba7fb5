"""Alembic environment: one history for SQLite (batch mode) and PostgreSQL, URL from the settings."""

from alembic import context

from db.engine import get_engine, make_engine
from db.search_schema import include_object
from db.tables import metadata
from db.types import ScaledDecimal, UTCDateTime


def _render_item(kind: str, obj: object, autogen_context) -> str | bool:
    """Render our own column types as `db.types.X()`; everything else the default way."""
    if kind == 'type' and isinstance(obj, ScaledDecimal | UTCDateTime):
        return f'db.types.{obj!r}'
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
        render_item=_render_item,
        include_object=include_object,
    )


def run_migrations_online() -> None:
    url = context.config.get_main_option('sqlalchemy.url')
    engine = make_engine(url) if url else get_engine()
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    if url:
        engine.dispose()


run_migrations_online()
