"""The hash chain verified: intact after bookings and reversals (sale rows too), and after tampering behind the
application's back (the append-only triggers dropped, as someone with the database password could), the first
broken row named with the reason."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import get_engine, session_scope
from db.enums import Role, TransactionType
from db.ledger import Transaction
from services import bookings, ledger, ledger_verify
from services.errors import PermissionDenied
from tests.factories import make_user, make_watch
from tests.finance import book, rate, sell

T = TransactionType
DAY = date(2025, 3, 3)


def seed_ledger(count: int = 5) -> list[int]:
    """`count` plain bookings (each in its own unit of work, chained one after another)."""
    return [book(T.SERVICE, f'{100 + number}', 'EUR', DAY, memo=f'Row {number}') for number in range(count)]


def tamper(*statements: str) -> None:
    """Run SQL on the ledger with its append-only guard removed, as an intruder with the database password would."""
    with get_engine().begin() as connection:
        if connection.dialect.name == 'sqlite':
            for verb in ('update', 'delete'):
                connection.exec_driver_sql(f'DROP TRIGGER transactions_no_{verb}')
        else:
            connection.exec_driver_sql('DROP TRIGGER transactions_append_only ON transactions')
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_an_untouched_ledger_is_intact_with_progress_per_chunk(db, monkeypatch):
    rate('SEK', DAY, '11.50')
    finance = make_user(Role.FINANCE)
    ids = seed_ledger(4)
    bookings.book(finance, {'type': 'purchase', 'amount': '10000', 'currency': 'SEK', 'value_date': DAY})
    bookings.reverse(finance, ids[0], 'Typed in twice')
    sell(make_watch(), '2000', 'EUR', DAY)  # a row with sale_id, hashed with it
    monkeypatch.setattr(ledger_verify, 'CHUNK', 3)
    heard: list[tuple[int, int]] = []
    result = ledger_verify.verify(lambda done, total: heard.append((done, total)))
    assert (result.ok, result.rows, result.summary) == (True, 7, 'Ledger intact: 7 rows.')
    assert heard == [(3, 7), (6, 7), (7, 7)]


def test_an_empty_ledger_is_intact(db):
    assert ledger_verify.verify().summary == 'Ledger intact: 0 rows.'


def test_an_amount_changed_in_place_is_reported_at_that_row(db):
    ids = seed_ledger()
    tamper(f'UPDATE transactions SET amount = amount * 2 WHERE id = {ids[2]}')
    result = ledger_verify.verify()
    assert (result.ok, result.broken_id, result.rows) == (False, ids[2], 2)
    assert result.summary == f'Ledger broken at row {ids[2]}: its content does not match its hash.'


def test_a_row_removed_from_the_middle_is_reported_at_the_next_row(db):
    ids = seed_ledger()
    tamper(f'DELETE FROM transactions WHERE id = {ids[2]}')
    result = ledger_verify.verify()
    assert result.summary == f'Ledger broken at row {ids[3]}: it does not chain onto row {ids[1]}.'


def test_the_first_row_removed_breaks_the_start(db):
    ids = seed_ledger(2)
    tamper(f'DELETE FROM transactions WHERE id = {ids[0]}')
    assert ledger_verify.verify().summary == (
        f'Ledger broken at row {ids[1]}: it does not chain onto the start of the ledger.'
    )


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next_row(db):
    ids = seed_ledger()
    with session_scope() as session:
        row = session.get(Transaction, ids[1]).model_dump()
    forged = ledger.row_hash(row['prev_hash'], row | {'memo': 'Forged'})
    tamper(f"UPDATE transactions SET memo = 'Forged', row_hash = '{forged}' WHERE id = {ids[1]}")
    assert ledger_verify.verify().summary == f'Ledger broken at row {ids[2]}: it does not chain onto row {ids[1]}.'


def test_only_auditors_verify_from_a_screen(db):
    seed_ledger(1)
    assert ledger_verify.verify_as(make_user(Role.ADMIN)).ok
    for role in (Role.FINANCE, Role.MANAGER, Role.AGENT, Role.SELLER):
        with pytest.raises(PermissionDenied, match='may not read the audit log'):
            ledger_verify.verify_as(make_user(role))
