"""Recording and reversing sales on a real database: bookings, the hash chain, stage moves, commissions, refusals."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.sales import Sale
from db.system import AuditEntry
from db.types import utcnow
from db.workflow import Stage, StageEvent
from services import commissions, contacts, ledger, sales
from services.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch
from tests.finance import book, rate

T = TransactionType
DAY = date.today() - timedelta(days=3)
SALE = {'price': '12000', 'currency': 'EUR', 'channel': 'catawiki', 'sold_on': DAY.isoformat(),
        'reference': 'CW-4711', 'platform_fee': '1200', 'shipping_cost': '50'}  # fmt: skip


@pytest.fixture
def people(db):
    """Finance books; the watch's agent and seller earn."""
    return {
        'finance': make_user(Role.FINANCE),
        'agent': make_user(Role.AGENT),
        'seller': make_user(Role.SELLER),
        'manager': make_user(Role.MANAGER),
    }


def _watch(people, stage: str = 'listed', **fields) -> int:
    return make_watch(stage, agent=people['agent'], seller_id=people['seller'].id, **fields)


def _rule(people, **values) -> commissions.RuleRead:
    data = {'basis': 'sale_price', 'percent': '5', 'currency': 'EUR', 'valid_from': '2020-01-01'} | values
    return commissions.create_rule(people['finance'], data)


def _rows(sale_id: int) -> list[Transaction]:
    with session_scope() as session:
        return list(session.exec(select(Transaction).where(Transaction.sale_id == sale_id).order_by(Transaction.id)))


def _stage(watch_id: int) -> str:
    with session_scope() as session:
        return session.exec(select(Stage.key).join(Watch, Watch.stage_id == Stage.id).where(Watch.id == watch_id)).one()


def _snapshot() -> list:
    """Every row recording a sale may write, to prove a refusal wrote nothing."""
    tables = (Transaction, Sale, AuditEntry, Watch, StageEvent)
    with session_scope() as session:
        return [session.execute(sa.select(t.__table__).order_by(t.__table__.c.id)).all() for t in tables]


# --- recording ---------------------------------------------------------------------------------------------------


def test_a_sale_books_price_fee_shipping_and_commissions_and_moves_the_watch(people):
    _rule(people, role='seller', percent='3')
    _rule(people, role='agent', basis='gross_profit', percent='5')
    _rule(people, user_id=people['agent'].id, basis='gross_profit', percent='10')  # her own rule beats the role's
    buyer = contacts.create_contact(people['finance'], {'name': 'Carl Byer'})
    watch_id = _watch(people, cost='5000.00')
    book(T.PURCHASE, '5000', 'EUR', DAY - timedelta(days=60), watch_id=watch_id)

    sale = sales.record_sale(people['finance'], watch_id, SALE | {'buyer_id': buyer.id})

    rows = _rows(sale.id)
    assert [(row.type, row.amount, row.user_id) for row in rows] == [
        (T.SALE, Decimal('12000.00'), None),
        (T.PLATFORM_FEE, Decimal('-1200.00'), None),
        (T.SHIPPING, Decimal('-50.00'), None),
        (T.AGENT_COMMISSION, Decimal('-575.00'), people['agent'].id),  # 10 % of 12,000 - 5,000 - 1,200 - 50
        (T.SELLER_COMMISSION, Decimal('-360.00'), people['seller'].id),  # 3 % of 12,000
    ]
    assert {(row.watch_id, row.reference, row.value_date) for row in rows} == {(watch_id, 'CW-4711', DAY)}
    assert [row.contact_id for row in rows] == [buyer.id] * 3 + [None] * 2  # the buyer on the money from the sale
    assert rows[3].memo == '10 % of 5,750.00 EUR gross profit'
    assert rows[4].memo == '3 % of 12,000.00 EUR sale price'
    with session_scope() as session:
        chain = session.exec(select(Transaction).order_by(Transaction.id)).all()
    for before, row in itertools.pairwise(chain):
        assert row.prev_hash == before.row_hash
        assert row.row_hash == ledger.row_hash(row.prev_hash, row.model_dump())
    assert _stage(watch_id) == 'sold'
    with session_scope() as session:
        assert session.get(Watch, watch_id).sold_on == DAY
        assert session.exec(select(AuditEntry.action).where(AuditEntry.entity_type == 'sale')).all() == ['sale.record']
    shown = sales.sale_in_force(people['finance'], watch_id)
    assert (shown.price, shown.channel_label, shown.buyer_name, len(shown.bookings)) == (
        Decimal('12000.00'), 'Catawiki', 'Carl Byer', 5)  # fmt: skip
    assert shown.net_base == Decimal('12000') - 1200 - 50 - 575 - 360
    assert sales.sale_in_force(people['manager'], watch_id).bookings == []  # no ledger for operations


