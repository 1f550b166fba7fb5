"""The ECB client against the stand-in over real HTTP, and the parser on its own: both files, the codes it does not
know, and every way the feed can fail, each with its sentence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config import ConfigError, load_settings
from services.integrations.ecb import NOT_ITS_XML, EcbClient, FeedError, parse
from services.money import CURRENCIES
from tests.fakes.ecb_server import DAYS, NEW_CODE, ecb_server, ecb_xml


def _client(base_url: str) -> EcbClient:
    return EcbClient(base_url, timeout_seconds=2, backoff_seconds=0.01)


def test_the_daily_file_holds_the_newest_day_with_exact_decimals():
    with ecb_server() as fake:
        feed = _client(fake.base_url).fetch('daily', CURRENCIES)
    [request] = fake.requests
    assert request.path == '/stats/eurofxref/eurofxref-daily.xml'
    [day] = feed.days
    assert day.day == date(2025, 3, 4) and feed.unknown == ()
    assert day.rates == {'USD': Decimal('1.0486'), 'JPY': Decimal('156.51'), 'SEK': Decimal('11.1340'),
                         'CHF': Decimal('0.9347'), 'GBP': Decimal('0.82530'), 'NOK': Decimal('11.7695')}  # fmt: skip


def test_the_90_day_file_holds_every_day_newest_first():
    with ecb_server() as fake:
        feed = _client(f'{fake.base_url}/').fetch('90d', CURRENCIES)
    assert fake.requests[0].path == '/stats/eurofxref/eurofxref-hist-90d.xml'
    assert [day.day.isoformat() for day in feed.days] == [day for day, _ in DAYS]
    assert feed.days[-1].rates['GBP'] == Decimal('0.82830')


def test_the_days_are_put_newest_first_whatever_order_they_come_in():
    feed = parse(ecb_xml(list(reversed(DAYS))).encode(), CURRENCIES)
    assert [day.day for day in feed.days] == sorted((day.day for day in feed.days), reverse=True)


def test_a_code_the_caller_does_not_know_is_left_out_and_reported():
    with ecb_server() as fake:
        fake.mode = 'new-code'
        feed = _client(fake.base_url).fetch('90d', CURRENCIES)
    assert feed.unknown == (NEW_CODE,)
    assert all(NEW_CODE not in day.rates and 'USD' in day.rates for day in feed.days)
    assert parse(ecb_xml(DAYS[:1]).encode(), {'USD'}).days[0].rates == {'USD': Decimal('1.0486')}


def test_a_server_that_is_down_is_tried_twice_and_named():
    with ecb_server() as fake:
        fake.stop()
        with pytest.raises(FeedError) as refused:
            _client(fake.base_url).fetch('daily', CURRENCIES)
    assert str(refused.value) == 'The ECB feed could not be reached: connection refused.'


def test_a_server_error_is_retried_once_then_named():
    with ecb_server() as fake:
        fake.mode = '500'
        with pytest.raises(FeedError) as refused:
            _client(fake.base_url).fetch('daily', CURRENCIES)
    assert str(refused.value) == 'The ECB feed could not be reached: it answered 500 Internal Server Error.'
    assert len(fake.requests) == 2


def test_a_wrong_address_is_not_retried():
    with ecb_server() as fake:
        with pytest.raises(FeedError, match='it answered 404 Not Found'):
            _client(f'{fake.base_url}/elsewhere').fetch('daily', CURRENCIES)
    assert len(fake.requests) == 1


@pytest.mark.parametrize('mode', ['malformed', 'html', 'doctype'])
def test_anything_but_its_xml_is_refused(mode):
    with ecb_server() as fake:
        fake.mode = mode
        with pytest.raises(FeedError) as refused:
            _client(fake.base_url).fetch('daily', CURRENCIES)
    assert str(refused.value) == NOT_ITS_XML == 'The ECB feed answered with something that is not its XML.'


@pytest.mark.parametrize(
    'content',
    [
        b'',
        b'<?xml version="1.0"?><Envelope><Cube/></Envelope>',  # no namespaces: not the ECB's vocabulary
        ecb_xml([]).encode(),  # no day at all
        ecb_xml([('2025-13-01', [('USD', '1.0')])]).encode(),
        ecb_xml([('2025-03-04', [('USD', 'one')])]).encode(),
        ecb_xml([('2025-03-04', [('USD', '-1.0')])]).encode(),
        ecb_xml([('2025-03-04', [('USD', 'NaN')])]).encode(),
        ecb_xml([('2025-03-04', [('DOLLAR', '1.0')])]).encode(),
        ecb_xml(DAYS[:1]).replace("time='2025-03-04'", '').encode(),
    ],
)
def test_the_parser_refuses_files_that_do_not_read(content):
    with pytest.raises(FeedError, match='not its XML'):
        parse(content, CURRENCIES)


def test_an_unknown_feed_name_is_a_programming_error():
    with pytest.raises(ValueError, match='Unknown ECB feed'):
        _client('http://127.0.0.1:1').fetch('weekly', CURRENCIES)


def test_the_feeds_address_is_a_setting_that_must_be_a_web_address(monkeypatch: pytest.MonkeyPatch):
    assert load_settings().ecb_base_url == 'https://www.ecb.europa.eu/stats/eurofxref'
    monkeypatch.setenv('SV_ECB_BASE_URL', 'http://rates.internal/ecb/ ')
    assert load_settings().ecb_base_url == 'http://rates.internal/ecb'
    monkeypatch.setenv('SV_ECB_BASE_URL', 'ftp://rates.internal')
    with pytest.raises(ConfigError, match='SV_ECB_BASE_URL must start with http:// or https://'):
        load_settings()
