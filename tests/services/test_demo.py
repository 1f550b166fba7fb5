"""Demo data: deterministic, consistent with the domain's rules, and safe to load twice."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import get_settings
from db import engine as db_engine
from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import CommissionBasis, ContactKind, LocationKind, Role, TransactionType
from db.inventory import SkuCounter, Watch, WatchImage
from db.ledger import CommissionRule, FxRate, Transaction
from db.places import Batch, Location
from db.sales import Sale
from db.system import AuditEntry
from db.workflow import Stage, StageEvent
from services import (
    accounts,
    balances,
    commissions,
    dashboard,
    demo,
    grading,
    ledger,
    ledger_verify,
    media_store,
    reference,
    reports,
    sales,
    sku,
)
from services.errors import ValidationFailed
from services.permissions import SYSTEM
from tests import databases
from tests.factories import make_user

WATCHES = 300
T = TransactionType
CENT = Decimal('0.01')
SOLD_STAGES = {'sold', 'shipped', 'delivered'}
# channel -> (the currency it settles in, its platform fee as a share of the price, the reference's prefix)
CHANNELS = {'catawiki': ('EUR', Decimal('0.125'), 'CW-'), 'tradera': ('SEK', Decimal('0.10'), 'TR-')}


def _rows(query) -> list:
    with session_scope() as session:
        return list(session.execute(query).all())


def _table(model: type, order_by: str = 'id') -> list[dict]:
    table = model.__table__
    with session_scope() as session:
        return [dict(row) for row in session.execute(sa.select(table).order_by(table.c[order_by])).mappings()]


def _digest() -> str:
    """One fingerprint of everything the seed decides."""
    parts = [
        _rows(sa.select(Watch.__table__).order_by(Watch.id)),
        _rows(sa.select(Transaction.row_hash).order_by(Transaction.id)),
        _rows(sa.select(Sale.__table__).order_by(Sale.id)),
        _rows(sa.select(WatchImage.watch_id, WatchImage.checksum, WatchImage.position).order_by(WatchImage.id)),
        _rows(sa.select(Batch.batch_number, Batch.status, Batch.shipped_at).order_by(Batch.id)),
        _rows(sa.select(Contact.name, Contact.email, Contact.city).order_by(Contact.id)),
        _rows(sa.select(FxRate.rate_date, FxRate.currency, FxRate.rate).order_by(FxRate.id)),
        _rows(sa.select(User.email, User.name, User.role).order_by(User.id)),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@contextmanager
def _another_database(template: str, scratch: Path) -> Iterator[None]:
    """A second fresh database as the process-wide engine inside the block; the test's own one afterwards."""
    own = db_engine.get_engine()
    url = databases.clone(template, scratch, 999_999)
    db_engine.use_engine(db_engine.make_engine(url))
    try:
        yield
    finally:
        db_engine.use_engine(own)
        databases.drop(url)


def _verify_chain(rows: list[dict]) -> None:
    """Recompute every hash from GENESIS in id order, as an auditor would."""
    previous = ledger.GENESIS
    for row in rows:
        assert row['prev_hash'] == previous, f'transaction {row["id"]} does not continue the chain'
        assert row['row_hash'] == ledger.row_hash(previous, row), f'transaction {row["id"]} was changed'
        previous = row['row_hash']


def test_the_same_seed_gives_the_same_data_in_another_database(db, database_template, tmp_path):
    demo.seed(watches=WATCHES, seed=7)
    first = _digest()
    with _another_database(database_template, tmp_path):
        demo.seed(watches=WATCHES, seed=7)
        assert _digest() == first
        serials = _rows(sa.select(Watch.serial).order_by(Watch.id))
    with _another_database(database_template, tmp_path):
        demo.seed(watches=WATCHES, seed=8)
        assert _rows(sa.select(Watch.serial).order_by(Watch.id)) != serials, 'another seed, other watches'


