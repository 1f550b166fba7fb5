"""The one engine of the process and the unit-of-work session scope every service uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config import get_settings

_engine: Engine | None = None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine with the pragmas SQLite needs for concurrent readers and enforced foreign keys."""
    if url.startswith('sqlite'):
        Path(sa.make_url(url).database or '').parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30}, **kwargs)
        sa.event.listen(engine, 'connect', _sqlite_pragmas)
        return engine
    kwargs.setdefault('pool_size', 10)
    kwargs.setdefault('max_overflow', 10)
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.close()


def get_engine() -> Engine:
    """The process-wide engine, built from the settings on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().effective_database_url)
    return _engine


def use_engine(engine: Engine | None) -> None:
    """Swap the process-wide engine (tests give each test a fresh database this way)."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose()
    _engine = engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
