"""A watch's purchase booked in the ledger by itself: at intake (any door: the form's service, the API's, both
imports), rebooked when the cost or who it counts for changes, reversed when the cost goes, waiting for a rate
and booked once one arrives; refusals book nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.contacts import Contact
from db.engine import session_scope
from db.enums import ContactKind, Role, TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.system import AuditEntry
from services import bookings, fx, jobs, ledger_verify, pnl, purchases, spreadsheets, watches
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import Actor
from tests.factories import make_user, make_watch, take_in
from tests.finance import rate

D = Decimal
T = TransactionType
BOUGHT = date(2025, 3, 4)  # the day the ECB stand-in publishes (SEK 11.1340)


@pytest.fixture
def manager(db) -> Actor:
    return make_user(Role.MANAGER, name='Mona Manager')


@pytest.fixture
def agent(db) -> Actor:
    return make_user(Role.AGENT, name='Agnes Agent')


@pytest.fixture
def supplier(db) -> int:
    with session_scope() as session:
        contact = Contact(kind=ContactKind.PERSON, name='Erik Lund')
        session.add(contact)
        session.flush()
        return contact.id


def _rows(watch_id: int | None = None) -> list[Transaction]:
    with session_scope() as session:
        query = select(Transaction).order_by(Transaction.id)
        if watch_id is not None:
            query = query.where(Transaction.watch_id == watch_id)
        return list(session.exec(query).all())


def _said(rows: list[Transaction]) -> list[tuple]:
    return [(row.type, row.amount, row.currency, row.base_amount, row.reverses_id, row.memo) for row in rows]


def _base(watch_id: int) -> Decimal | None:
    with session_scope() as session:
        return session.get(Watch, watch_id).purchase_cost_base


def _bookings_audited() -> list[tuple[str, str, str]]:
    with session_scope() as session:
        query = select(AuditEntry).where(AuditEntry.action.in_(['ledger.book', 'ledger.reverse']))
        return [(entry.action, entry.actor_label, entry.entity_id) for entry in session.exec(query.order_by('id'))]


def _footprint() -> list:
    """Every table a refused intake could have written to."""
    with session_scope() as session:
        return [session.execute(sa.select(table)).all() for table in (Watch, Transaction, AuditEntry)]


def _edit(actor: Actor, watch_id: int, **values) -> watches.WatchRead:
    current = watches.get_watch(actor, watch_id)
    return watches.update_watch(actor, watch_id, watches.parse_watch(values, partial=True), version=current.version)


# --- intake --------------------------------------------------------------------------------------------------------


def test_intake_in_the_base_currency_books_one_purchase_for_the_agent_and_the_supplier(manager, agent, supplier):
    watch = take_in(manager, agent_id=agent.id, supplier_id=supplier, purchase_cost='2500', purchase_currency='EUR',
                    purchased_on=BOUGHT)  # fmt: skip
    (row,) = _rows()
    assert (row.type, row.amount, row.currency, row.fx_rate, row.base_amount, row.value_date) == (
        T.PURCHASE, D('-2500.00'), 'EUR', D('1'), D('-2500.00'), BOUGHT)  # fmt: skip
    assert (row.watch_id, row.user_id, row.contact_id, row.reference) == (
        watch.id,
        agent.id,
        supplier,
        f'PO-{watch.sku}',
    )
    assert row.created_by_id == manager.id and watch.purchase_cost_base == D('2500.00')
    assert _bookings_audited() == [('ledger.book', manager.email, str(row.id))]


def test_intake_in_sek_books_at_the_rate_of_the_purchase_day(manager):
    rate('SEK', BOUGHT - timedelta(days=2), '11.00')  # a weekend before: the latest rate of the week counts
    watch = take_in(manager, purchase_cost='10000', purchase_currency='SEK', purchased_on=BOUGHT)
    assert _said(_rows()) == [(T.PURCHASE, D('-10000.00'), 'SEK', D('-909.09'), None, None)]
    assert _rows()[0].fx_rate == D('11') and watch.purchase_cost_base == D('909.09')


def test_without_a_purchase_day_the_intake_day_is_the_value_date(manager):
    take_in(manager, purchase_cost='300', purchase_currency='EUR')
    assert _rows()[0].value_date == date.today()


def test_a_cost_of_nothing_books_nothing(manager):
    watch = take_in(manager, purchase_cost='0', purchase_currency='EUR')
    assert _rows() == [] and watch.purchase_cost_base == D('0.00')


def test_without_a_rate_the_purchase_waits_and_is_booked_when_a_rate_is_set_by_hand(manager):
    finance = make_user(Role.FINANCE)
    watch = take_in(manager, purchase_cost='10000', purchase_currency='SEK', purchased_on=BOUGHT)
    assert _rows() == [] and watch.purchase_cost_base is None
    waiting = pnl.watch_pnl(finance, watch.id).waiting_purchase
    assert waiting == pnl.WaitingPurchase(amount=D('10000.00'), currency='SEK', day=BOUGHT)
    fx.set_manual_rate(finance, 'SEK', BOUGHT, '11.00')
    assert _said(_rows()) == [(T.PURCHASE, D('-10000.00'), 'SEK', D('-909.09'), None, None)]
    assert _base(watch.id) == D('909.09') and pnl.watch_pnl(finance, watch.id).waiting_purchase is None
    assert _rows()[0].created_by_id == finance.id
    assert purchases.book_waiting() == 0  # nothing waits any more


def test_a_rate_older_than_a_week_does_not_price_a_purchase_so_it_waits(manager):
    rate('SEK', BOUGHT - timedelta(days=30), '11.00')
    watch = take_in(manager, purchase_cost='10000', purchase_currency='SEK', purchased_on=BOUGHT)
    assert _rows() == [] and watch.purchase_cost_base is None  # not a base cost the ledger would not book
    rate('SEK', BOUGHT, '11.20')
    assert purchases.book_waiting() == 1
    assert _rows()[0].fx_rate == D('11.2') and _base(watch.id) == D('892.86')


def test_the_ecb_import_books_the_purchases_that_waited_for_its_rates(ecb, manager):
    waiting = take_in(manager, purchase_cost='10000', purchase_currency='SEK', purchased_on=BOUGHT)
    still = take_in(manager, purchase_cost='500', purchase_currency='SEK', purchased_on=BOUGHT - timedelta(days=60))
    result = fx.import_feed(None, 'daily')
    assert result.purchases_booked == 1
    (row,) = _rows()
    assert (row.watch_id, row.fx_rate, row.base_amount, row.created_by_id) == (waiting.id, D('11.134'), D('-898.15'),
                                                                              None)  # fmt: skip
    assert _bookings_audited()[-1] == ('ledger.book', 'system', str(row.id))
    assert _base(still.id) is None  # no rate within a week of its day: it goes on waiting


def test_waiting_purchases_are_booked_in_chunks(manager, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(purchases, 'CHUNK', 2)
    made = [
        take_in(manager, purchase_cost=str(100 + n), purchase_currency='SEK', purchased_on=BOUGHT) for n in range(5)
    ]
    rate('SEK', BOUGHT, '10.00')
    assert purchases.book_waiting() == 5
    assert [row.watch_id for row in _rows()] == [watch.id for watch in made]
    assert ledger_verify.verify().ok


# --- edits ---------------------------------------------------------------------------------------------------------


def test_a_corrected_cost_reverses_the_purchase_and_books_the_new_one(manager, agent, supplier):
    rate('SEK', BOUGHT, '11.00')
    watch = take_in(manager, agent_id=agent.id, supplier_id=supplier, purchase_cost='10000', purchase_currency='SEK',
                    purchased_on=BOUGHT)  # fmt: skip
    first = _rows()[0]
    edited = _edit(manager, watch.id, purchase_cost='11000')
    reversal, second = _rows()[1:]
    assert _said([reversal, second]) == [
        (T.REVERSAL, D('10000.00'), 'SEK', D('909.09'), first.id, purchases.CORRECTED),
        (T.PURCHASE, D('-11000.00'), 'SEK', D('-1000.00'), None, None),
    ]
    assert (reversal.fx_rate, reversal.user_id, reversal.contact_id, reversal.value_date) == (
        D('11'), agent.id, supplier, date.today())  # fmt: skip
    assert (second.user_id, second.contact_id, second.value_date) == (agent.id, supplier, BOUGHT)
    assert edited.purchase_cost_base == D('1000.00')
    assert [action for action, _, _ in _bookings_audited()] == ['ledger.book', 'ledger.reverse', 'ledger.book']
    assert ledger_verify.verify().ok


def test_another_agent_moves_the_purchase_to_them(manager, agent):
    watch = take_in(manager, agent_id=agent.id, purchase_cost='800', purchase_currency='EUR')
    other = make_user(Role.AGENT)
    _edit(manager, watch.id, agent_id=other.id)
    first, reversal, moved = _rows()
    assert (reversal.reverses_id, reversal.user_id, reversal.memo) == (first.id, agent.id, purchases.MOVED)
    assert (moved.type, moved.amount, moved.user_id) == (T.PURCHASE, D('-800.00'), other.id)


def test_removing_the_cost_reverses_the_purchase(manager):
    watch = take_in(manager, purchase_cost='800', purchase_currency='EUR')
    edited = _edit(manager, watch.id, purchase_cost=None, purchase_currency=None)
    purchase, reversal = _rows()
    assert (reversal.type, reversal.amount, reversal.reverses_id, reversal.memo) == (
        T.REVERSAL, D('800.00'), purchase.id, purchases.REMOVED)  # fmt: skip
    assert edited.purchase_cost_base is None and purchases.book_waiting() == 0
    assert pnl.watch_pnl(make_user(Role.FINANCE), watch.id).waiting_purchase is None


def test_an_edit_that_leaves_the_purchase_alone_books_nothing(manager):
    watch = take_in(manager, purchase_cost='800', purchase_currency='EUR', purchased_on=BOUGHT)
    _edit(manager, watch.id, notes='Crystal scratched', asking_price='1500', price_currency='EUR')
    _edit(manager, watch.id, purchase_cost='800.00', purchased_on=BOUGHT.isoformat())  # the same, as typed again
    assert len(_rows()) == 1


def test_a_cost_set_later_on_a_watch_taken_in_without_one_is_booked(manager):
    watch = take_in(manager)
    assert _rows() == []
    _edit(manager, watch.id, purchase_cost='950', purchase_currency='EUR')
    assert _said(_rows()) == [(T.PURCHASE, D('-950.00'), 'EUR', D('-950.00'), None, None)]


def test_a_correction_without_a_rate_reverses_the_old_purchase_and_the_new_one_waits(manager):
    rate('SEK', BOUGHT, '11.00')
    watch = take_in(manager, purchase_cost='10000', purchase_currency='SEK', purchased_on=BOUGHT)
    edited = _edit(manager, watch.id, purchase_currency='NOK')
    assert [row.type for row in _rows()] == [T.PURCHASE, T.REVERSAL] and edited.purchase_cost_base is None
    rate('NOK', BOUGHT, '11.50')
    assert purchases.book_waiting() == 1
    assert _rows()[-1].currency == 'NOK' and ledger_verify.verify().ok


# --- the imports ---------------------------------------------------------------------------------------------------


def test_the_spreadsheet_import_books_each_purchase(manager):
    data = b'Brand,Model,purchase_cost,purchase_currency,purchased_on\nRolex,Submariner,4000,EUR,2025-03-04\n' \
           b'Omega,Speedmaster,,,\n'  # fmt: skip
    report = spreadsheets.import_watches(manager, 'w.csv', data, dry_run=False)
    (row,) = _rows()
    assert (row.amount, row.reference, row.created_by_id) == (D('-4000.00'), f'PO-{report.skus[0]}', manager.id)


def test_the_import_job_books_each_purchase(media, manager):
    data = 'Brand,Model,purchase_cost,purchase_currency\nRolex,Submariner,4000,EUR\nOmega,Speedmaster,2500,EUR\n'
    token = jobs.stash_upload(manager, 'watches.csv', data.encode())
    job = jobs.start(manager, 'import', {'upload': token, 'filename': 'watches.csv'})
    assert jobs.run(job.id) == 'succeeded'
    assert sorted(row.amount for row in _rows()) == [D('-4000.00'), D('-2500.00')]
    assert [action for action, _, _ in _bookings_audited()] == ['ledger.book', 'ledger.book']


# --- who, and refusals -----------------------------------------------------------------------------------------------


def test_an_agent_without_ledger_rights_books_their_own_purchase_by_taking_a_watch_in(agent):
    with pytest.raises(PermissionDenied):
        bookings.book(agent, {'type': 'purchase', 'amount': '1', 'currency': 'EUR', 'value_date': BOUGHT})
    watch = take_in(agent, purchase_cost='1200', purchase_currency='EUR')
    (row,) = _rows()
    assert (row.watch_id, row.user_id, row.created_by_id) == (watch.id, agent.id, agent.id)
    assert _bookings_audited() == [('ledger.book', agent.email, str(row.id))]


@pytest.mark.parametrize(
    ('values', 'field'),
    [
        ({'purchase_cost': '1000'}, 'purchase_currency'),  # a cost without its currency
        ({'purchase_cost': '1000', 'purchase_currency': 'EUR', 'supplier_id': 9999}, 'supplier_id'),
        ({'purchase_cost': '-5', 'purchase_currency': 'EUR'}, 'purchase_cost'),
    ],
)
def test_a_refused_intake_books_nothing(manager, values, field):
    before = _footprint()
    with pytest.raises(ValidationFailed) as refused:
        take_in(manager, **values)
    assert field in refused.value.fields
    assert _footprint() == before


@pytest.mark.parametrize('role', [Role.FINANCE, Role.SELLER])
def test_roles_that_may_not_take_in_or_cost_a_watch_book_nothing(db, role):
    actor = make_user(role)
    before = _footprint()
    with pytest.raises(PermissionDenied):
        take_in(actor, purchase_cost='1000', purchase_currency='EUR')
    assert _footprint() == before


def test_a_refused_edit_books_nothing(manager):
    watch = take_in(manager, purchase_cost='800', purchase_currency='EUR')
    seller = make_user(Role.SELLER)
    before = _footprint()
    with pytest.raises(PermissionDenied):
        watches.update_watch(seller, watch.id, watches.parse_watch({'purchase_cost': '900'}, partial=True), version=1)
    with pytest.raises(ValidationFailed):
        _edit(manager, watch.id, purchase_currency='ZZZ')
    assert _footprint() == before


@pytest.mark.parametrize('role', [Role.AGENT, Role.MANAGER, Role.SELLER])
def test_only_who_manages_rates_books_waiting_purchases_by_hand(manager, role):
    take_in(manager, purchase_cost='100', purchase_currency='SEK', purchased_on=BOUGHT)
    rate('SEK', BOUGHT, '10.00')
    refused = make_user(role)
    before = _footprint()
    with pytest.raises(PermissionDenied):
        purchases.book_waiting(refused)
    assert _footprint() == before
    assert purchases.book_waiting(make_user(Role.FINANCE)) == 1


def test_watches_made_without_the_intake_service_book_nothing_until_they_change(db):
    """The demo seed and the test factories write watches straight into the table (the seed books their purchases
    itself); only a later change of the purchase books one."""
    make_watch(cost='500.00')
    assert purchases.book_waiting() == 0 and _rows() == []