def test_watches_are_drawn_from_the_reference_table_and_graded_consistently(db):
    steps = []
    summary = demo.seed(watches=WATCHES, progress=lambda step, done, total: steps.append((step, done, total)))
    watches = _table(Watch)
    assert len(watches) == WATCHES
    assert len({w['sku'] for w in watches}) == WATCHES
    assert len({w['serial'] for w in watches}) == WATCHES
    for watch in watches:
        model = reference.by_reference(watch['reference'])
        assert model is not None and watch['reference_norm'] == model.reference_norm
        assert (watch['brand'], watch['model'], watch['calibre'], watch['movement']) == (
            model.brand, model.model, model.calibre, model.movement
        )  # fmt: skip
        assert model.year_from <= watch['year'] <= model.year_to
        assert watch['period'] == f'{watch["year"] // 10 * 10}s'
        assert set(watch['condition']) == set(grading.COMPONENTS)
        assert watch['condition_grade'] == grading.overall(watch['condition'])
        assert watch['sku'] == sku.format_sku(watch['created_at'].date(), int(watch['sku'].rsplit('-', 1)[1]))
        assert watch['purchased_on'] <= watch['created_at'].date()
        assert watch['sold_on'] is None or watch['sold_on'] >= watch['created_at'].date()
        assert watch['version'] == 1
    grades = Counter(w['condition_grade'] for w in watches)
    assert grades['B'] + grades['C'] > WATCHES / 2
    assert ('watches', WATCHES, WATCHES) in steps and ('photos', 45, 45) in steps
    assert demo.DEMO_PASSWORD in summary and f'{WATCHES:,} watches' in summary


def test_the_workflow_is_populated_and_this_week_shows_new_watches(db):
    demo.seed(watches=WATCHES)
    figures = dashboard.figures(SYSTEM)
    per_stage = {stage.key: stage.count for stage in figures.per_stage}
    assert sum(per_stage.values()) == WATCHES
    assert per_stage['listed'] and per_stage['intake'] and per_stage['delivered']
    assert figures.in_stock > WATCHES / 2
    assert figures.added_this_week >= 3
    events = _table(StageEvent)
    assert len(events) == WATCHES and {e['from_stage_id'] for e in events} == {None}
    watches = {w['id']: w for w in _table(Watch)}
    assert all(e['to_stage_id'] == watches[e['watch_id']]['stage_id'] for e in events)


def test_every_watch_has_one_exact_purchase_in_the_hash_chained_ledger(db):
    demo.seed(watches=WATCHES)
    _assert_books()


def test_another_base_currency_books_at_its_own_rates(db, monkeypatch):
    monkeypatch.setenv('SV_BASE_CURRENCY', 'NOK')
    get_settings.cache_clear()
    with pytest.raises(ValidationFailed, match='not NOK'):
        demo.seed(watches=10)
    monkeypatch.setenv('SV_BASE_CURRENCY', 'SEK')
    get_settings.cache_clear()
    demo.seed(watches=100)
    _assert_books()
    assert {r['currency'] for r in _table(FxRate)} == {'EUR', 'USD', 'GBP', 'CHF'}
    assert all(Decimal('0.08') < r['rate'] < Decimal('0.095') for r in _table(FxRate) if r['currency'] == 'EUR')
    tradera = [tx for tx in _table(Transaction) if tx['type'] is T.SALE and tx['currency'] == 'SEK']
    assert tradera and all(tx['fx_rate'] == 1 and tx['base_amount'] == tx['amount'] for tx in tradera)


def _assert_books() -> None:
    """The purchases and the sales booked exactly, every row at the table's rate, the chain sound from the start."""
    transactions = _table(Transaction)
    _assert_purchases_booked([tx for tx in transactions if tx['type'] is T.PURCHASE])
    _assert_sales_booked([tx for tx in transactions if tx['type'] not in (T.PURCHASE, T.ADVANCE, T.PAYOUT)])
    rates = {(r['currency'], r['rate_date']): r['rate'] for r in _table(FxRate)}
    base = get_settings().base_currency
    for tx in transactions:
        assert isinstance(tx['amount'], Decimal) and isinstance(tx['base_amount'], Decimal)
        assert tx['base_currency'] == base
        assert tx['fx_rate'] == _rate_on(rates, tx['currency'], tx['value_date'], base)
        with session_scope() as session:
            assert tx['fx_rate'] == ledger.rate_for(session, tx['currency'], tx['value_date'])
        assert tx['base_amount'] == (tx['amount'] / tx['fx_rate']).quantize(CENT, ROUND_HALF_EVEN)
    _verify_chain(transactions)
    assert ledger_verify.verify() == ledger_verify.Verification(ok=True, rows=len(transactions))


