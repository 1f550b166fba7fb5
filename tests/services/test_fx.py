"""Exchange rates: the ECB import over loopback (both files, again, a rate set by hand kept, a base other than the
euro, every failure writing nothing), rates set by hand, exact conversions through the base, the latest rates and
their history, the import job and its schedule, and who may do what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from config import get_settings
from db.engine import session_scope
from db.enums import Role
from db.ledger import FxRate
from db.system import AuditEntry, Job, Notification
from services import fx, fx_schedule, jobs
from services.errors import PermissionDenied, ValidationFailed
from services.job_fx import KIND, NOTIFICATION
from services.permissions import Actor
from tests.factories import make_user
from tests.fakes.ecb_server import NEW_CODE
from tests.finance import rate

DAY = date(2025, 3, 4)


@pytest.fixture
def sek_base(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv('SV_BASE_CURRENCY', 'SEK')
    get_settings.cache_clear()
    yield
    monkeypatch.delenv('SV_BASE_CURRENCY')
    get_settings.cache_clear()


@pytest.fixture
def finance(db) -> Actor:
    return make_user(Role.FINANCE, name='Fay Finance')


def _rates() -> dict[tuple[str, date], tuple[Decimal, str]]:
    with session_scope() as session:
        return {(row.currency, row.rate_date): (row.rate, row.source) for row in session.exec(select(FxRate))}


def _snapshot() -> list:
    """Every row a rate change may write, to prove a refusal wrote nothing."""
    with session_scope() as session:
        return [session.execute(sa.select(table)).all() for table in (FxRate.__table__, AuditEntry.__table__)]


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- the import ----------------------------------------------------------------------------------------------------


def test_the_daily_import_stores_the_ecb_figures_per_euro_and_audits_once(ecb, finance):
    result = fx.import_feed(finance, 'daily')
    assert (result.days, result.inserted, result.updated, result.skipped, result.newest) == (1, 6, 0, 0, DAY)
    rates = _rates()
    assert rates[('USD', DAY)] == (Decimal('1.0486'), 'ECB') and rates[('GBP', DAY)] == (Decimal('0.8253'), 'ECB')
    assert len(rates) == 6 and ('EUR', DAY) not in rates
    (entry,) = _audit('fx.imported')
    assert entry.actor_id == finance.id and entry.after['inserted'] == 6 and entry.after['feed'] == 'daily'


def test_the_90_day_import_then_again_changes_nothing_and_a_revised_rate_is_updated(ecb):
    first = fx.import_feed(None, '90d')
    assert (first.days, first.inserted) == (5, 30)
    again = fx.import_feed(None, '90d')
    assert (again.inserted, again.updated, again.skipped) == (0, 0, 30)
    ecb.days[0] = ('2025-03-04', [('USD', '1.0500'), *ecb.days[0][1][1:]])
    revised = fx.import_feed(None, 'daily')
    assert (revised.inserted, revised.updated, revised.skipped) == (0, 1, 5)
    assert _rates()[('USD', DAY)] == (Decimal('1.05'), 'ECB')
    assert [entry.actor_label for entry in _audit('fx.imported')] == ['system'] * 3


def test_a_rate_set_by_hand_is_never_overwritten_and_the_import_says_so(ecb, finance):
    fx.set_manual_rate(finance, 'USD', DAY, '1.1000')
    fx.set_manual_rate(finance, 'SEK', DAY, '11.1340')  # the same figure as the ECB's: nothing to report
    result = fx.import_feed(finance, 'daily')
    assert (result.inserted, result.skipped, result.kept_manual) == (4, 2, ['USD 2025-03-04'])
    assert _rates()[('USD', DAY)] == (Decimal('1.1'), 'manual')


def test_a_code_nobody_knows_is_skipped_and_reported(ecb):
    ecb.mode = 'new-code'
    result = fx.import_feed(None, 'daily')
    assert result.unknown == [NEW_CODE] and result.inserted == 6
    assert not any(code == NEW_CODE for code, _ in _rates())


def test_with_another_base_the_rates_are_restated_through_the_euro(ecb, sek_base):
    result = fx.import_feed(None, 'daily')
    rates = _rates()
    assert result.inserted == 6 and ('SEK', DAY) not in rates
    assert rates[('EUR', DAY)] == (Decimal('0.08981498'), 'ECB')  # 1 / 11.1340
    assert rates[('USD', DAY)] == (Decimal('0.09417999'), 'ECB')  # 1.0486 / 11.1340 = 0.094179989…
    assert fx.convert(Decimal('1000'), 'EUR', 'SEK', DAY) == Decimal('11134.00')


@pytest.mark.parametrize(
    ('mode', 'sentence'),
    [
        ('down', 'The ECB feed could not be reached: connection refused.'),
        ('500', 'The ECB feed could not be reached: it answered 500 Internal Server Error.'),
        ('malformed', 'The ECB feed answered with something that is not its XML.'),
        ('html', 'The ECB feed answered with something that is not its XML.'),
    ],
)
def test_a_feed_that_fails_is_said_in_one_sentence_and_writes_nothing(ecb, finance, mode, sentence):
    before = _snapshot()
    if mode == 'down':
        ecb.stop()
    else:
        ecb.mode = mode
    with pytest.raises(fx.FeedFailed) as refused:
        fx.import_feed(finance, 'daily')
    assert str(refused.value) == sentence
    assert _snapshot() == before


@pytest.mark.parametrize('role', [Role.MANAGER, Role.AGENT, Role.SELLER])
def test_only_those_who_manage_rates_import_them(ecb, role):
    someone = make_user(role)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match='may not manage exchange rates'):
        fx.import_feed(someone, 'daily')
    assert _snapshot() == before and ecb.requests == []


# --- rates set by hand ---------------------------------------------------------------------------------------------


def test_a_rate_set_by_hand_replaces_the_ecbs_with_its_before_and_after_audited(db, finance):
    with session_scope() as session:
        session.add(FxRate(currency='USD', rate_date=DAY, rate=Decimal('1.0486'), source='ECB'))
    read = fx.set_manual_rate(finance, 'usd', DAY.isoformat(), '1.05')
    assert (read.currency, read.rate_date, read.rate, read.source) == ('USD', DAY, Decimal('1.05'), 'manual')
    fx.set_manual_rate(finance, 'JPY', DAY, Decimal('160.123456'))
    assert _rates() == {('USD', DAY): (Decimal('1.05'), 'manual'), ('JPY', DAY): (Decimal('160.123456'), 'manual')}
    first, second = _audit('fx.rate_set')
    assert first.before == {'rate': '1.04860000', 'source': 'ECB'}
    assert first.after == {'currency': 'USD', 'rate_date': '2025-03-04', 'rate': '1.05000000', 'source': 'manual'}
    assert second.before is None and first.actor_id == finance.id


@pytest.mark.parametrize(
    ('values', 'field', 'message'),
    [
        ({'currency': 'XYZ'}, 'currency', '"XYZ" is not a currency code'),
        ({'currency': 'EUR'}, 'currency', 'EUR is the base currency'),
        ({'day': date.today() + timedelta(days=1)}, 'day', 'not the future'),
        ({'day': 'yesterday'}, 'day', 'valid date'),
        ({'rate': '0'}, 'rate', 'above 0'),
        ({'rate': '-1.2'}, 'rate', 'above 0'),
        ({'rate': 'NaN'}, 'rate', 'finite number'),
        ({'rate': 'ten'}, 'rate', 'valid decimal'),
        ({'rate': '1234.567890123'}, 'rate', 'at most 12 significant digits'),
        ({'rate': '1000000000000'}, 'rate', 'at most 12 significant digits'),
        ({'rate': '0.000000001'}, 'rate', 'at most 8 decimal places'),
    ],
)
def test_a_wrong_rate_by_hand_is_refused_under_its_field_and_writes_nothing(finance, values, field, message):
    before = _snapshot()
    wanted = {'currency': 'USD', 'day': DAY, 'rate': '1.05'} | values
    with pytest.raises(ValidationFailed) as refused:
        fx.set_manual_rate(finance, **wanted)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


@pytest.mark.parametrize('role', [Role.MANAGER, Role.AGENT, Role.SELLER])
def test_only_those_who_manage_rates_set_one_by_hand(db, role):
    someone = make_user(role)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match='may not manage exchange rates'):
        fx.set_manual_rate(someone, 'USD', DAY, '1.05')
    assert _snapshot() == before


# --- conversions ---------------------------------------------------------------------------------------------------


@pytest.fixture
def usd_sek(db) -> None:
    rate('USD', DAY, '1.0486')
    rate('SEK', DAY, '11.1340')


def test_a_conversion_goes_through_the_base_and_rounds_half_to_even_to_the_cent(usd_sek):
    assert fx.convert(Decimal('100'), 'USD', 'SEK', DAY) == Decimal('1061.80')  # 100 × 11.1340 / 1.0486
    assert fx.convert(Decimal('1061.80'), 'SEK', 'USD', DAY) == Decimal('100.00')
    assert fx.convert(Decimal('1000'), 'EUR', 'USD', DAY) == Decimal('1048.60')
    assert fx.convert(Decimal('1048.60'), 'USD', 'EUR', DAY) == Decimal('1000.00')
    assert fx.convert(Decimal('0.125'), 'EUR', 'EUR', DAY) == Decimal('0.12')  # half to even
    assert fx.rate_between('USD', 'SEK', DAY) == Decimal('10.6179668129')
    assert fx.rate_between('SEK', 'EUR', DAY) == Decimal('0.0898149811389')


def test_a_conversion_takes_the_latest_rate_of_the_week_before_and_no_older(usd_sek):
    later = DAY + timedelta(days=7)
    assert fx.convert(Decimal('100'), 'USD', 'EUR', later) == Decimal('95.37')
    with pytest.raises(ValidationFailed) as refused:
        fx.convert(Decimal('100'), 'USD', 'SEK', later + timedelta(days=1))
    assert 'No USD exchange rate is known for 2025-03-12' in str(refused.value)
    assert refused.value.fields == {'from_currency': 'No USD rate for 2025-03-12.'}
    with pytest.raises(ValidationFailed, match='No CHF exchange rate is known for 2025-03-04'):
        fx.rate_between('EUR', 'CHF', DAY)


def test_the_converter_shows_the_rates_it_used_to_those_who_see_rates(usd_sek, finance):
    shown = fx.conversion(finance, '250.00', 'sek', 'USD', '2025-03-04')
    assert (shown.result, shown.from_rate, shown.to_rate) == (Decimal('23.54'), Decimal('11.134'), Decimal('1.0486'))
    assert (shown.cross_rate, shown.base_currency, shown.from_currency) == (
        Decimal('0.0941799892222'), 'EUR', 'SEK')  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        fx.conversion(finance, 'lots', 'SEK', 'USD', DAY)
    assert 'amount' in refused.value.fields
    with pytest.raises(PermissionDenied, match=r'Your role \(manager\) may not see the ledger\.'):
        fx.conversion(make_user(Role.MANAGER), '1', 'SEK', 'USD', DAY)


# --- latest and history --------------------------------------------------------------------------------------------


def test_the_latest_rates_show_the_change_since_the_rate_before(ecb, finance):
    fx.import_feed(finance, '90d')
    fx.set_manual_rate(finance, 'DKK', DAY, '7.4589')
    page = fx.latest(finance)
    assert page.total == 7 and [item.currency for item in page.items][:3] == ['CHF', 'DKK', 'GBP']
    usd = next(item for item in page.items if item.currency == 'USD')
    assert (usd.rate, usd.rate_date, usd.source, usd.previous_date) == (
        Decimal('1.0486'), DAY, 'ECB', date(2025, 3, 3))  # fmt: skip
    assert (usd.change, usd.change_percent) == (Decimal('0.0021'), Decimal('0.20'))
    dkk = next(item for item in page.items if item.currency == 'DKK')
    assert (dkk.source, dkk.change, dkk.previous_rate) == ('manual', None, None)
    second = fx.latest(finance, offset=5, limit=5, sort='currency', descending=True)
    assert [item.currency for item in second.items] == ['DKK', 'CHF']


def test_a_currencys_history_pages_with_its_sources_and_charts_oldest_first(ecb, finance):
    fx.import_feed(finance, '90d')
    fx.set_manual_rate(finance, 'USD', date(2025, 3, 1), '1.0440')
    page = fx.history(finance, 'usd', date(2025, 2, 27), None, offset=0, limit=2)
    assert page.total == 5
    assert [(item.rate_date, item.source) for item in page.items] == [(DAY, 'ECB'), (date(2025, 3, 3), 'ECB')]
    rest = fx.history(finance, 'USD', date(2025, 2, 27), DAY, offset=2, limit=2).items
    assert [(item.rate_date, item.source) for item in rest] == [
        (date(2025, 3, 1), 'manual'),
        (date(2025, 2, 28), 'ECB'),
    ]
    points = fx.series(finance, 'USD', date(2025, 2, 1), DAY)
    assert points[0] == (date(2025, 2, 26), Decimal('1.0487')) and len(points) == 6
    with pytest.raises(ValidationFailed, match='ends before it starts'):
        fx.series(finance, 'USD', DAY, date(2025, 1, 1))


@pytest.mark.parametrize('role', [Role.MANAGER, Role.AGENT, Role.SELLER])
def test_rates_are_read_only_by_those_who_see_the_ledger_or_manage_rates(db, role):
    reader = make_user(role)
    for read in (lambda: fx.latest(reader), lambda: fx.history(reader, 'USD'),
                 lambda: fx.series(reader, 'USD', DAY, DAY)):  # fmt: skip
        with pytest.raises(PermissionDenied, match=f'Your role \\({role.value}\\) may not see the ledger'):
            read()


# --- the job and the schedule --------------------------------------------------------------------------------------


def test_the_import_job_fetches_and_a_failed_fetch_fails_it_with_the_sentence_and_retries(ecb, finance):
    view = jobs.start(finance, KIND, {'feed': '90d'})
    assert (view.kind, view.title, view.total) == (KIND, 'Fetch the last 90 days of ECB rates', 1)
    assert jobs.run(view.id) == 'succeeded' and len(_rates()) == 30
    ecb.mode = '500'
    failed = jobs.start(finance, KIND, {'feed': 'daily'})
    assert jobs.run(failed.id) == 'failed'
    shown = jobs.get(finance, failed.id)
    assert [error.message for error in shown.errors] == [
        'The ECB feed could not be reached: it answered 500 Internal Server Error.']  # fmt: skip
    assert shown.can_retry and _notifications() == []  # a person's job tells that person, through the runner
    ecb.mode = 'ok'
    jobs.retry_failed(finance, failed.id)
    assert jobs.run(failed.id) == 'succeeded'


def test_the_import_job_is_refused_bad_parameters_and_other_roles(ecb, finance):
    with pytest.raises(ValidationFailed, match='feed'):
        jobs.start(finance, KIND, {'feed': 'weekly'})
    with pytest.raises(PermissionDenied, match='may not manage exchange rates'):
        jobs.start(make_user(Role.MANAGER), KIND, {'feed': 'daily'})
    with session_scope() as session:
        assert session.exec(select(Job)).all() == []


def _notifications() -> list[tuple[int, str]]:
    with session_scope() as session:
        rows = session.exec(select(Notification).where(Notification.kind == NOTIFICATION)).all()
        return sorted((row.user_id, row.title) for row in rows)


def test_the_schedule_fetches_90_days_when_empty_then_daily_and_tells_finance_when_it_fails(ecb, finance):
    admin = make_user(Role.ADMIN)
    make_user(Role.MANAGER)
    wednesday = date(2025, 3, 5)
    first = fx_schedule.start_scheduled(wednesday)
    assert first.title == 'Fetch the last 90 days of ECB rates' and jobs.run(first.id) == 'succeeded'
    second = fx_schedule.start_scheduled(wednesday)
    assert second.title == "Fetch today's ECB rates"
    ecb.stop()
    assert jobs.run(second.id) == 'failed'
    title = 'The exchange rates could not be fetched'
    assert _notifications() == sorted([(finance.id, title), (admin.id, title)])


def test_the_schedule_knows_what_is_due(db):
    monday = date(2025, 3, 3)
    assert fx.scheduled_feed(monday) == '90d'
    with session_scope() as session:
        session.add(FxRate(currency='USD', rate_date=date(2025, 2, 27), rate=Decimal('1.0448'), source='ECB'))
    assert fx.scheduled_feed(monday) == '90d'  # Friday the 28th is missing
    rate('USD', date(2025, 2, 28), '1.0413')  # by hand: the ECB's own is still missing
    assert fx.scheduled_feed(monday) == '90d'
    with session_scope() as session:
        session.add(FxRate(currency='SEK', rate_date=date(2025, 2, 28), rate=Decimal('11.2210'), source='ECB'))
    assert fx.scheduled_feed(monday) == 'daily'
    with session_scope() as session:
        session.add(FxRate(currency='SEK', rate_date=monday, rate=Decimal('11.1610'), source='ECB'))
    assert fx.scheduled_feed(monday) is None
    assert fx_schedule.start_scheduled(monday) is None
    assert fx.previous_business_day(monday) == date(2025, 2, 28)
