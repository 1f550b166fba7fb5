"""A throw-away installation for a benchmark: a migrated SQLite file in its own var/ directory, or a migrated
scratch database on a PostgreSQL server.

The benchmarks run as scripts from the checkout (`.venv/bin/python bench/NAME.py`), so this module also puts
the checkout on the import path before any project module is imported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def scratch_sqlite() -> Iterator[Path]:
    """Point the settings at a fresh directory with a migrated `bench.db`; everything is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix='svcrm-bench-') as scratch:
        os.environ.update(SV_VAR_DIR=scratch, SV_DATABASE_URL=f'sqlite:///{scratch}/bench.db', SV_REDIS_URL='')
        os.environ.pop('SV_MEDIA_DIR', None)
        from db.engine import get_engine
        from db.migrate import upgrade

        upgrade()
        try:
            yield Path(scratch)
        finally:
            get_engine().dispose()


@contextmanager
def scratch_postgres(server_url: str, name: str) -> Iterator[str]:
    """A migrated database `name` on the server, made the process's database, and dropped afterwards.

    Run it inside `scratch_sqlite()` or another scratch var/ directory: the settings still want one.
    """
    import sqlalchemy as sa

    from config import get_settings
    from db.engine import use_engine
    from db.migrate import upgrade

    base = sa.make_url('postgresql+psycopg://' + server_url.split('://', 1)[1])
    admin = sa.create_engine(base.set(database='postgres'), isolation_level='AUTOCOMMIT')
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    with admin.connect() as connection:
        connection.exec_driver_sql(drop)
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    os.environ['SV_DATABASE_URL'] = url
    get_settings.cache_clear()
    use_engine(None)
    upgrade(url)
    try:
        yield url
    finally:
        use_engine(None)
        with admin.connect() as connection:
            connection.exec_driver_sql(drop)
        admin.dispose()