def test_tiers_are_marginal_and_min_and_max_clamp(people):
    _rule(people, role='seller', percent='5', tiers=[{'above': '10000', 'percent': '8'}])
    _rule(people, role='agent', percent='1', minimum='200')
    sale = sales.record_sale(people['finance'], _watch(people), SALE | {'platform_fee': None, 'shipping_cost': None})
    by_type = {row.type: row for row in _rows(sale.id)}
    assert by_type[T.SELLER_COMMISSION].amount == Decimal('-660.00')  # 5 % of 10,000 + 8 % of 2,000
    assert by_type[T.SELLER_COMMISSION].memo == '5 % of 10,000.00 EUR + 8 % of 2,000.00 EUR on 12,000.00 EUR sale price'
    assert by_type[T.AGENT_COMMISSION].amount == Decimal('-200.00')
    assert by_type[T.AGENT_COMMISSION].memo.endswith('raised to the minimum 200.00 EUR')

    capped = commissions.RuleIn(role='agent', basis='sale_price', percent='10', maximum='1000', currency='SEK',
                                valid_from=DAY)  # fmt: skip
    amount, memo = commissions.calculate(capped, Decimal('20000'), Decimal('10'))
    assert (amount, memo) == (Decimal('100.00'), '10 % of 20,000.00 EUR sale price = 2,000.00 EUR, capped at the '
                                                 'maximum 1,000.00 SEK')  # fmt: skip


def test_gross_profit_counts_a_purchase_in_another_currency_at_its_own_rate_and_a_loss_earns_nothing(people):
    rate('SEK', DAY - timedelta(days=90), '11.00')
    rate('SEK', DAY, '10.00')
    _rule(people, role='agent', basis='gross_profit', percent='10', currency='SEK')
    _rule(people, role='seller', basis='gross_profit', percent='10')
    profitable = _watch(people)
    book(T.PURCHASE, '66000', 'SEK', DAY - timedelta(days=90), watch_id=profitable)  # 6,000.00 EUR at 11.00
    sale = sales.record_sale(people['finance'], profitable, SALE | {'platform_fee': None, 'shipping_cost': None})
    by_type = {row.type: row for row in _rows(sale.id)}
    agent = by_type[T.AGENT_COMMISSION]
    assert (agent.amount, agent.currency, agent.fx_rate, agent.base_amount) == (
        Decimal('-6000.00'), 'SEK', Decimal('10'), Decimal('-600.00'))  # fmt: skip
    assert by_type[T.SELLER_COMMISSION].amount == Decimal('-600.00')

    losing = _watch(people)
    book(T.PURCHASE, '15000', 'EUR', DAY - timedelta(days=90), watch_id=losing)
    sale = sales.record_sale(people['finance'], losing, SALE)
    assert [row.type for row in _rows(sale.id)] == [T.SALE, T.PLATFORM_FEE, T.SHIPPING]


def test_a_missing_rate_is_asked_for_and_a_manual_rate_books(people):
    watch_id = _watch(people)
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        sales.record_sale(people['finance'], watch_id, SALE | {'currency': 'USD'})
    assert 'fx_rate' in refused.value.fields
    assert 'No USD exchange rate' in str(refused.value)
    assert _snapshot() == before
    assert _stage(watch_id) == 'listed'

    sale = sales.record_sale(people['finance'], watch_id, SALE | {'currency': 'USD', 'fx_rate': '1.2'})
    booked = _rows(sale.id)[0]
    assert (booked.amount, booked.fx_rate, booked.base_amount) == (
        Decimal('12000.00'), Decimal('1.2'), Decimal('10000.00'))  # fmt: skip


# --- reversing ---------------------------------------------------------------------------------------------------


