"""`python main.py verify-ledger`, the real command in its own process: intact with progress (exit 0), or the
first broken row after tampering behind the application's back (exit 1)."""

from __future__ import annotations

from tests.services.test_ledger_verify import seed_ledger, tamper
from tests.test_cli import run_cli


def test_help_lists_verify_ledger():
    result = run_cli('--help')
    assert result.returncode == 0 and 'verify-ledger' in result.stdout


def test_an_intact_ledger_exits_0_with_progress(database_url):
    seed_ledger(3)
    result = run_cli('verify-ledger', SV_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert 'checked: 3/3' in result.stdout
    assert result.stdout.strip().endswith('Ledger intact: 3 rows.')


def test_a_changed_amount_exits_1_naming_the_row(database_url):
    ids = seed_ledger(4)
    tamper(f'UPDATE transactions SET amount = amount + 1 WHERE id = {ids[1]}')
    result = run_cli('verify-ledger', SV_DATABASE_URL=database_url)
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip().endswith(f'Ledger broken at row {ids[1]}: its content does not match its hash.')


def test_a_removed_row_exits_1_at_the_next_row(database_url):
    ids = seed_ledger(4)
    tamper(f'DELETE FROM transactions WHERE id = {ids[1]}')
    result = run_cli('verify-ledger', SV_DATABASE_URL=database_url)
    assert result.returncode == 1, result.stderr
    assert f'Ledger broken at row {ids[2]}: it does not chain onto row {ids[0]}.' in result.stdout
