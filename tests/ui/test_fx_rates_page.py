"""Exchange rates on screen: finance reads the latest rates and a currency's history, converts, sets a rate by hand
with inline refusals, and fetches from the ECB stand-in with progress; the screen follows changes live; roles
without the ledger or the rates are refused."""

from __future__ import annotations

from datetime import date

import pytest
from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import fx
from tests.factories import make_user
from tests.finance import rate
from tests.ui.session import PATIENCE, eventually, open_as, press

PATH = '/finance/rates'
FAY = 'fay@example.com'
RUN = 200  # tenths of a second for a job on a task worker


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _latest(user: User) -> list[tuple[str, str, str]]:
    return [(row['currency'], row['rate'], row['source']) for row in _element(user, 'fx-latest').rows]


def _text(user: User, marker: str) -> str:
    return _element(user, marker).text


async def test_finance_reads_the_latest_rates_converts_and_follows_the_history(visitor: User):
    make_user(Role.FINANCE, email=FAY)
    today = date.today()
    rate('USD', today, '1.0486')
    rate('SEK', today, '11.1340')
    await open_as(visitor, FAY, PATH, 'fx-rates')
    await eventually(lambda: _latest(visitor) == [('SEK', '11.134', 'manual'), ('USD', '1.0486', 'manual')],
                     'SEK and USD')  # fmt: skip
    visitor.find(marker='fx-convert-to-currency').elements.pop().value = 'SEK'
    await press(visitor, 'fx-convert')
    assert _text(visitor, 'fx-convert-result') == '100.00 USD = 1,061.80 SEK'
    assert _text(visitor, 'fx-convert-rates').startswith('1 USD = 10.6179668129 SEK · per 1 EUR: 1.0486 USD')
    _element(visitor, 'fx-convert-amount').value = 'many'
    await press(visitor, 'fx-convert')
    assert 'decimal' in _element(visitor, 'fx-convert-amount').error
    await eventually(lambda: [row['rate'] for row in _element(visitor, 'fx-history-table').rows] == ['1.0486'],
                     "USD's history")  # fmt: skip
    assert _element(visitor, 'fx-chart').options['series'][0]['data'] == [[today.isoformat(), '1.0486']]
    visitor.find(marker='fx-latest').trigger('rowClick', [{}, {'currency': 'SEK'}, 0])
    await eventually(lambda: [row['rate'] for row in _element(visitor, 'fx-history-table').rows] == ['11.134'],
                     "SEK's history")  # fmt: skip


async def test_a_rate_by_hand_is_checked_inline_and_shows_at_once(visitor: User):
    make_user(Role.FINANCE, email=FAY)
    await open_as(visitor, FAY, PATH, 'fx-manual')
    await press(visitor, 'fx-manual-save')
    assert _element(visitor, 'fx-manual-currency').error == 'Required.'
    assert _element(visitor, 'fx-manual-rate').error == 'Required.'
    _element(visitor, 'fx-manual-currency').value = 'CHF'
    visitor.find(marker='fx-manual-rate').type('0')
    await press(visitor, 'fx-manual-save')
    assert _element(visitor, 'fx-manual-rate').error == 'enter a rate above 0'
    _element(visitor, 'fx-manual-day').value = '2999-01-01'
    _element(visitor, 'fx-manual-rate').value = '0.9347'
    await press(visitor, 'fx-manual-save')
    assert 'not the future' in _element(visitor, 'fx-manual-day').error
    _element(visitor, 'fx-manual-day').value = date.today().isoformat()
    await press(visitor, 'fx-manual-save')
    await eventually(lambda: _latest(visitor) == [('CHF', '0.9347', 'manual')], 'the new rate in the list')
    assert _element(visitor, 'fx-manual-rate').error is None


@pytest.mark.usefixtures('task_workers')
async def test_finance_fetches_from_the_ecb_with_progress_and_colleagues_screens_follow(visitor: User, ecb):
    make_user(Role.FINANCE, email=FAY)
    await open_as(visitor, FAY, PATH, 'fx-rates')
    visitor.find(marker='fx-fetch-90d').click()
    await visitor.should_see(marker='job-dialog', retries=PATIENCE)
    await eventually(lambda: _text(visitor, 'job-count') == '1 of 1', 'the fetch to finish', patience=RUN)
    summary = '30 rates added and 0 updated over 5 days.'  # what the import did, not just "1 done."
    await eventually(lambda: _text(visitor, 'job-message') == summary, 'the summary')
    assert _text(visitor, 'job-title') == 'Fetch the last 90 days of ECB rates'
    await press(visitor, 'job-dialog-close')
    await eventually(lambda: len(_latest(visitor)) == 6, 'six currencies from the ECB')
    assert ('USD', '1.0486', 'ECB') in _latest(visitor)
    usd = next(row for row in _element(visitor, 'fx-latest').rows if row['currency'] == 'USD')
    assert usd['change'] == '+0.0021 (+0.20 %)' and usd['rate_date'] == '2025-03-04'
    fx.set_manual_rate(make_user(Role.FINANCE), 'USD', date(2025, 3, 4), '1.1')  # a colleague, elsewhere
    await eventually(lambda: ('USD', '1.1', 'manual') in _latest(visitor), "the colleague's rate")


@pytest.mark.usefixtures('task_workers')
async def test_a_failed_fetch_shows_the_sentence(visitor: User, ecb):
    make_user(Role.FINANCE, email=FAY)
    ecb.mode = 'html'
    await open_as(visitor, FAY, PATH, 'fx-rates')
    visitor.find(marker='fx-fetch').click()
    await visitor.should_see(marker='job-dialog', retries=PATIENCE)
    await eventually(lambda: _text(visitor, 'job-count') == '1 of 1', 'the fetch to end', patience=RUN)
    await visitor.should_see('The ECB feed answered with something that is not its XML.', retries=PATIENCE)
    await visitor.should_see(marker='job-retry')


@pytest.mark.parametrize('role', [Role.MANAGER, Role.AGENT])
async def test_roles_without_the_ledger_or_the_rates_are_refused(visitor: User, role: Role):
    make_user(role, email='someone@example.com')
    await open_as(visitor, 'someone@example.com', PATH, 'forbidden')
    await visitor.should_not_see('Exchange rates')