def test_a_reversal_takes_back_every_booking_and_returns_the_watch(people):
    _rule(people, role='agent', percent='5')
    _rule(people, role='seller', percent='3')
    watch_id = _watch(people)
    sale = sales.record_sale(people['finance'], watch_id, SALE | {'currency': 'USD', 'fx_rate': '1.25'})
    originals = _rows(sale.id)

    reversed_sale = sales.reverse_sale(people['finance'], sale.id, '  Buyer never paid  ')

    assert reversed_sale.reversed_at is not None
    assert reversed_sale.reversal_reason == 'Buyer never paid'
    reversals = _rows(sale.id)[len(originals) :]
    assert [(row.type, row.reverses_id, row.amount, row.currency, row.fx_rate, row.user_id) for row in reversals] == [
        (T.REVERSAL, row.id, -row.amount, row.currency, row.fx_rate, row.user_id) for row in originals]  # fmt: skip
    assert sum(row.base_amount for row in _rows(sale.id)) == 0
    assert _stage(watch_id) == 'listed'
    with session_scope() as session:
        assert session.get(Watch, watch_id).sold_on is None
    assert sales.sale_in_force(people['finance'], watch_id) is None

    before = _snapshot()
    with pytest.raises(Conflict, match='already been reversed'):
        sales.reverse_sale(people['finance'], sale.id, 'Again')
    assert _snapshot() == before
    again = sales.record_sale(people['finance'], watch_id, SALE)  # the watch can be sold anew
    assert sales.sale_in_force(people['finance'], watch_id).id == again.id


def test_a_reversal_needs_a_reason(people):
    sale = sales.record_sale(people['finance'], _watch(people), SALE)
    before = _snapshot()
    for reason in ('', '   ', 'x' * 501):
        with pytest.raises(ValidationFailed) as refused:
            sales.reverse_sale(people['finance'], sale.id, reason)
        assert 'reason' in refused.value.fields
    assert _snapshot() == before


# --- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('change', 'field', 'message'),
    [
        ({'price': '0'}, 'price', 'greater than 0'),
        ({'price': '10.001'}, 'price', 'decimal places'),
        ({'currency': 'EUX'}, 'currency', 'not a currency code'),
        ({'channel': 'ebay'}, 'channel', 'choose one of Catawiki'),
        ({'sold_on': (date.today() + timedelta(days=1)).isoformat()}, 'sold_on', 'future'),
        ({'reference': 'R' * 81}, 'reference', '80'),
        ({'platform_fee': '-1'}, 'platform_fee', 'greater than or equal to 0'),
        ({'fx_rate': '0'}, 'fx_rate', 'greater than 0'),
        ({'buyer_id': 999999}, 'buyer_id', 'Choose a contact'),
        ({'discount': '5'}, 'discount', 'Extra inputs'),
    ],
)
def test_bad_input_is_refused_with_its_field_and_writes_nothing(people, change, field, message):
    watch_id = _watch(people)
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        sales.record_sale(people['finance'], watch_id, SALE | change)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


def test_watches_that_cannot_be_sold_are_refused(people):
    in_intake, deleted, sold = _watch(people, 'intake'), _watch(people, deleted_at=utcnow()), _watch(people)
    sales.record_sale(people['finance'], sold, SALE)
    before = _snapshot()
    with pytest.raises(InvalidTransition, match='A watch in this stage cannot be sold'):
        sales.record_sale(people['finance'], in_intake, SALE)
    with pytest.raises(InvalidTransition, match='deleted'):
        sales.record_sale(people['finance'], deleted, SALE)
    with pytest.raises(Conflict, match='already has a sale in force'):
        sales.record_sale(people['finance'], sold, SALE)
    assert _snapshot() == before


@pytest.mark.parametrize('role', ['agent', 'seller', 'manager'])
def test_only_those_who_book_may_record_or_reverse(people, role):
    watch_id = _watch(people)
    sale = sales.record_sale(people['finance'], watch_id, SALE)
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        sales.record_sale(people[role], _watch(people), SALE)
    with pytest.raises(PermissionDenied):
        sales.reverse_sale(people[role], sale.id, 'Mine now')
    assert _snapshot()[1:3] == before[1:3]  # no sale, no audit (the second watch itself was made by the test)


def test_channels_are_offered_with_labels():
    assert sales.channels() == {'catawiki': 'Catawiki', 'tradera': 'Tradera', 'direct': 'Direct sale', 'other': 'Other'}