def _assert_purchases_booked(purchases: list[dict]) -> None:
    """One purchase per watch, at the cost and in the currency the watch says, on the day it was bought."""
    watches = {w['id']: w for w in _table(Watch)}
    assert sorted(tx['watch_id'] for tx in purchases) == sorted(watches)
    for tx in purchases:
        watch = watches[tx['watch_id']]
        assert tx['amount'] == -watch['purchase_cost'] < 0
        assert tx['currency'] == watch['purchase_currency']
        assert tx['base_amount'] == -watch['purchase_cost_base']
        assert tx['value_date'] == watch['purchased_on']
        assert (tx['user_id'], tx['contact_id']) == (watch['agent_id'], watch['supplier_id'])
        assert tx['reference'] == f'PO-{watch["sku"]}'
    assert {tx['currency'] for tx in purchases} >= {'EUR', 'SEK'}


def _assert_sales_booked(bookings: list[dict]) -> None:
    """Every watch the seed sold has one sale in force on its sale day, with the bookings `record_sale` makes."""
    watches = {w['id']: w for w in _table(Watch)}
    stages = {stage['id']: stage['key'] for stage in _table(Stage)}
    sold = {watch_id for watch_id, watch in watches.items() if watch['sold_on'] is not None}
    assert sold == {watch_id for watch_id, watch in watches.items() if stages[watch['stage_id']] in SOLD_STAGES}
    in_force = {sale['watch_id']: sale for sale in _table(Sale) if sale['reversed_at'] is None}
    assert set(in_force) == sold and len(in_force) == len(_table(Sale))
    by_sale: dict[int, list[dict]] = {}
    for tx in bookings:
        by_sale.setdefault(tx['sale_id'], []).append(tx)
    assert set(by_sale) == {sale['id'] for sale in in_force.values()}, "every booking but purchases is a sale's"
    listed = _stage_id('listed')
    rules = {role: _role_rule(role) for role in (Role.AGENT, Role.SELLER)}
    for watch_id, sale in in_force.items():
        watch = watches[watch_id]
        assert sale['sold_on'] == watch['sold_on'] and sale['previous_stage_id'] == listed
        currency, share, prefix = CHANNELS[sale['channel']]
        assert sale['currency'] == currency and sale['reference'].startswith(prefix)
        rows = {tx['type']: tx for tx in by_sale[sale['id']]}
        assert len(rows) == len(by_sale[sale['id']]), 'one booking of each type'
        assert set(rows) <= {T.SALE, T.PLATFORM_FEE, T.SHIPPING, T.AGENT_COMMISSION, T.SELLER_COMMISSION}
        assert {tx['value_date'] for tx in rows.values()} == {sale['sold_on']}
        assert {tx['reference'] for tx in rows.values()} == {sale['reference']}
        assert rows[T.SALE]['amount'] == sale['price'] and rows[T.SALE]['currency'] == currency
        assert rows[T.PLATFORM_FEE]['amount'] == -(sale['price'] * share).quantize(CENT, ROUND_HALF_EVEN)
        assert all(tx['amount'] < 0 for kind, tx in rows.items() if kind is not T.SALE)
        for kind in (T.SALE, T.PLATFORM_FEE, T.SHIPPING):
            assert kind not in rows or rows[kind]['contact_id'] == sale['buyer_id']
        _assert_commissions(watch, rows, rules)
    assert {sale['channel'] for sale in in_force.values()} == {'catawiki', 'tradera'}
    assert any(sale['buyer_id'] for sale in in_force.values()) and not all(s['buyer_id'] for s in in_force.values())
    references = [sale['reference'] for sale in _table(Sale)]
    assert len(set(references)) == len(references)


