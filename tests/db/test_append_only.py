"""The ledger and the audit log refuse UPDATE and DELETE in the database itself, whoever sends the SQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from db.engine import get_engine, session_scope
from db.enums import Role, TransactionType
from db.ledger import Transaction
from services import ledger
from tests.factories import make_user


def _book_one(amount: str = '-12.50', prev_hash: str = ledger.GENESIS) -> None:
    """Insert one hash-chained adjustment, as the ledger service will."""
    row = {
        'type': TransactionType.ADJUSTMENT,
        'value_date': date(2026, 11, 2),
        'amount': Decimal(amount),
        'currency': 'EUR',
        'fx_rate': Decimal(1),
        'base_amount': Decimal(amount),
        'base_currency': 'EUR',
    }
    with session_scope() as session:
        session.add(Transaction(**row, prev_hash=prev_hash, row_hash=ledger.row_hash(prev_hash, row)))


@pytest.mark.parametrize(
    'statement',
    [
        'UPDATE transactions SET amount = 1',
        'UPDATE transactions SET memo = NULL',
        'DELETE FROM transactions',
        'UPDATE audit_log SET action = NULL',
        'UPDATE audit_log SET actor_label = actor_label',
        'DELETE FROM audit_log',
    ],
)
def test_raw_sql_cannot_change_or_remove_a_row(db, statement):
    make_user(Role.ADMIN)  # writes an audit entry
    _book_one()
    table = statement.split()[2] if statement.startswith('DELETE') else statement.split()[1]
    with get_engine().connect() as connection:
        before = connection.exec_driver_sql(f'SELECT * FROM {table} ORDER BY id').all()
        with pytest.raises(sa.exc.DatabaseError, match='append-only'):
            connection.exec_driver_sql(statement)
        connection.rollback()
        assert connection.exec_driver_sql(f'SELECT * FROM {table} ORDER BY id').all() == before
    assert before


def test_inserting_new_rows_still_works(db):
    _book_one()
    with get_engine().connect() as connection:
        prev = connection.exec_driver_sql('SELECT row_hash FROM transactions').scalar_one()
    _book_one('5.00', prev)
    with get_engine().connect() as connection:
        assert connection.exec_driver_sql('SELECT count(*) FROM transactions').scalar_one() == 2
