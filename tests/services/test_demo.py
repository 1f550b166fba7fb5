"""Demo data: deterministic, consistent with the domain's rules, and safe to load twice."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import get_settings
from db import engine as db_engine
from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import ContactKind, LocationKind, Role, TransactionType
from db.inventory import SkuCounter, Watch, WatchImage
from db.ledger import FxRate, Transaction
from db.places import Batch, Location
from db.system import AuditEntry
from db.workflow import Stage, StageEvent
from services import accounts, dashboard, demo, grading, ledger, media_store, reference, sku
from services.errors import ValidationFailed
from services.permissions import SYSTEM
from tests import databases
from tests.factories import make_user

WATCHES = 300


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
    _assert_purchases_booked()


def test_another_base_currency_books_at_its_own_rates(db, monkeypatch):
    monkeypatch.setenv('SV_BASE_CURRENCY', 'NOK')
    get_settings.cache_clear()
    with pytest.raises(ValidationFailed, match='not NOK'):
        demo.seed(watches=10)
    monkeypatch.setenv('SV_BASE_CURRENCY', 'SEK')
    get_settings.cache_clear()
    demo.seed(watches=100)
    _assert_purchases_booked()
    assert {r['currency'] for r in _table(FxRate)} == {'EUR', 'USD', 'GBP', 'CHF'}
    assert all(Decimal('0.08') < r['rate'] < Decimal('0.095') for r in _table(FxRate) if r['currency'] == 'EUR')


def _assert_purchases_booked() -> None:
    """One purchase per watch, booked exactly at the day's rate, in a chain that verifies from the start."""
    watches = {w['id']: w for w in _table(Watch)}
    transactions = _table(Transaction)
    rates = {(r['currency'], r['rate_date']): r['rate'] for r in _table(FxRate)}
    base = get_settings().base_currency
    assert sorted(t['watch_id'] for t in transactions) == sorted(watches)
    for tx in transactions:
        watch = watches[tx['watch_id']]
        assert tx['type'] is TransactionType.PURCHASE
        assert isinstance(tx['amount'], Decimal) and isinstance(tx['base_amount'], Decimal)
        assert tx['amount'] == -watch['purchase_cost'] < 0
        assert tx['currency'] == watch['purchase_currency'] and tx['base_currency'] == base
        assert tx['base_amount'] == (tx['amount'] / tx['fx_rate']).quantize(Decimal('0.01'), ROUND_HALF_EVEN)
        assert tx['base_amount'] == -watch['purchase_cost_base']
        assert tx['fx_rate'] == _rate_on(rates, tx['currency'], tx['value_date'], base)
        assert tx['value_date'] == watch['purchased_on']
        assert (tx['user_id'], tx['contact_id']) == (watch['agent_id'], watch['supplier_id'])
        assert tx['reference'] == f'PO-{watch["sku"]}'
    assert {tx['currency'] for tx in transactions} >= {'EUR', 'SEK'}
    _verify_chain(transactions)


def _rate_on(rates: dict, currency: str, day, base: str) -> Decimal:
    """The rate booked for a day: the latest business day's on or before it, 1 for the base currency."""
    if currency == base:
        return Decimal(1)
    return rates[currency, max(d for c, d in rates if c == currency and d <= day)]


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
    _verify_chain(_table(Transaction))
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
                            size_bytes=1)]  # fmt: skip
        session.add_all(rows[-2:])
    assert agent.id == len(demo.STAFF) + 1
    assert watch.id == 21 and rows[-2].id == 21 and rows[-1].id > 40


def test_a_bad_count_is_refused_and_writes_nothing_while_zero_loads_only_the_people(db):
    with pytest.raises(ValidationFailed, match='between 0 and 1,000,000'):
        demo.seed(watches=-1)
    assert _table(User) == [] and _table(FxRate) == []
    demo.seed(watches=0)
    assert len(_table(User)) == len(demo.STAFF) and _table(Watch) == [] and _table(Transaction) == []