def _assert_commissions(watch: dict, rows: dict, rules: dict[Role, CommissionRule]) -> None:
    """The agent's and the seller's commission as `commissions.calculate` gives them under their role's rule."""
    sale_base = rows[T.SALE]['base_amount']
    costs = sum(tx['base_amount'] for kind, tx in rows.items() if kind in (T.PLATFORM_FEE, T.SHIPPING))
    bases = {CommissionBasis.SALE_PRICE: sale_base,
             CommissionBasis.GROSS_PROFIT: sale_base + costs - watch['purchase_cost_base']}  # fmt: skip
    net = sale_base + costs
    for user_id, kind, role in ((watch['agent_id'], T.AGENT_COMMISSION, Role.AGENT),
                                (watch['seller_id'], T.SELLER_COMMISSION, Role.SELLER)):  # fmt: skip
        rule = rules[role]
        expected, memo = commissions.calculate(rule, bases[rule.basis], Decimal(1))
        if expected == 0:
            assert kind not in rows
            continue
        assert (rows[kind]['amount'], rows[kind]['memo'], rows[kind]['user_id']) == (-expected, memo, user_id)
        net -= expected
    assert sales.sale_in_force(SYSTEM, watch['id']).net_base == net


def _role_rule(role: Role) -> CommissionRule:
    with session_scope() as session:
        rule = session.execute(sa.select(CommissionRule).where(CommissionRule.role == role)).scalar_one()
        session.expunge(rule)
        return rule


def _stage_id(key: str) -> int:
    with session_scope() as session:
        return session.execute(sa.select(Stage.id).where(Stage.key == key)).scalar_one()


def _rate_on(rates: dict, currency: str, day, base: str) -> Decimal:
    """The rate booked for a day: the latest business day's on or before it, 1 for the base currency."""
    if currency == base:
        return Decimal(1)
    return rates[currency, max(d for c, d in rates if c == currency and d <= day)]


def test_the_demo_rules_pay_the_agents_on_profit_and_the_sellers_on_the_price(db):
    summary = demo.seed(watches=WATCHES)
    assert (_role_rule(Role.AGENT).basis, _role_rule(Role.AGENT).percent) == (CommissionBasis.GROSS_PROFIT, 5)
    assert (_role_rule(Role.SELLER).basis, _role_rule(Role.SELLER).percent) == (CommissionBasis.SALE_PRICE, 3)
    bookings = [tx for tx in _table(Transaction) if tx['sale_id'] is not None]
    count = len(_table(Sale))
    assert count > WATCHES / 5
    assert f'{count:,} sales ({len(bookings):,} bookings' in summary
    kinds = Counter(tx['type'] for tx in bookings)
    assert kinds[T.SALE] == kinds[T.PLATFORM_FEE] == kinds[T.SELLER_COMMISSION] == count
    assert count / 2 < kinds[T.SHIPPING] < count and 0 < kinds[T.AGENT_COMMISSION] <= count


def test_a_persons_own_rule_wins_over_their_roles(db):
    demo.seed(watches=0)
    finance = make_user(Role.FINANCE)
    with session_scope() as session:
        agent = session.execute(sa.select(User.id).where(User.email == f'agent1@{demo.DEMO_DOMAIN}')).scalar_one()
    start = date.today() - timedelta(days=demo.HISTORY_DAYS + 10)
    commissions.create_rule(finance, {'user_id': agent, 'basis': 'sale_price', 'percent': '2', 'currency': 'EUR',
                                      'valid_from': start.isoformat()})  # fmt: skip
    demo.seed(watches=WATCHES)
    own = [tx for tx in _table(Transaction) if tx['type'] is T.AGENT_COMMISSION and tx['user_id'] == agent]
    assert own and all(tx['memo'].startswith('2 % of ') and tx['memo'].endswith('sale price') for tx in own)
    others = [tx for tx in _table(Transaction) if tx['type'] is T.AGENT_COMMISSION and tx['user_id'] != agent]
    assert others and all(tx['memo'].endswith('gross profit') for tx in others)


