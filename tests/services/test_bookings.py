"""Booking by hand: signs by type, links named, refusals that write nothing, who may book what, reversals once and
never of a reversal or of a sale's row, and the ledger list's filters and paging."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.inventory import Watch
from db.ledger import LedgerHead, Transaction
from db.system import AuditEntry
from db.types import utcnow
from services import accounts, bookings, contacts, permission_matrix
from services.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from tests.factories import make_user, make_watch
from tests.finance import book as post_row
from tests.finance import rate, sell

T = TransactionType
DAY = date(2025, 3, 3)
SERVICE = {'type': 'service', 'amount': '1500', 'currency': 'SEK', 'value_date': DAY}


@pytest.fixture
def finance(db):
    rate('SEK', DAY, '11.50')
    return make_user(Role.FINANCE, name='Fiona Finance')


def _snapshot() -> list:
    """Every row a booking may write, to prove a refusal wrote nothing."""
    with session_scope() as session:
        return [session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                for table in (Transaction.__table__, AuditEntry.__table__, LedgerHead.__table__)]  # fmt: skip


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all())


# --- booking -----------------------------------------------------------------------------------------------------


def test_a_booking_takes_its_sign_from_its_type_is_priced_linked_named_and_audited(finance):
    agent = make_user(Role.AGENT, name='Aron Agent')
    watch_id = make_watch()
    anna = contacts.create_contact(finance, {'name': 'Anna Berg', 'city': 'Basel'})
    booked = bookings.book(
        finance,
        SERVICE | {'watch_id': watch_id, 'user_id': agent.id, 'contact_id': anna.id, 'reference': ' INV-7 ',
                   'memo': 'Full service'},
    )  # fmt: skip
    assert (booked.type, booked.amount, booked.currency, booked.fx_rate, booked.base_amount) == (
        T.SERVICE, Decimal('-1500.00'), 'SEK', Decimal('11.50'), Decimal('-130.43'))  # fmt: skip
    with session_scope() as session:
        sku = session.get(Watch, watch_id).sku
    assert (booked.watch_sku, booked.user_name, booked.contact_name, booked.created_by_name) == (
        sku, 'Aron Agent', 'Anna Berg · Basel', 'Fiona Finance')  # fmt: skip
    assert (booked.reference, booked.reversible) == ('INV-7', True)
    (entry,) = _audit('ledger.book')
    assert (entry.entity_id, entry.actor_id, entry.after['amount'], entry.after['type']) == (
        str(booked.id), finance.id, '-1500.00', 'service')  # fmt: skip


def test_a_sale_is_positive_and_an_adjustment_keeps_the_sign_it_was_given(finance):
    sale = bookings.book(finance, {'type': 'sale', 'amount': '2000', 'currency': 'EUR', 'value_date': DAY})
    down = bookings.book(finance, {'type': 'adjustment', 'amount': '-12.5', 'currency': 'EUR', 'value_date': DAY})
    assert (sale.amount, sale.fx_rate, down.amount, down.base_amount) == (
        Decimal('2000.00'), Decimal(1), Decimal('-12.50'), Decimal('-12.50'))  # fmt: skip


def test_a_rate_typed_by_hand_wins_over_the_table(finance):
    booked = bookings.book(finance, SERVICE | {'fx_rate': '10'})
    assert (booked.fx_rate, booked.base_amount) == (Decimal('10'), Decimal('-150.00'))


@pytest.mark.parametrize(
    ('change', 'field', 'message'),
    [
        ({'amount': '0'}, 'amount', 'enter an amount other than 0'),
        ({'amount': '-5'}, 'amount', 'only an adjustment may be negative'),
        ({'amount': '1.005'}, 'amount', 'at most 2 decimals'),
        ({'amount': '1000000000000'}, 'amount', 'too large'),
        ({'amount': 'lots'}, 'amount', 'valid decimal'),
        ({'type': 'adjustment', 'amount': '0'}, 'amount', 'other than 0'),
        ({'currency': 'EURO'}, 'currency', 'is not a currency code'),
        ({'value_date': date.today() + timedelta(days=1)}, 'value_date', 'cannot be in the future'),
        ({'value_date': date(1999, 12, 31)}, 'value_date', 'cannot be before 2000'),
        ({'type': 'reversal'}, 'type', 'Reverse…'),
        ({'type': 'gift'}, 'type', 'Input should be'),
        ({'reference': 'x' * 81}, 'reference', '80'),
        ({'memo': 'x' * 501}, 'memo', '500'),
        ({'fx_rate': '0'}, 'fx_rate', 'above 0'),
        ({'owner': 'me'}, 'owner', 'Extra inputs'),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_writes_nothing(finance, change, field, message):
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        bookings.book(finance, SERVICE | change)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


def test_a_missing_rate_asks_for_one_by_hand_and_writes_nothing(finance):
    before = _snapshot()
    with pytest.raises(ValidationFailed, match='No USD exchange rate is known for 2025-03-03') as refused:
        bookings.book(finance, SERVICE | {'currency': 'USD'})
    assert refused.value.fields == {'fx_rate': 'Enter the USD rate for this day.'}
    assert _snapshot() == before
    assert bookings.book(finance, SERVICE | {'currency': 'USD', 'fx_rate': '1.08'}).currency == 'USD'


def test_unknown_links_and_a_deleted_watch_are_refused_and_write_nothing(finance):
    gone = make_watch(deleted_at=utcnow())
    with session_scope() as session:
        sku = session.get(Watch, gone).sku
    before = _snapshot()
    with pytest.raises(ValidationFailed, match=f'^Watch {sku} was deleted; nothing was booked.$') as refused:
        bookings.book(finance, SERVICE | {'watch_id': gone})
    assert 'was deleted' in refused.value.fields['watch_id']
    for field in ('watch_id', 'user_id', 'contact_id', 'batch_id'):
        with pytest.raises(ValidationFailed, match=r'^No such') as refused:
            bookings.book(finance, SERVICE | {field: 99999})
        assert field in refused.value.fields
    assert _snapshot() == before


@pytest.mark.parametrize('role', [Role.AGENT, Role.SELLER, Role.MANAGER])
def test_roles_without_booking_rights_may_not_book_or_reverse(finance, role):
    row = bookings.book(finance, SERVICE)
    actor = make_user(role)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match=f'Your role \\({role.value}\\) may not book transactions'):
        bookings.book(actor, SERVICE)
    with pytest.raises(PermissionDenied, match='may not book transactions'):
        bookings.book(actor, {'type': 'payout', 'amount': '1', 'currency': 'EUR', 'value_date': DAY})
    with pytest.raises(PermissionDenied):
        bookings.reverse(actor, row.id, 'Typed in twice')
    assert _snapshot() == before


def test_finance_and_admin_book_and_payouts_need_their_own_right(finance):
    admin = make_user(Role.ADMIN)
    assert bookings.book(admin, SERVICE).created_by_name == admin.name
    payout = {'type': 'payout', 'amount': '100', 'currency': 'EUR', 'value_date': DAY}
    assert bookings.book(finance, payout).amount == Decimal('-100.00')
    permission_matrix.set_permission(admin, 'finance', 'payouts.book', False)
    narrowed = accounts.load_actor(finance.id)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match='may not book advances and payouts'):
        bookings.book(narrowed, payout)
    assert _snapshot() == before
    assert bookings.book(narrowed, SERVICE).type is T.SERVICE


# --- reversing ---------------------------------------------------------------------------------------------------


def test_a_reversal_books_the_negated_amount_at_the_same_rate_with_the_same_links(finance):
    watch_id = make_watch()
    rate('SEK', date.today(), '12.00')  # today's rate must not be used: the original's is
    row = bookings.book(finance, SERVICE | {'watch_id': watch_id, 'reference': 'INV-7'})
    undone = bookings.reverse(finance, row.id, '  Booked on the wrong watch ')
    assert (undone.type, undone.amount, undone.currency, undone.fx_rate, undone.base_amount) == (
        T.REVERSAL, Decimal('1500.00'), 'SEK', Decimal('11.50'), Decimal('130.43'))  # fmt: skip
    assert (undone.reverses_id, undone.watch_id, undone.memo, undone.value_date, undone.reversible) == (
        row.id, watch_id, 'Booked on the wrong watch', date.today(), False)  # fmt: skip
    (entry,) = _audit('ledger.reverse')
    assert (entry.entity_id, entry.after['reverses_id']) == (str(undone.id), row.id)
    (shown,) = [item for item in bookings.for_watch(finance, watch_id) if item.id == row.id]
    assert (shown.reversed_by_id, shown.reversible) == (undone.id, False)


def test_a_double_reversal_a_reversal_of_a_reversal_and_a_sales_row_are_refused(finance):
    row = bookings.book(finance, SERVICE)
    undone = bookings.reverse(finance, row.id, 'Typed in twice')
    _, sale_row = sell(make_watch(), '2000', 'EUR', DAY)
    before = _snapshot()
    with pytest.raises(Conflict, match=f'^Transaction {row.id} has already been reversed; nothing was booked.$'):
        bookings.reverse(finance, row.id, 'Again')
    with pytest.raises(ValidationFailed, match='is itself a reversal and cannot be reversed'):
        bookings.reverse(finance, undone.id, 'Undo the undo')
    with pytest.raises(ValidationFailed, match=r'belongs to a sale\. Reverse the sale instead\.'):
        bookings.reverse(finance, sale_row, 'Wrong price')
    with pytest.raises(NotFound, match=r'^No such transaction\.$'):
        bookings.reverse(finance, 99999, 'Gone')
    for reason in ('', 'no', 'x' * 501):
        with pytest.raises(ValidationFailed, match=r'^The reason: '):
            bookings.reverse(finance, row.id, reason)
    assert _snapshot() == before


def test_two_people_reversing_at_once_book_one_reversal(finance):
    row = bookings.book(finance, SERVICE)
    results: list[object] = []

    def reverse() -> None:
        try:
            results.append(bookings.reverse(finance, row.id, 'Typed in twice'))
        except ServiceError as refused:
            results.append(str(refused))

    threads = [threading.Thread(target=reverse) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refusals = [result for result in results if isinstance(result, str)]
    assert len(results) == 2 and len(refusals) == 1
    assert refusals[0] == f'Transaction {row.id} has already been reversed; nothing was booked.'
    with session_scope() as session:
        count = session.scalar(sa.select(sa.func.count()).where(Transaction.reverses_id == row.id))
    assert count == 1


# --- the list ----------------------------------------------------------------------------------------------------


def test_the_list_pages_newest_first_and_filters_on_the_server(finance):
    agent = make_user(Role.AGENT)
    watch_id = make_watch()
    with session_scope() as session:
        sku = session.get(Watch, watch_id).sku
    purchase = post_row(T.PURCHASE, '900', 'EUR', date(2025, 1, 10), watch_id=watch_id, user_id=agent.id)
    service = bookings.book(finance, SERVICE | {'watch_id': watch_id, 'reference': 'INV-7'})
    fee = bookings.book(finance, {'type': 'platform_fee', 'amount': '50', 'currency': 'EUR', 'value_date': DAY})
    undone = bookings.reverse(finance, fee.id, 'Charged twice')

    def ids(**filters) -> list[int]:
        return [item.id for item in bookings.list_transactions(finance, filters).items]

    assert ids() == [undone.id, fee.id, service.id, purchase]
    assert ids(types=['service', 'purchase']) == [service.id, purchase]
    assert ids(date_from='2025-02-01', date_to='2025-03-03') == [fee.id, service.id]
    assert ids(currency='sek') == [service.id]
    assert ids(sku=sku.lower()) == [service.id, purchase] == ids(watch_id=watch_id)
    assert ids(sku='NOPE-1') == []
    assert ids(user_id=agent.id) == [purchase]
    assert ids(reference='INV') == [service.id]
    assert ids(reversed='reversed') == [fee.id]
    assert ids(reversed='not_reversed') == [undone.id, service.id, purchase]
    page = bookings.list_transactions(finance, offset=1, limit=2, descending=False)
    assert ([item.id for item in page.items], page.total, page.total_capped) == ([service.id, fee.id], 4, False)
    with pytest.raises(ValidationFailed, match=r'^The currency: '):
        bookings.list_transactions(finance, {'currency': 'euro'})


def test_totals_are_exact_up_to_the_cap(finance, monkeypatch):
    for _ in range(5):
        bookings.book(finance, SERVICE)
    monkeypatch.setattr(bookings, 'COUNT_CAP', 3)
    page = bookings.list_transactions(finance, limit=2)
    assert (page.total, page.total_capped) == (3, True)
    assert bookings.list_transactions(finance, offset=4, limit=2).total == 5


def test_only_roles_that_see_the_ledger_read_it(finance):
    for role in (Role.AGENT, Role.SELLER, Role.MANAGER):
        actor = make_user(role)
        with pytest.raises(PermissionDenied, match='may not see the ledger'):
            bookings.list_transactions(actor)
        with pytest.raises(PermissionDenied):
            bookings.for_watch(actor, 1)
