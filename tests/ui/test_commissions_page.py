"""The commission screens: the rules form with its inline errors and tier editor, statements and their downloads."""

from __future__ import annotations

import csv
import io
from datetime import date

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import commissions, sales
from tests.factories import make_user, make_watch
from tests.ui.session import PATIENCE, eventually, open_as, press


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _rows(user: User, marker: str) -> list[dict]:
    return _element(user, marker).rows


async def test_a_rule_is_checked_inline_and_saved_with_tiers(visitor: User):
    make_user(Role.FINANCE, email='fia@example.com')
    await open_as(visitor, 'fia@example.com', '/finance/commissions', 'rule-table')
    await visitor.should_see('Tiers are marginal', marker='rules-help')
    visitor.find(marker='new-rule').click()
    await visitor.should_see(marker='rule-dialog', retries=PATIENCE)
    _element(visitor, 'rule-percent').value = 120
    await press(visitor, 'rule-save')
    assert 'less than or equal to 100' in _element(visitor, 'rule-percent').error

    _element(visitor, 'rule-percent').value = 5
    visitor.find(marker='add-tier').click()
    visitor.find(marker='add-tier').click()
    _element(visitor, 'tier-above-0').value = 20000
    _element(visitor, 'tier-percent-0').value = 8
    _element(visitor, 'tier-above-1').value = 10000
    _element(visitor, 'tier-percent-1').value = 7
    await press(visitor, 'rule-save')
    assert _element(visitor, 'tiers-error').text.startswith('List the tiers from the lowest')
    assert _element(visitor, 'rule-percent').error is None

    _element(visitor, 'tier-above-1').value = 50000
    _element(visitor, 'rule-valid_to').value = '2000-01-01'
    await press(visitor, 'rule-save')
    assert _element(visitor, 'rule-valid_to').error == 'The end must not come before the start.'
    _element(visitor, 'rule-valid_to').value = ''
    await press(visitor, 'rule-save')
    await eventually(lambda: [row['subject'] for row in _rows(visitor, 'rule-table')] == ['Every agent'], 'the rule')
    assert _rows(visitor, 'rule-table')[0]['rate'] == '5 %, 8 % above 20,000.00, 7 % above 50,000.00 (EUR)'
    (rule,) = commissions.list_rules(make_user(Role.FINANCE)).items
    assert [(tier.above, tier.percent) for tier in rule.tiers] == [(20000, 8), (50000, 7)]


async def test_an_agent_reads_and_downloads_their_own_statement(visitor: User):
    finance = make_user(Role.FINANCE)
    agent = make_user(Role.AGENT, email='abe@example.com')
    commissions.create_rule(finance, {'role': 'agent', 'basis': 'sale_price', 'percent': '5', 'currency': 'EUR',
                                      'valid_from': '2020-01-01'})  # fmt: skip
    watch_id = make_watch('listed', agent=agent)
    sales.record_sale(finance, watch_id, {'price': '3000', 'currency': 'EUR', 'channel': 'catawiki',
                                          'sold_on': date.today().isoformat()})  # fmt: skip
    await open_as(visitor, 'abe@example.com', '/my/commissions', 'statement-lines')
    await eventually(lambda: len(_rows(visitor, 'statement-lines')) == 1, 'the one commission line')
    assert _rows(visitor, 'statement-lines')[0]['amount'] == '150.00 EUR'
    await visitor.should_see('Total 150.00 EUR', marker='statement-totals')
    await visitor.should_not_see(marker='statement-person')  # only their own

    visitor.find(marker='statement-csv').click()
    response = await visitor.download.next(timeout=PATIENCE / 10)
    (line,) = csv.DictReader(io.StringIO(response.content.decode('utf-8-sig')))
    assert (line['amount'], line['calculation']) == ('150.00', '5 % of 3,000.00 EUR sale price')
    visitor.find(marker='statement-pdf').click()
    response = await visitor.download.next(timeout=PATIENCE / 10)
    assert response.content.startswith(b'%PDF')

    second = make_watch('listed', agent=agent)  # a sale booked elsewhere shows at once
    sales.record_sale(finance, second, {'price': '1000', 'currency': 'EUR', 'channel': 'direct',
                                        'sold_on': date.today().isoformat()})  # fmt: skip
    await eventually(lambda: len(_rows(visitor, 'statement-lines')) == 2, 'the new line, live')


async def test_the_drawer_offers_each_role_its_commission_screen(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/finance/commissions', 'user-menu')
    await visitor.should_see('You may not manage commission rules.', retries=PATIENCE)
    await visitor.should_see('My commissions')