def test_a_rule_in_a_currency_without_demo_rates_is_refused_and_nothing_is_written(db):
    demo.seed(watches=0)
    with session_scope() as session:
        seller = session.execute(sa.select(User.id).where(User.email == f'seller2@{demo.DEMO_DOMAIN}')).scalar_one()
    commissions.create_rule(make_user(Role.FINANCE), {'user_id': seller, 'basis': 'sale_price', 'percent': '1',
                                                      'currency': 'NOK', 'valid_from': '2020-01-01'})  # fmt: skip
    before = (_table(FxRate), _table(Batch), _table(AuditEntry))
    with pytest.raises(ValidationFailed, match=r'rule \d+ pays in NOK'):
        demo.seed(watches=50)
    assert (_table(FxRate), _table(Batch), _table(AuditEntry)) == before
    assert _table(Watch) == [] and _table(Transaction) == [] and _table(Sale) == []


def test_reports_show_the_revenue_of_the_months_with_sales(db):
    demo.seed(watches=WATCHES)
    today = date.today()
    period = {'start': today - timedelta(days=demo.HISTORY_DAYS), 'end': today}
    rows = reports.pnl_over_time(SYSTEM, period)
    revenue: dict[str, Decimal] = {}
    sold: Counter = Counter()
    sale_of = {sale['id']: sale for sale in _table(Sale)}
    for tx in _table(Transaction):
        if tx['type'] is T.SALE:
            month = sale_of[tx['sale_id']]['sold_on'].strftime('%Y-%m')
            revenue[month] = revenue.get(month, Decimal(0)) + tx['base_amount']
            sold[month] += 1
    assert len(revenue) > 6
    assert {row.key: row.revenue for row in rows if row.revenue} == revenue
    assert {row.key: row.sold for row in rows if row.sold} == dict(sold)
    assert all(row.gross_profit > 0 for row in rows if row.revenue), 'the demo business makes money'


def test_agents_are_advanced_their_purchases_and_everyone_is_paid_last_months_commissions(db):
    demo.seed(watches=WATCHES)
    today = date.today()
    spent: Counter = Counter()
    earned: Counter = Counter()
    query = sa.select(Transaction.type, Transaction.user_id, Transaction.value_date, Transaction.base_amount)
    for kind, user, day, base in _rows(query.where(Transaction.user_id.is_not(None))):
        month = day.replace(day=1)
        if kind is TransactionType.PURCHASE:
            spent[user, month] -= base
        elif kind in (TransactionType.AGENT_COMMISSION, TransactionType.SELLER_COMMISSION):
            earned[user, month] -= base
    advances = _settlements(TransactionType.ADVANCE)
    payouts = _settlements(TransactionType.PAYOUT)
    assert advances and payouts
    assert advances == {key: (total / 100).quantize(Decimal(1), ROUND_HALF_EVEN) * 100 for key, total in spent.items()}
    paid = {(user, (month + timedelta(days=32)).replace(day=5)): total for (user, month), total in earned.items()}
    assert payouts == {key: total for key, total in paid.items() if key[1] <= today}
    assert ledger_verify.verify().ok
    for user in {user for user, _ in spent}:
        owed = balances.balance(SYSTEM, user).balance
        unpaid = sum(total for (person, day), total in paid.items() if person == user and day > today)
        residue = sum(spent[key] - advances[key] for key in spent if key[0] == user)
        assert owed == unpaid + residue


def _settlements(kind: TransactionType) -> dict[tuple[int, date], Decimal]:
    query = sa.select(Transaction.user_id, Transaction.value_date, Transaction.base_amount)
    return {(user, day): -base for user, day, base in _rows(query.where(Transaction.type == kind))}


