"""The ledger over the API: a feed of bookings is booked all or none, in order, chained and audited; a refusal
names the booking and writes nothing."""

from __future__ import annotations

from datetime import date

import httpx
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role, TokenScope
from db.ledger import Transaction
from db.system import AuditEntry
from services import bookings, ledger_verify, permission_matrix
from services.permissions import Permission
from tests.api.conftest import assert_problem, person
from tests.finance import rate

DAY = date(2025, 3, 3)


def _feed(*amounts: str, currency: str = 'EUR') -> list[dict]:
    return [{'type': 'service', 'amount': amount, 'currency': currency, 'value_date': DAY.isoformat(),
             'reference': f'WS-{number}'} for number, amount in enumerate(amounts, start=1)]  # fmt: skip


def _counts() -> tuple[int, int]:
    with session_scope() as session:
        rows = session.exec(select(func.count()).select_from(Transaction)).one()
        audited = session.exec(select(func.count()).where(AuditEntry.action == 'ledger.book')).one()
        return rows, audited


async def test_a_feed_is_booked_in_order_priced_chained_audited_and_listed(client: httpx.AsyncClient):
    rate('SEK', DAY, '11.50')
    _, headers = person(Role.FINANCE)
    response = await client.post('/ledger/bookings', json=_feed('115.00', '230.00', currency='SEK'), headers=headers)
    assert response.status_code == 201, response.text
    booked = response.json()
    assert [row['amount'] for row in booked] == ['-115.00', '-230.00']
    assert [row['base_amount'] for row in booked] == ['-10.00', '-20.00']
    assert booked[0]['id'] < booked[1]['id']
    assert _counts() == (2, 2)
    assert ledger_verify.verify().ok
    listed = await client.get('/ledger/transactions', params={'type': 'service', 'currency': 'SEK'}, headers=headers)
    assert listed.status_code == 200
    assert [row['reference'] for row in listed.json()['items']] == ['WS-2', 'WS-1']


async def test_one_bad_booking_refuses_the_whole_feed_and_names_it(client: httpx.AsyncClient):
    _, headers = person(Role.FINANCE)
    feed = _feed('10.00', '20.00', '30.00')
    feed[2]['currency'] = 'SEK'  # no SEK rate is known for the day
    response = await client.post('/ledger/bookings', json=feed, headers=headers)
    assert_problem(response, 422, 'Booking 3', 'No SEK exchange rate')
    feed = _feed('10.00', '0', '30.00')
    assert_problem(await client.post('/ledger/bookings', json=feed, headers=headers), 422)
    assert _counts() == (0, 0)


async def test_an_empty_or_oversized_feed_is_refused(client: httpx.AsyncClient):
    _, headers = person(Role.FINANCE)
    assert_problem(await client.post('/ledger/bookings', json=[], headers=headers), 422)
    too_many = _feed(*['1.00'] * (bookings.BATCH_MAX + 1))
    assert_problem(await client.post('/ledger/bookings', json=too_many, headers=headers), 422)
    assert _counts() == (0, 0)


async def test_a_read_token_and_roles_without_booking_rights_are_refused(client: httpx.AsyncClient):
    _, read_only = person(Role.FINANCE, TokenScope.READ)
    assert_problem(await client.post('/ledger/bookings', json=_feed('10.00'), headers=read_only), 403)
    for role in (Role.MANAGER, Role.AGENT, Role.SELLER):
        _, headers = person(role)
        assert_problem(await client.post('/ledger/bookings', json=_feed('10.00'), headers=headers), 403)
    _, agent = person(Role.AGENT)
    assert_problem(await client.get('/ledger/transactions', headers=agent), 403)
    assert _counts() == (0, 0)


async def test_a_payout_in_a_feed_needs_the_payout_right_even_from_a_booker(client: httpx.AsyncClient):
    admin, _ = person(Role.ADMIN)
    permission_matrix.set_permission(admin, Role.FINANCE, Permission.PAYOUTS_BOOK, False)
    finance, headers = person(Role.FINANCE)
    payout = {'type': 'payout', 'amount': '5.00', 'currency': 'EUR', 'value_date': DAY.isoformat(),
              'user_id': finance.id}  # fmt: skip
    assert_problem(await client.post('/ledger/bookings', json=[*_feed('10.00'), payout], headers=headers), 403)
    assert _counts() == (0, 0)
