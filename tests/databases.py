"""Creating and cloning throw-away databases for tests, on SQLite (files) and PostgreSQL (template clones)."""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import threading
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
    _admin(template, f'CREATE DATABASE "{name}" TEMPLATE "{url.database}" STRATEGY WAL_LOG')
    return url.set(database=name).render_as_string(hide_password=False)


class Clones:
    """Fresh copies of the template, one per test. On PostgreSQL a thread makes the next ones, and drops the used
    ones, while a test runs: a clone and a drop take 0.1 to 0.3 s of the server's time each, which would
    otherwise add minutes to the suite.

    Clones are copied block by block through the WAL (`STRATEGY WAL_LOG`): for a database this small that is
    several times faster than copying its files, which first forces a checkpoint of the whole server.
    """

    def __init__(self, template: str, scratch: Path, ahead: int = 2) -> None:
        self.template, self.scratch = template, scratch
        self.numbers = itertools.count()
        self.ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=ahead)
        self.used: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.maker: threading.Thread | None = None
        if not template.startswith('sqlite'):
            self.maker = threading.Thread(target=self._make, name='test database clones', daemon=True)
            self.maker.start()

    def take(self) -> str:
        if self.maker is None:
            return clone(self.template, self.scratch, next(self.numbers))
        made = self.ready.get()
        if isinstance(made, BaseException):
            raise made
        return made

    def give_back(self, url: str) -> None:
        """Drop a test's database: at once on SQLite, by the clone maker on PostgreSQL."""
        if self.maker is None:
            drop(url)
        else:
            self.used.put(url)

    def close(self) -> None:
        """Stop making clones and drop the ones no test took, and the used ones not dropped yet."""
        self.stopping.set()
        while self.maker is not None and self.maker.is_alive():
            self._drop_ready()
            self.maker.join(timeout=0.1)
        self._drop_ready()
        self._drop_used()

    def _make(self) -> None:
        while not self.stopping.is_set():
            try:
                made: str | BaseException = clone(self.template, self.scratch, next(self.numbers))
            except BaseException as error:  # handed to the test that waits for it
                made = error
            while not self.stopping.is_set():
                self._drop_used()
                try:
                    self.ready.put(made, timeout=0.1)
                    break
                except queue.Full:
                    continue
            else:
                if isinstance(made, str):
                    drop(made)

    def _drop_used(self) -> None:
        while True:
            try:
                drop(self.used.get_nowait())
            except queue.Empty:
                return

    def _drop_ready(self) -> None:
        while True:
            try:
                made = self.ready.get_nowait()
            except queue.Empty:
                return
            if isinstance(made, str):
                drop(made)


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
