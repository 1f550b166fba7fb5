"""Balances: the worked figures, running balances across pages, reversals, refusals that write nothing, roles."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.ledger import FxRate, Transaction
from db.system import AuditEntry
from services import balances, ledger, users
from services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch

T = TransactionType
DAY = date(2025, 3, 3)
SEK_RATE = Decimal('11.00')


@pytest.fixture
def people(db):
    """One of each role, and SEK at 11.00 per EUR on DAY."""
    with session_scope() as session:
        session.add(FxRate(rate_date=DAY, currency='SEK', rate=SEK_RATE, source='manual'))
    return {role: make_user(role) for role in Role}


def _post(kind: TransactionType, amount: str, currency: str, user_id: int, day: date = DAY, **links) -> int:
    """A booking made the way every service makes one (commissions and purchases come from other services)."""
    with session_scope() as session:
        row = ledger.post(
            session,
            ledger.Entry(type=kind, amount=ledger.signed(kind, Decimal(amount)), currency=currency, value_date=day,
                         user_id=user_id, **links),
            created_by_id=None,
        )  # fmt: skip
        return row.id


def _reverse(transaction_id: int) -> int:
    """What the bookings service does: the negated amount at the same rate, with the same links."""
    with session_scope() as session:
        original = session.get(Transaction, transaction_id)
        row = ledger.post(
            session,
            ledger.Entry(type=T.REVERSAL, amount=-original.amount, currency=original.currency, value_date=DAY,
                         user_id=original.user_id, reverses_id=original.id, fx_rate=original.fx_rate),
            created_by_id=None,
        )  # fmt: skip
        return row.id


def _snapshot() -> list:
    """Every row booking may write, to prove a refusal wrote nothing."""
    with session_scope() as session:
        return [session.execute(sa.select(table).order_by(table.c.id)).all()
                for table in (Transaction.__table__, AuditEntry.__table__)]  # fmt: skip


def _figures(balance: balances.Balance) -> tuple[Decimal, ...]:
    return balance.commissions, balance.purchases, balance.advances, balance.payouts, balance.balance


# --- the figures ---------------------------------------------------------------------------------------------------


def test_the_worked_example_comes_out_to_the_cent(people):
    agent, finance = people[Role.AGENT], people[Role.FINANCE]
    advance = balances.book_advance(finance, agent.id, '10000', 'sek', DAY, 'Buying trip to Geneva')
    assert (advance.amount, advance.currency, advance.base_amount) == (Decimal('-10000.00'), 'SEK', Decimal('-909.09'))
    assert advance.balance == Decimal('-909.09')
    _post(T.PURCHASE, '8000', 'SEK', agent.id, watch_id=make_watch(agent=agent))
    _post(T.AGENT_COMMISSION, '300', 'EUR', agent.id)
    payout = balances.book_payout(finance, agent.id, '200', 'EUR', DAY, 'Cash; the rest of the float stays with him',
                                  allow_overdraw=True)  # fmt: skip
    assert payout.balance == Decimal('-81.82')
    figures = _figures(balances.balance(agent, agent.id))
    assert figures == (Decimal('300.00'), Decimal('727.27'), Decimal('909.09'), Decimal('200.00'), Decimal('-81.82'))
    shown = balances.balance(finance, agent.id)
    assert (shown.name, shown.role, shown.currency, shown.as_of) == (agent.name, Role.AGENT, 'EUR', date.today())


def test_a_reversed_payout_counts_as_a_payout_taken_back(people):
    agent, admin = people[Role.AGENT], people[Role.ADMIN]
    _post(T.AGENT_COMMISSION, '500', 'EUR', agent.id)
    payout = balances.book_payout(admin, agent.id, '200', 'EUR', DAY, 'March')
    assert payout.balance == Decimal('300.00')
    reversal = _reverse(payout.transaction_id)
    after = balances.balance(agent, agent.id)
    assert (after.payouts, after.balance) == (Decimal('0.00'), Decimal('500.00'))
    lines = balances.movements(agent, agent.id).items
    assert [(line.id, line.type, line.category, line.effect, line.running) for line in lines] == [
        (reversal, T.REVERSAL, 'payouts', Decimal('200.00'), Decimal('500.00')),
        (payout.transaction_id, T.PAYOUT, 'payouts', Decimal('-200.00'), Decimal('300.00')),
        (lines[2].id, T.AGENT_COMMISSION, 'commissions', Decimal('500.00'), Decimal('500.00')),
    ]
    assert lines[0].reverses_id == payout.transaction_id


def test_other_bookings_naming_the_person_do_not_touch_the_balance(people):
    agent = people[Role.AGENT]
    _post(T.SALE, '5000', 'EUR', agent.id)
    _post(T.SHIPPING, '40', 'EUR', agent.id)
    _post(T.AGENT_COMMISSION, '100', 'EUR', people[Role.SELLER].id)
    assert balances.balance(agent, agent.id).balance == 0
    assert balances.movements(agent, agent.id).total == 0


def test_the_balance_as_of_a_day_leaves_out_later_bookings(people):
    agent = people[Role.AGENT]
    _post(T.AGENT_COMMISSION, '100', 'EUR', agent.id, DAY - timedelta(days=10))
    _post(T.AGENT_COMMISSION, '50', 'EUR', agent.id, DAY)
    assert balances.balance(agent, agent.id, DAY - timedelta(days=1)).balance == Decimal('100.00')
    assert balances.balance(agent, agent.id).balance == Decimal('150.00')


def test_the_running_balance_is_right_on_every_page_and_in_a_period(people):
    agent = people[Role.AGENT]
    amounts = ['10', '20', '30', '40', '50', '60', '70']
    days = [DAY - timedelta(days=6 - index // 2 * 2) for index in range(7)]  # pairs of rows share a day
    ids = [_post(T.SELLER_COMMISSION, amount, 'EUR', agent.id, day) for amount, day in zip(amounts, days, strict=True)]
    running = [sum(Decimal(amount) for amount in amounts[: index + 1]) for index in range(7)]
    second = balances.movements(agent, agent.id, 3, 3)
    assert second.total == 7
    assert [(line.id, line.running) for line in second.items] == [(ids[3], running[3]), (ids[2], running[2]),
                                                                  (ids[1], running[1])]  # fmt: skip
    oldest_first = balances.movements(agent, agent.id, 3, 3, descending=False)
    assert [(line.id, line.running) for line in oldest_first.items] == list(zip(ids[3:6], running[3:6], strict=True))
    period = balances.movements(agent, agent.id, 0, 2, start=days[2], end=days[4], descending=False)
    assert period.total == 4  # two days, two bookings each
    assert [(line.id, line.running) for line in period.items] == [(ids[2], Decimal('60')), (ids[3], Decimal('100'))]


def test_every_agent_and_seller_is_listed_with_their_balance(people):
    admin, agent, seller = people[Role.ADMIN], people[Role.AGENT], people[Role.SELLER]
    gone = make_user(Role.AGENT, name='Gone With Money')
    quiet = make_user(Role.AGENT, name='Gone Quietly')
    _post(T.AGENT_COMMISSION, '100', 'EUR', agent.id)
    _post(T.SELLER_COMMISSION, '250', 'EUR', seller.id)
    _post(T.AGENT_COMMISSION, '75', 'EUR', gone.id)
    for person in (gone, quiet):
        users.set_active(admin, person.id, False)
    page = balances.all_balances(people[Role.FINANCE], sort='balance', descending=True)
    assert [(row.user_id, row.balance) for row in page.items] == [
        (seller.id, Decimal('250.00')), (agent.id, Decimal('100.00')), (gone.id, Decimal('75.00'))
    ]  # fmt: skip
    assert page.total == 3
    past_the_end = balances.all_balances(admin, 50, 25)
    assert (past_the_end.total, past_the_end.items) == (3, [])
    agents = balances.all_balances(admin, role='agent', sort='name')
    assert [row.name for row in agents.items] == [agent.name, 'Gone With Money']
    found = balances.all_balances(admin, search='with money')
    assert [(row.name, row.commissions, row.active) for row in found.items] == [
        ('Gone With Money', Decimal('75.00'), False)
    ]


def test_anyone_the_books_still_owe_is_listed_whatever_their_role(people):
    manager = people[Role.MANAGER]
    _post(T.PURCHASE, '120', 'EUR', manager.id)
    page = balances.all_balances(people[Role.ADMIN], role='manager')
    assert [(row.user_id, row.purchases, row.balance) for row in page.items] == [
        (manager.id, Decimal('120.00'), Decimal('120.00'))
    ]


# --- booking -------------------------------------------------------------------------------------------------------


def test_a_payout_is_booked_with_a_manual_rate_and_audited(people):
    seller, finance = people[Role.SELLER], people[Role.FINANCE]
    _post(T.SELLER_COMMISSION, '1000', 'EUR', seller.id)
    booked = balances.book_payout(finance, seller.id, '1100', 'USD', date(2024, 6, 3), 'June', fx_rate='1.10')
    assert (booked.base_amount, booked.balance) == (Decimal('-1000.00'), Decimal('0.00'))
    with session_scope() as session:
        row = session.get(Transaction, booked.transaction_id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'ledger.payout')).one()
    assert (row.type, row.user_id, row.fx_rate, row.memo, row.created_by_id) == (
        T.PAYOUT, seller.id, Decimal('1.10000000'), 'June', finance.id)  # fmt: skip
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ('transaction', str(row.id), finance.id)
    assert entry.after | {'fx_rate': '1.1'} == {
        'type': 'payout', 'user_id': seller.id, 'amount': '-1100.00', 'currency': 'USD', 'fx_rate': '1.1',
        'base_amount': '-1000.00', 'value_date': '2024-06-03', 'memo': 'June',
    }  # fmt: skip


def test_an_overdraw_is_refused_naming_the_balance_and_allowed_with_a_reason(people):
    agent, finance = people[Role.AGENT], people[Role.FINANCE]
    _post(T.AGENT_COMMISSION, '150', 'EUR', agent.id)
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        balances.book_payout(finance, agent.id, '200', 'EUR', DAY, 'Too much')
    assert 'is owed 150.00 EUR; a payout of 200.00 EUR would overdraw that by 50.00 EUR' in str(refused.value)
    assert refused.value.fields == {'amount': 'More than the 150.00 EUR owed.'}
    with pytest.raises(ValidationFailed) as no_reason:
        balances.book_payout(finance, agent.id, '200', 'EUR', DAY, '  ', allow_overdraw=True)
    assert no_reason.value.fields == {'memo': 'Say why it may exceed the balance.'}
    assert _snapshot() == before
    booked = balances.book_payout(finance, agent.id, '200', 'EUR', DAY, 'Advance on next sale', allow_overdraw=True)
    assert booked.balance == Decimal('-50.00')
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'ledger.payout')).one()
    assert entry.after['allow_overdraw'] is True


@pytest.mark.parametrize('book', [balances.book_advance, balances.book_payout])
@pytest.mark.parametrize(
    ('change', 'field', 'message'),
    [
        ({'amount': '0'}, 'amount', 'enter an amount other than 0'),
        ({'amount': '-50'}, 'amount', 'enter an amount above 0'),
        ({'amount': '10.005'}, 'amount', 'use at most 2 decimals'),
        ({'amount': '1e15'}, 'amount', 'this amount is too large'),
        ({'currency': 'XYZ'}, 'currency', '"XYZ" is not a currency code'),
        ({'day': date.today() + timedelta(days=1)}, 'value_date', 'the date cannot be in the future'),
        ({'day': date(1999, 12, 31)}, 'value_date', 'the date cannot be before 2000'),
        ({'day': date(2024, 1, 10), 'currency': 'SEK'}, 'fx_rate', 'Enter the SEK rate for this day.'),
        ({'fx_rate': '-1'}, 'fx_rate', 'enter a rate above 0'),
        ({'memo': 'x' * 501}, 'memo', '500 characters'),
        ({'user_id': 999_999}, 'user_id', 'No such person.'),
        ({'user_id': 'finance'}, 'user_id', 'Not an agent or a seller.'),
    ],
)
def test_refused_input_writes_nothing(people, book, change, field, message):
    agent = people[Role.AGENT]
    _post(T.AGENT_COMMISSION, '100000', 'EUR', agent.id)  # room for any payout
    args = {'user_id': agent.id, 'amount': '100', 'currency': 'EUR', 'day': DAY, 'memo': None} | change
    if args['user_id'] == 'finance':
        args['user_id'] = people[Role.FINANCE].id
    fx_rate = args.pop('fx_rate', None)
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        book(people[Role.FINANCE], *args.values(), fx_rate=fx_rate)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


def test_an_advance_goes_only_to_someone_still_working_but_a_payout_settles_with_a_leaver(people):
    agent, admin = people[Role.AGENT], people[Role.ADMIN]
    _post(T.AGENT_COMMISSION, '300', 'EUR', agent.id)
    users.set_active(admin, agent.id, False)
    before = _snapshot()
    with pytest.raises(ValidationFailed, match='is deactivated'):
        balances.book_advance(admin, agent.id, '100', 'EUR', DAY, None)
    assert _snapshot() == before
    assert balances.book_payout(admin, agent.id, '300', 'EUR', DAY, 'Final settlement').balance == 0


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('role', [Role.AGENT, Role.SELLER])
def test_agents_and_sellers_see_only_their_own_and_book_nothing(people, role):
    me, other = people[role], make_user(role)
    _post(T.AGENT_COMMISSION, '10', 'EUR', other.id)
    assert balances.balance(me, me.id).balance == 0
    assert balances.movements(me, me.id).total == 0
    before = _snapshot()
    for refused in (
        lambda: balances.balance(me, other.id),
        lambda: balances.movements(me, other.id),
        lambda: balances.balance(me, 999_999),
        lambda: balances.all_balances(me),
        lambda: balances.book_advance(me, me.id, '100', 'EUR', DAY, None),
        lambda: balances.book_payout(me, me.id, '1', 'EUR', DAY, None),
    ):
        with pytest.raises(PermissionDenied):
            refused()
    assert _snapshot() == before


def test_a_manager_is_refused_balances_and_booking(people):
    manager, agent = people[Role.MANAGER], people[Role.AGENT]
    before = _snapshot()
    with pytest.raises(PermissionDenied, match='may not see the ledger'):
        balances.balance(manager, agent.id)
    with pytest.raises(PermissionDenied, match='may not see the ledger'):
        balances.all_balances(manager)
    with pytest.raises(PermissionDenied, match='may not book advances and payouts'):
        balances.book_payout(manager, agent.id, '1', 'EUR', DAY, None)
    assert _snapshot() == before


@pytest.mark.parametrize('role', [Role.FINANCE, Role.ADMIN])
def test_finance_and_admin_see_anyone_and_book(people, role):
    actor, agent = people[role], people[Role.AGENT]
    balances.book_advance(actor, agent.id, '500', 'EUR', DAY, 'Float')
    assert balances.balance(actor, agent.id).advances == Decimal('500.00')
    assert balances.movements(actor, agent.id).total == 1
    with pytest.raises(NotFound):
        balances.balance(actor, 999_999)
