"""A watch's profit and loss: exact figures in the base currency for a watch bought in SEK and sold in EUR, the
realised FX difference, reversals cancelling out under the original type, and who may see it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db.enums import Role
from services import pnl
from services.errors import NotFound, PermissionDenied
from tests.factories import make_user, make_watch
from tests.finance import T, book, reverse, sek_watch

D = Decimal


@pytest.fixture
def finance(db):
    return make_user(Role.FINANCE)


def _categories(result: pnl.WatchPnl) -> dict[str, Decimal]:
    return {category.key: category.base_amount for category in result.categories}


def test_a_watch_bought_in_sek_and_sold_in_eur_adds_up_to_the_cent(finance):
    watch = sek_watch()
    result = pnl.watch_pnl(finance, watch.watch_id)
    assert [(line.type, line.amount, line.currency, line.fx_rate, line.base_amount) for line in result.lines] == [
        ('purchase', D('-10000.00'), 'SEK', D('11.00000000'), D('-909.09')),
        ('service', D('-1500.00'), 'SEK', D('11.20000000'), D('-133.93')),
        ('sale', D('2000.00'), 'EUR', D('1.00000000'), D('2000.00')),
        ('platform_fee', D('-250.00'), 'EUR', D('1.00000000'), D('-250.00')),
        ('agent_commission', D('-100.00'), 'EUR', D('1.00000000'), D('-100.00')),
        ('seller_commission', D('-60.00'), 'EUR', D('1.00000000'), D('-60.00')),
    ]
    assert (result.lines[0].reference, result.lines[1].memo) == ('PO-1', 'Full service')
    assert _categories(result) == {
        'sale': D('2000.00'), 'refunds': D('0.00'), 'purchase': D('-909.09'), 'service': D('-133.93'),
        'shipping': D('0.00'), 'platform_fees': D('-250.00'), 'commissions': D('-160.00'), 'adjustments': D('0.00'),
    }  # fmt: skip
    assert (result.revenue, result.costs, result.gross_profit, result.margin) == (
        D('2000.00'), D('1453.02'), D('546.98'), D('27.35'))  # fmt: skip
    assert [(c.currency, c.amount, c.base_amount) for c in result.by_currency] == [
        ('EUR', D('1590.00'), D('1590.00')), ('SEK', D('-11500.00'), D('-1043.02'))]  # fmt: skip
    # 10,000 SEK at the sale date's 11.50 is 869.57 EUR against 909.09 EUR booked: SEK lost value meanwhile
    assert result.fx_difference == D('39.52')
    assert result.base_currency == 'EUR'


def test_a_reversal_counts_under_the_type_it_reverses_and_cancels_it(finance):
    watch = sek_watch()
    reversal = reverse(watch.fee, date(2025, 3, 10))
    result = pnl.watch_pnl(finance, watch.watch_id)
    fee, undone = (line for line in result.lines if line.id in (watch.fee, reversal))
    assert (fee.reversed, undone.type, undone.category, undone.reverses_id) == (
        True, 'reversal', 'platform_fees', watch.fee)  # fmt: skip
    assert (undone.amount, undone.base_amount) == (D('250.00'), D('250.00'))
    assert _categories(result)['platform_fees'] == D('0.00')
    assert (result.costs, result.gross_profit) == (D('1203.02'), D('796.98'))


def test_without_a_sale_in_force_there_is_no_revenue_and_no_fx_difference(finance):
    watch = sek_watch()
    sale_line = next(line for line in pnl.watch_pnl(finance, watch.watch_id).lines if line.type == 'sale')
    reverse(sale_line.id, date(2025, 3, 20))
    result = pnl.watch_pnl(finance, watch.watch_id)
    assert (result.revenue, result.margin, result.fx_difference) == (D('0.00'), None, None)
    assert result.gross_profit == D('-1453.02')


def test_a_watch_bought_and_sold_in_one_currency_has_no_fx_difference(finance):
    watch_id = make_watch('sold')
    book(T.PURCHASE, '800', 'EUR', date(2025, 1, 5), watch_id=watch_id)
    book(T.SALE, '1000', 'EUR', date(2025, 2, 5), watch_id=watch_id)
    result = pnl.watch_pnl(finance, watch_id)
    assert (result.gross_profit, result.margin, result.fx_difference) == (D('200.00'), D('20.00'), None)


def test_advances_and_payouts_are_balances_not_profit(finance):
    watch_id = make_watch('sold')
    book(T.PURCHASE, '800', 'EUR', date(2025, 1, 5), watch_id=watch_id)
    book(T.ADVANCE, '500', 'EUR', date(2025, 1, 4), watch_id=watch_id)
    payout = book(T.PAYOUT, '300', 'EUR', date(2025, 1, 6), watch_id=watch_id)
    reverse(payout, date(2025, 1, 7))
    result = pnl.watch_pnl(finance, watch_id)
    assert [line.type for line in result.lines] == ['purchase']
    assert result.gross_profit == D('-800.00')


def test_agents_see_their_own_watches_only_and_sellers_none(finance):
    agent = make_user(Role.AGENT)
    own = sek_watch(agent=agent).watch_id
    other = make_watch('sold', agent=make_user(Role.AGENT))
    assert pnl.watch_pnl(agent, own).gross_profit == D('546.98')
    with pytest.raises(NotFound):
        pnl.watch_pnl(agent, other)
    with pytest.raises(PermissionDenied, match=r'Your role \(seller\) may not see purchase costs'):
        pnl.watch_pnl(make_user(Role.SELLER), own)
    assert pnl.watch_pnl(make_user(Role.MANAGER), own).gross_profit == D('546.98')
    assert pnl.watch_pnl(make_user(Role.ADMIN), own).margin == D('27.35')
    with pytest.raises(NotFound):
        pnl.watch_pnl(finance, 999_999)
