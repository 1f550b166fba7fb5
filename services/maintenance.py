"""Database housekeeping that keeps queries fast as the data grows; nothing here changes business data."""

from __future__ import annotations

from db.engine import get_engine


def optimize_database() -> str:
    """Refresh planner statistics (SQLite `PRAGMA optimize`, PostgreSQL `ANALYZE`); returns what ran."""
    engine = get_engine()
    statement = 'PRAGMA optimize' if engine.dialect.name == 'sqlite' else 'ANALYZE'
    with engine.connect() as connection:
        connection.exec_driver_sql(statement)
        connection.commit()
    return statement