def test_a_second_run_adds_to_the_first_and_continues_numbers_and_chain(db):
    demo.seed(watches=120)
    demo.seed(watches=120, seed=43)
    watches = _table(Watch)
    assert len(watches) == 240 and len({w['sku'] for w in watches}) == 240
    assert len({w['serial'] for w in watches}) == 240
    highest: dict[str, int] = {}
    for watch in watches:
        period = sku.period_key(watch['created_at'].date())
        highest[period] = max(highest.get(period, 0), int(watch['sku'].rsplit('-', 1)[1]))
    assert {row['period']: row['value'] for row in _table(SkuCounter, 'period')} == highest
    _assert_books()
    assert len(_table(User)) == len(demo.STAFF)
    homes = [place['name'] for place in _table(Location) if place['kind'] is LocationKind.AGENT]
    assert len(homes) == 8 and len(_table(Location)) == len(demo.PLACES) + 8
    assert {f'Agent — {user["name"]}' for user in _table(User) if user['role'] is Role.AGENT} == set(homes)
    assert demo.CONTACTS < len(_table(Contact)) < 2 * demo.CONTACTS, 'suppliers met before are not added again'
    assert len(_table(FxRate)) == len({(r['currency'], r['rate_date']) for r in _table(FxRate)})
    batches = [b['batch_number'] for b in _table(Batch)]
    assert len(set(batches)) == len(batches)
    assert _rows(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == 'demo.seeded')) == [(2,)]


def test_every_role_can_log_in_with_the_demo_password(db):
    demo.seed(watches=10)
    roles = Counter(user['role'] for user in _table(User))
    assert set(roles) == set(Role) and roles[Role.AGENT] == 8 and roles[Role.SELLER] == 4
    for local in ('admin', 'manager', 'finance', 'agent3', 'seller2'):
        actor = accounts.authenticate(f'{local}@{demo.DEMO_DOMAIN}', demo.DEMO_PASSWORD)
        assert actor.role.value == local.rstrip('0123456789')
    agents = {u['id'] for u in _table(User) if u['role'] is Role.AGENT}
    assert {w['agent_id'] for w in _table(Watch)} <= agents


def test_photos_are_shared_files_on_disk_with_thumbnails(db):
    demo.seed(watches=WATCHES)
    images = _table(WatchImage)
    watches = {w['id']: w for w in _table(Watch)}
    per_watch = Counter(image['watch_id'] for image in images)
    assert set(per_watch) == set(watches)
    assert all(2 <= count == watches[watch_id]['image_count'] <= 4 for watch_id, count in per_watch.items())
    primaries = [image for image in images if image['is_primary']]
    assert len(primaries) == WATCHES and {image['position'] for image in primaries} == {0}
    checksums = {image['checksum'] for image in images}
    assert len(checksums) < len(images)
    for checksum in checksums:
        assert media_store.original_path(checksum).is_file()
        assert media_store.thumb_path(checksum, 320).is_file() and media_store.thumb_path(checksum, 1600).is_file()


def test_rows_added_after_the_seed_get_ids_of_their_own(db):
    demo.seed(watches=20)
    seeded_sales = len(_table(Sale))
    agent = make_user(Role.AGENT)
    with session_scope() as session:
        stage_id = session.execute(sa.select(Stage.id).where(Stage.key == 'intake')).scalar_one()
        watch = Watch(sku='SV-TEST-00001', brand='Omega', model='Seamaster', stage_id=stage_id)
        rows = [watch, Contact(kind=ContactKind.PERSON, name='New Supplier'), Batch(batch_number='B-TEST-001'),
                Location(name='New shelf', kind=LocationKind.WAREHOUSE)]  # fmt: skip
        session.add_all(rows)
        session.flush()
        rows += [StageEvent(watch_id=watch.id, to_stage_id=stage_id, actor_id=agent.id),
                 WatchImage(watch_id=watch.id, checksum='0' * 64, content_type='image/jpeg', width=1, height=1,
                            size_bytes=1),
                 Sale(watch_id=watch.id, channel='direct', price=Decimal(100), currency='EUR',
                      sold_on=date.today())]  # fmt: skip
        session.add_all(rows[-3:])
    assert agent.id == len(demo.STAFF) + 1
    assert watch.id == 21 and rows[-3].id == 21 and rows[-2].id > 40
    assert seeded_sales > 0 and rows[-1].id == seeded_sales + 1


def test_a_bad_count_is_refused_and_writes_nothing_while_zero_loads_only_the_people(db):
    with pytest.raises(ValidationFailed, match='between 0 and 1,000,000'):
        demo.seed(watches=-1)
    assert _table(User) == [] and _table(FxRate) == []
    demo.seed(watches=0)
    assert len(_table(User)) == len(demo.STAFF) and _table(Watch) == [] and _table(Transaction) == []
