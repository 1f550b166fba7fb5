"""SKUs: the configured pattern, monthly numbering without gaps, never reused, and safe when many take in at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role
from db.inventory import SkuCounter, Watch
from db.system import AuditEntry
from db.workflow import StageEvent
from services import settings, watches
from services.errors import ValidationFailed
from tests.factories import make_user, take_in

MONTH = f'{date.today():%y%m}'
THREADS, PER_THREAD = 16, 5


def _number(sku: str) -> int:
    return int(sku.rsplit('-', 1)[1])


def test_skus_follow_the_default_pattern_and_count_up_within_the_month(db):
    manager = make_user(Role.MANAGER)
    assert [take_in(manager).sku for _ in range(3)] == [f'SV-{MONTH}-0000{n}' for n in (1, 2, 3)]


def test_numbering_restarts_each_month_and_picks_up_where_the_month_left_off(db):
    with session_scope() as session:
        handed_out = [watches.allocate_sku(session, day) for day in (date(2027, 1, 31), date(2027, 2, 1))]
        handed_out.append(watches.allocate_sku(session, date(2027, 1, 3)))
        handed_out.append(watches.allocate_sku(session, date(2028, 1, 3)))
    assert handed_out == ['SV-2701-00001', 'SV-2702-00001', 'SV-2701-00002', 'SV-2801-00001']


def test_a_deleted_watch_keeps_its_sku_and_the_number_is_never_handed_out_again(db):
    manager = make_user(Role.MANAGER)
    first, second = take_in(manager), take_in(manager)
    watches.delete_watch(manager, second.id, version=1)
    third = take_in(manager)
    assert [_number(w.sku) for w in (first, second, third)] == [1, 2, 3]
    with session_scope() as session:
        assert session.get(Watch, second.id).sku == second.sku


def test_a_refused_intake_uses_up_no_number(db):
    manager = make_user(Role.MANAGER)
    take_in(manager)
    with pytest.raises(ValidationFailed):
        take_in(manager, location_id=404)
    assert _number(take_in(manager).sku) == 2


def test_a_number_whose_sku_is_already_taken_is_skipped(db):
    manager = make_user(Role.MANAGER)
    with session_scope() as session:  # a watch imported with the SKU it had in the old system
        session.add(Watch(sku=f'SV-{MONTH}-00002', brand='Heuer', model='Carrera', stage_id=1))
    assert [_number(take_in(manager).sku) for _ in range(2)] == [1, 3]


def test_the_pattern_setting_shapes_new_skus_and_the_numbering_carries_on(db):
    admin = make_user(Role.ADMIN)
    take_in(admin)
    settings.set_setting(admin, 'sku.pattern', 'w{yyyy}{mm}/{n:04d}')
    watch = take_in(admin)
    assert watch.sku == f'W20{MONTH}/0002'
    assert watches.find_by_sku(admin, watch.sku.lower()) == watch.id


def test_parallel_intake_hands_out_distinct_gap_free_skus(db):
    """16 people press Save five times each at the same moment: 80 watches, SKUs 1 to 80, none twice."""
    manager = make_user(Role.MANAGER)
    start = threading.Barrier(THREADS)

    def intake_five() -> list[str]:
        start.wait()
        return [take_in(manager).sku for _ in range(PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        skus = [sku for batch in pool.map(lambda _: intake_five(), range(THREADS)) for sku in batch]
    total = THREADS * PER_THREAD
    assert len(set(skus)) == total
    assert sorted(_number(sku) for sku in skus) == list(range(1, total + 1))
    with session_scope() as session:
        count = lambda query: session.exec(query).one()  # noqa: E731
        assert count(select(SkuCounter.value).where(SkuCounter.period == MONTH)) == total
        assert count(select(func.count()).select_from(Watch)) == total
        assert count(select(func.count()).select_from(StageEvent)) == total
        assert count(select(func.count()).where(AuditEntry.action == 'watch.created')) == total
