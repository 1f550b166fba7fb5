"""Test harness: a fresh, migrated database for every test, on SQLite by default or on PostgreSQL.

Set `SV_TEST_DATABASE_URL` (a database this suite may drop and recreate, e.g. .../svcrm_test) and
`SV_TEST_REDIS_URL` to run the whole suite in server mode. On SQLite each test gets a copy of a file
migrated once; on PostgreSQL each test gets a database cloned from one migrated once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

_SCRATCH = Path(tempfile.mkdtemp(prefix='svcrm-test-'))
os.environ['SV_VAR_DIR'] = str(_SCRATCH / 'var')
os.environ['SV_SECRET_KEY'] = 'test-secret-key-not-for-production'
os.environ['SV_QUEUE_NAME'] = f'svcrm-test-{os.getpid()}'
for _name in ('SV_DATABASE_URL', 'SV_REDIS_URL', 'SV_MEILI_URL', 'SV_MEDIA_DIR'):
    os.environ.pop(_name, None)
if os.environ.get('SV_TEST_REDIS_URL'):
    os.environ['SV_REDIS_URL'] = os.environ['SV_TEST_REDIS_URL']

from config import get_settings  # noqa: E402
from db import engine as db_engine  # noqa: E402
from services import accounts, login_limits  # noqa: E402
from tests import databases  # noqa: E402
from tests.fakes.ecb_server import FakeEcb, ecb_server  # noqa: E402

PG_URL = os.environ.get('SV_TEST_DATABASE_URL', '')
# argon2 is slow on purpose (0.1 s a hash, and as much to check one) and the suite makes and logs in thousands of
# users, so this process hashes with argon2's own cheapest profile. The hashes are still argon2id and carry their
# parameters, so they verify anywhere; the apps the browser tests start keep the production cost for new ones.
accounts._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def pytest_report_header() -> list[str]:
    database = f'PostgreSQL ({PG_URL})' if PG_URL else 'SQLite'
    redis = os.environ.get('SV_TEST_REDIS_URL') or 'none (embedded Huey on SQLite)'
    return [f'svcrm database: {database}; redis: {redis}']


@pytest.fixture(scope='session')
def database_template() -> Iterator[str]:
    """A database migrated to head once per run, which every test's database is copied from."""
    template = databases.create_template(PG_URL, _SCRATCH)
    yield template
    databases.drop_template(template)


@pytest.fixture(scope='session')
def _clones(database_template: str) -> Iterator[databases.Clones]:
    clones = databases.Clones(database_template, _SCRATCH)
    yield clones
    clones.close()


@pytest.fixture
def database_url(_clones: databases.Clones) -> Iterator[str]:
    """A fresh database for this test, installed as the process-wide engine and in the settings."""
    url = _clones.take()
    os.environ['SV_DATABASE_URL'] = url
    get_settings.cache_clear()
    db_engine.use_engine(db_engine.make_engine(url))
    try:
        yield url
    finally:
        db_engine.use_engine(None)
        os.environ.pop('SV_DATABASE_URL', None)
        get_settings.cache_clear()
        login_limits.get_store.cache_clear()  # every login of the suite comes from 127.0.0.1
        _clones.give_back(url)


@pytest.fixture
def db(database_url: str) -> str:
    """Shorthand for tests that only need the database in place."""
    return database_url


@pytest.fixture
def media(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database and this test's own media directory (photos, thumbnails, labels)."""
    monkeypatch.setenv('SV_MEDIA_DIR', str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def ecb(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEcb]:
    """A database and the ECB stand-in (tests/fakes/ecb_server.py), configured as the ECB's address."""
    with ecb_server() as fake:
        monkeypatch.setenv('SV_ECB_BASE_URL', fake.base_url)
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def pytest_sessionfinish() -> None:
    shutil.rmtree(_SCRATCH, ignore_errors=True)
