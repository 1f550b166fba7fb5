"""The Finance section of a watch's page: the figures and bookings, live when something is booked, and hidden
from roles that see neither the ledger nor costs."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import fx
from tests.factories import make_user, take_in
from tests.finance import T, book, sek_watch
from tests.ui.session import PATIENCE, eventually, open_as


def _text(user: User, marker: str) -> str:
    (element,) = user.find(marker=marker).elements
    return element.text


def _lines(user: User) -> list[tuple[str, str, str]]:
    (table,) = user.find(marker='finance-lines').elements
    return [(row['value_date'], row['type_text'], row['base_text']) for row in table.rows]


async def test_the_finance_section_shows_the_figures_and_follows_new_bookings(visitor: User):
    watch = sek_watch()
    make_user(Role.FINANCE, email='fay@example.com')
    await open_as(visitor, 'fay@example.com', f'/watches/{watch.watch_id}', 'watch-detail')
    await visitor.should_see(marker='finance-profit', retries=PATIENCE)
    await eventually(lambda: _text(visitor, 'finance-profit') == '546.98 EUR', 'the gross profit')
    assert _text(visitor, 'finance-revenue') == '2,000.00 EUR'
    assert _text(visitor, 'finance-costs') == '1,453.02 EUR'
    assert _text(visitor, 'finance-margin') == '27.35 %'
    assert _text(visitor, 'finance-fx') == '39.52 EUR'
    (help_icon,) = visitor.find(marker='finance-fx-help').elements
    (tip,) = [tip for tip in visitor.find(ui.tooltip).elements if tip.props.get('target') == f'#{help_icon.html_id}']
    assert 'rate of the sale date' in tip.text  # the tooltip explains the figure
    assert _lines(visitor)[:2] == [('2025-01-10', 'Purchase', '-909.09 EUR'), ('2025-02-03', 'Service', '-133.93 EUR')]
    assert '-11,500.00 SEK = -1,043.02 EUR' in _text(visitor, 'finance-currencies')
    visitor.find(marker='finance-add-cost').click()
    await visitor.should_see(marker='booking-dialog', retries=PATIENCE)  # the ledger's own dialog, on this watch
    book(T.SHIPPING, '40', 'EUR', date(2025, 3, 5), watch_id=watch.watch_id)
    await eventually(lambda: _text(visitor, 'finance-profit') == '506.98 EUR', 'the profit after the shipping cost')
    assert ('2025-03-05', 'Shipping', '-40.00 EUR') in _lines(visitor)


async def test_a_purchase_waiting_for_a_rate_is_said_until_the_rate_books_it(visitor: User):
    finance = make_user(Role.FINANCE, email='fay@example.com')
    bought = date(2025, 3, 4)
    watch = take_in(make_user(Role.MANAGER), purchase_cost='10000', purchase_currency='SEK', purchased_on=bought)
    await open_as(visitor, 'fay@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see('Purchase of 10,000.00 SEK waits for a SEK rate for 2025-03-04', retries=PATIENCE)
    await visitor.should_see('Exchange rates')  # finance may set the rate from here
    fx.set_manual_rate(finance, 'SEK', bought, '11.00')  # books the purchase; the section follows the ledger
    await eventually(lambda: ('2025-03-04', 'Purchase', '-909.09 EUR') in _lines(visitor), 'the booked purchase')
    await visitor.should_not_see(marker='finance-purchase-waiting')


async def test_agents_see_it_on_their_own_watches(visitor: User):
    agent = make_user(Role.AGENT, email='abe@example.com')
    watch = sek_watch(agent=agent)
    await open_as(visitor, 'abe@example.com', f'/watches/{watch.watch_id}', 'watch-detail')
    await visitor.should_see(marker='finance-profit', retries=PATIENCE)
    await eventually(lambda: _text(visitor, 'finance-profit') == '546.98 EUR', "the agent's profit")
    await visitor.should_not_see(marker='finance-add-cost')  # agents do not book


async def test_sellers_do_not_get_the_section(visitor: User):
    watch = sek_watch()
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', f'/watches/{watch.watch_id}', 'watch-detail')
    await visitor.should_see('Omega Seamaster')
    await visitor.should_see(marker='facts-identity')
    await visitor.should_not_see(marker='finance-tab')
