"""Creating and cloning throw-away databases for tests, on SQLite (files) and PostgreSQL (template clones)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sqlalchemy as sa

from db.migrate import upgrade


def create_template(pg_url: str, scratch: Path) -> str:
    """Migrate an empty database to head and return its URL."""
    if not pg_url:
        path = scratch / 'template.db'
        upgrade(f'sqlite:///{path}')
        _checkpoint(path)
        return f'sqlite:///{path}'
    url = _psycopg(pg_url)
    name = sa.make_url(url).database
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    upgrade(url)
    return url


def clone(template: str, scratch: Path, number: int) -> str:
    if template.startswith('sqlite'):
        target = scratch / f'test-{number}.db'
        shutil.copyfile(sa.make_url(template).database, target)
        return f'sqlite:///{target}'
    url = sa.make_url(template)
    name = f'{url.database}_{os.getpid()}_{number}'
    _admin(template, f'CREATE DATABASE "{name}" TEMPLATE "{url.database}" STRATEGY FILE_COPY')
    return url.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    if url.startswith('sqlite'):
        for suffix in ('', '-wal', '-shm'):
            Path(sa.make_url(url).database + suffix).unlink(missing_ok=True)
        return
    _admin(url, f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


def drop_template(url: str) -> None:
    if not url.startswith('sqlite'):
        drop(url)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file so a plain copy of it is complete."""
    engine = sa.create_engine(f'sqlite:///{path}')
    with engine.connect() as connection:
        connection.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)')
    engine.dispose()


def _psycopg(url: str) -> str:
    return 'postgresql+psycopg://' + url.split('://', 1)[1]


def _admin(url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    engine = sa.create_engine(sa.make_url(url).set(database='postgres'), isolation_level='AUTOCOMMIT')
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()
