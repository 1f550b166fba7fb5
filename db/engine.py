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
# SQLite reads: the memory-mapped part of the file (address space, not memory: the OS cache is shared by all
# connections) and each connection's own page cache.
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 16_384


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine: SQLite with the pragmas it needs for concurrent readers and enforced foreign keys,
    PostgreSQL planning each statement for its own values."""
    if url.startswith('sqlite'):
        Path(sa.make_url(url).database or '').parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30}, **kwargs)
        sa.event.listen(engine, 'connect', _sqlite_pragmas)
        return engine
    kwargs.setdefault('pool_size', 10)
    kwargs.setdefault('max_overflow', 10)
    # psycopg prepares a statement after its fifth run, and PostgreSQL then soon settles on a generic plan that
    # ignores the values: the same search shape for a rare word and a common one, or a cheap brand and a dear
    # one, wants different plans (a generic one made filtered searches four times slower). Plan every run.
    return sa.create_engine(url, pool_pre_ping=True, connect_args={'prepare_threshold': None}, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, enforced foreign keys, and reads that scale with the catalogue: the file is
    memory-mapped (pages come straight from the OS cache, without a read call and a copy each) and each
    connection keeps a larger page cache than the 2 MB default. A search for a common word visits thousands
    of rows; this roughly halves what those visits cost."""
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute(f'PRAGMA mmap_size={SQLITE_MMAP_BYTES}')
    cursor.execute(f'PRAGMA cache_size=-{SQLITE_CACHE_KIB}')
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
