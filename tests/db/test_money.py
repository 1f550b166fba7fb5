"""Money survives the round trip exactly on both databases, in single values and in SQL sums."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from db.engine import get_engine, session_scope
from db.enums import Role
from db.inventory import Watch
from db.ledger import FxRate
from tests.factories import make_user


def _watch_rows(count: int, stage_id: int, amounts: list[Decimal]) -> list[dict]:
    return [
        {'sku': f'T-{n:06d}', 'brand': 'Omega', 'model': 'Seamaster', 'stage_id': stage_id, 'purchase_cost': amount,
         'purchase_currency': 'EUR', 'condition': {}, 'service_history': []}
        for n, amount in zip(range(count), amounts, strict=True)
    ]  # fmt: skip


def test_ten_thousand_amounts_sum_exactly(db):
    amounts = [Decimal('0.10'), Decimal('19.99'), Decimal('1234567.89'), Decimal('0.01')] * 2500
    with session_scope() as session:
        stage_id = session.exec(sa.text("SELECT id FROM stages WHERE key = 'intake'")).scalar_one()
        session.execute(sa.insert(Watch.__table__), _watch_rows(len(amounts), stage_id, amounts))
    with session_scope() as session:
        total = session.exec(select(func.sum(Watch.purchase_cost))).one()
        read_back = session.exec(select(Watch.purchase_cost)).all()
    assert total == sum(amounts) == Decimal('3086469975.00')
    assert isinstance(total, Decimal)
    assert sum(read_back) == sum(amounts)
    assert all(isinstance(value, Decimal) for value in read_back)


def test_float_and_sub_cent_amounts_are_refused(db):
    make_user(Role.ADMIN)
    with session_scope() as session:
        stage_id = session.exec(sa.text("SELECT id FROM stages WHERE key = 'intake'")).scalar_one()
    for bad, error in ((19.99, TypeError), (Decimal('0.001'), ValueError)):
        with pytest.raises(sa.exc.StatementError) as caught, session_scope() as session:
            session.execute(sa.insert(Watch.__table__), _watch_rows(1, stage_id, [bad]))
        assert isinstance(caught.value.orig, error)
    with get_engine().connect() as connection:
        assert connection.exec_driver_sql('SELECT count(*) FROM watches').scalar_one() == 0


def test_rates_keep_eight_places(db):
    with session_scope() as session:
        session.add(FxRate(rate_date=date(2026, 11, 20), currency='SEK', rate=Decimal('11.12345678'), source='test'))
    with session_scope() as session:
        assert session.exec(select(FxRate.rate)).one() == Decimal('11.12345678')
