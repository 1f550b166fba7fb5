"""The command line: every verb listed, and start-up problems reported in one sentence without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import ROOT


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *args], capture_output=True, text=True, env=environment, timeout=60
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith('error: ') and expected in lines[-1], result.stderr


def test_help_lists_the_verbs():
    result = run_cli('--help')
    assert result.returncode == 0
    for verb in ('serve', 'worker', 'migrate', 'seed', 'createadmin', 'createuser'):
        assert verb in result.stdout


def test_malformed_database_url_is_one_sentence():
    result = run_cli('migrate', SV_DATABASE_URL='mysql://somewhere/db')
    assert_one_sentence(result, 'SV_DATABASE_URL must start with postgresql:// or sqlite:///')


def test_malformed_base_currency_is_one_sentence():
    result = run_cli('migrate', SV_BASE_CURRENCY='euro')
    assert_one_sentence(result, 'SV_BASE_CURRENCY must be a three-letter ISO 4217 code')


def test_unreachable_postgresql_stops_start_up():
    result = run_cli('serve', SV_DATABASE_URL='postgresql://postgres@127.0.0.1:9/nowhere')
    assert_one_sentence(result, 'Cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:9/nowhere')


def test_unmigrated_database_stops_start_up(tmp_path: Path):
    result = run_cli('serve', SV_DATABASE_URL=f'sqlite:///{tmp_path / "empty.db"}')
    assert_one_sentence(result, 'is not migrated; run `python main.py migrate` first')


def test_unreachable_redis_stops_start_up(database_url):
    result = run_cli('serve', SV_DATABASE_URL=database_url, SV_REDIS_URL='redis://127.0.0.1:9/0')
    assert_one_sentence(result, 'Cannot reach Redis at redis://127.0.0.1:9/0')


def test_worker_needs_redis(database_url):
    result = run_cli('worker', SV_DATABASE_URL=database_url, SV_REDIS_URL='')
    assert_one_sentence(result, 'A separate worker needs SV_REDIS_URL')


def test_migrate_creates_the_schema(tmp_path: Path):
    url = f'sqlite:///{tmp_path / "new.db"}'
    result = run_cli('migrate', SV_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert 'latest schema' in result.stdout
    engine = sa.create_engine(url)
    assert 'watches' in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_createadmin_prints_a_generated_password_once(database_url):
    result = run_cli('createadmin', '--email', 'Boss@Example.com', SV_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert 'Created admin boss@example.com.' in result.stdout
    password = result.stdout.split('One-time password (shown only now): ')[1].strip()
    from services import accounts

    assert accounts.authenticate('boss@example.com', password).role.value == 'admin'
    again = run_cli('createadmin', '--email', 'boss@example.com', SV_DATABASE_URL=database_url)
    assert_one_sentence(again, 'A user with the email boss@example.com already exists.')


@pytest.mark.parametrize(
    ('args', 'expected'),
    [
        (['--email', 'not-an-email', '--role', 'agent'], 'The email is not a valid email address.'),
        (['--email', 'a@example.com', '--role', 'agent', '--password', 'short'], 'at least 10 characters'),
    ],
)
def test_createuser_refuses_bad_input_and_writes_nothing(database_url, args, expected):
    result = run_cli('createuser', *args, SV_DATABASE_URL=database_url)
    assert_one_sentence(result, expected)
    engine = sa.create_engine(database_url.replace('postgresql://', 'postgresql+psycopg://'))
    with engine.connect() as connection:
        assert connection.exec_driver_sql('SELECT count(*) FROM users').scalar_one() == 0
    engine.dispose()


def test_createuser_with_a_role_and_password(database_url):
    result = run_cli(
        'createuser', '--email', 'sam@example.com', '--role', 'seller', '--password', 'long enough pass',
        SV_DATABASE_URL=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 'Created seller sam@example.com.' in result.stdout
    assert 'One-time password' not in result.stdout
