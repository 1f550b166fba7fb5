"""Real Chromium, the finance round trip: an agent takes a watch in, bought for 10,000 SEK on a day no SEK rate is
known yet, and its Finance section says the purchase waits for one; the finance user sets that day's rate by hand,
which books the purchase, fetches today's rates from the ECB (the loopback stand-in) and sees them arrive, books a
service in SEK on the watch, records its sale on Catawiki and reads the commissions and the realised FX
difference, finds the agent's commission in the agent's balance and the sale in the month's report, reconciles a
payout statement, reverses the sale and sees it all taken back; the agent reads their own balance and is kept out
of the ledger.

The figures, from the rates set here (units of SEK per 1 EUR: 11.00 when bought, 11.50 today):
purchase 10,000 SEK = 909.09 EUR; service 1,500 SEK = 130.43 EUR; sale 2,000 EUR less a 250 EUR fee;
agent 5 % of the gross profit 2,000 - 909.09 - 130.43 - 250 = 710.48, so 35.52 EUR; seller 3 % of 2,000 = 60 EUR;
profit 614.96 EUR, costs 1,385.04 EUR, margin 30.75 %; the purchase at today's rate is 869.57 EUR, so the
realised FX difference is +39.52 EUR. The agent is owed the purchase and the commission: 944.61 EUR.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from sqlmodel import select

from db import engine as db_engine
from db.engine import session_scope
from db.enums import Role
from db.workflow import Stage
from services import commissions, workflow
from services.permissions import SYSTEM
from tests.e2e.browsing import (
    DESKTOP,
    button,
    click,
    connected,
    displayed_texts,
    log_in,
    quasar_field,
    screenshot,
    see,
    set_viewport,
    upload,
    visible_text,
    wait,
)
from tests.factories import PASSWORD, make_user
from tests.fakes.ecb_server import FakeEcb, ecb_server

TODAY = date.today()
BOUGHT = TODAY - timedelta(days=20)
ECB_RATES = [('USD', '1.0486'), ('SEK', '11.5000'), ('CHF', '0.9347'), ('GBP', '0.82530'), ('NOK', '11.7695')]
JOB_SECONDS = 60  # how long a job may take at most here; not a measure of speed
_DIALOG = '//div[contains(@class, "q-dialog")]'
ids: dict[str, int] = {}
served: dict[str, str] = {}  # the served app's database URL, for the one step no screen offers


@pytest.fixture(scope='module')
def ecb() -> Iterator[FakeEcb]:
    """The ECB's files on loopback, publishing today's rates (the served app is pointed at it)."""
    with ecb_server() as fake:
        fake.days = [(TODAY.isoformat(), ECB_RATES)]
        yield fake


@pytest.fixture(scope='module')
def app_environment(ecb: FakeEcb) -> Callable[[str], dict[str, str]]:
    return lambda _url: {'SV_ECB_BASE_URL': ecb.base_url}


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        finance = make_user(Role.FINANCE, email='fia@example.com', name='Fia Finance')
        agent = make_user(Role.AGENT, email='agnes@example.com', name='Agnes Agent')
        make_user(Role.SELLER, email='sam@example.com', name='Sam Seller')
        ids['agent'] = agent.id
        for role, basis, percent in ((Role.AGENT, 'gross_profit', '5'), (Role.SELLER, 'sale_price', '3')):
            commissions.create_rule(finance, {'role': role, 'basis': basis, 'percent': percent, 'currency': 'EUR',
                                              'valid_from': BOUGHT - timedelta(days=30)})  # fmt: skip
        served['database'] = db_engine.get_engine().url.render_as_string(hide_password=False)

    return fill


@contextmanager
def _served_database() -> Iterator[None]:
    """The services of this process pointed at the served app's database for a moment, as `populate` has them."""
    db_engine.use_engine(db_engine.make_engine(served['database']))
    try:
        yield
    finally:
        db_engine.use_engine(None)


def _list_for_sale(watch_id: int) -> None:
    """Photographed, described, ready to list, listed: the stages between intake and sale are not this journey's
    subject, so they are moved through the workflow service as an admin would, not clicked."""
    with _served_database():
        with session_scope() as session:
            stages = dict(session.exec(select(Stage.key, Stage.id)).all())
        for key in ('photographed', 'described', 'ready_to_list', 'listed'):
            workflow.move_watch(SYSTEM, watch_id, stages[key])


def _take_in(driver: WebDriver, base_url: str) -> int:
    """The agent's intake through the watch form: bought for 10,000 SEK on BOUGHT, to be sold by Sam Seller."""
    _open(driver, base_url + '/watches/new', 'New watch')
    _type(driver, 'Brand *', 'Omega')
    _type(driver, 'Model *', 'Speedmaster Professional')
    _type(driver, 'Reference', '145.022')
    _type(driver, 'Cost', '10000')
    _type(driver, 'Currency', 'SEK')  # the purchase's: the first of the form's two currency fields
    _date(driver, 'Bought on', BOUGHT)
    _choose(driver, 'Seller', 'Sam Seller')
    screenshot(driver, 'finance-agent-intake')
    _press(driver, 'Save watch')
    wait(driver).until(lambda d: re.search(r'/watches/\d+$', d.current_url), 'the new watch did not open')
    return int(driver.current_url.rsplit('/', 1)[1])


def _type(driver: WebDriver, label: str, text: str) -> None:
    field = _input(driver, label)
    field.send_keys(Keys.CONTROL, 'a')
    field.send_keys(text)


def _choose(driver: WebDriver, label: str, option: str) -> None:
    """Open the Quasar select labelled `label` (brought to the middle, clear of a sticky bar) and pick `option`."""
    field = quasar_field(driver, label)
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', field)
    quasar_field(driver, label).click()
    click(driver, (By.XPATH, f'//div[contains(@class, "q-menu")]//*[@role="option"][normalize-space(.)="{option}"]'))
    wait(driver).until(lambda d: option in (quasar_field(d, label).text, _input(d, label).get_attribute('value')))


def _date(driver: WebDriver, label: str, day: date) -> None:
    """Fill a date field as its calendar would (typing into one depends on the browser's locale)."""
    script = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))"
    driver.execute_script(script, _input(driver, label), day.isoformat())
    wait(driver).until(lambda d: _input(d, label).get_attribute('value') == day.isoformat())


def _input(driver: WebDriver, label: str) -> WebElement:
    return quasar_field(driver, label).find_element(By.CSS_SELECTOR, 'input, textarea')


def _press(driver: WebDriver, label: str) -> None:
    """Click a button of the page, brought to the middle of the viewport first (not under the sticky header)."""
    found = button(driver, label)
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', found)
    button(driver, label).click()


def _figure(driver: WebDriver, label: str, value: str) -> None:
    """A headline figure of the Finance section (its box holds the label and the value)."""
    box = f'//*[normalize-space(text())="{label}"]/ancestor::div[contains(@class, "rounded-lg")][1]'
    see(driver, value, within=box)


def _finish_job(driver: WebDriver, title: str) -> None:
    """The job dialog names the job, runs it to the end and is closed."""
    see(driver, title, within=_DIALOG)
    see(driver, 'Finished', within=_DIALOG, seconds=JOB_SECONDS)


def _close_job(driver: WebDriver) -> None:
    click(driver, (By.XPATH, f'{_DIALOG}//button[.//*[normalize-space(text())="Close"]]'))


def _open(driver: WebDriver, url: str, text: str) -> None:
    driver.get(url)
    connected(driver)
    visible_text(driver, text)


def _top(driver: WebDriver, text: str) -> None:
    """Scroll so the element with `text` is near the top of the viewport (for a screenshot of that part)."""
    element = visible_text(driver, text)
    driver.execute_script('arguments[0].scrollIntoView({block: "start"}); window.scrollBy(0, -90)', element)


def _stage(driver: WebDriver, name: str) -> None:
    """The stage badge in the watch's header (a move button may carry the same name)."""
    badge = f'//div[contains(@class, "q-badge")][normalize-space(text())="{name}"]'
    wait(driver).until(lambda d: displayed_texts(d, badge), f'the watch did not reach {name}')


def _tile(driver: WebDriver, label: str, value: str) -> None:
    see(driver, value, within=f'//div[contains(@class, "q-card")][.//*[normalize-space(text())="{label}"]]')


def _statement(folder: Path) -> Path:
    """A bank export in the generic format: the Catawiki payout, the watchmaker paid short, a stranger's transfer."""
    path = folder / 'bank-november.csv'
    path.write_text(
        'Date,Amount,Currency,Reference,Text\n'
        f'{TODAY},1750.00,EUR,CW-1001,Catawiki payout\n'
        f'{TODAY},-1450.00,SEK,SRV-77,Watchmaker invoice\n'
        f'{TODAY},99.00,EUR,ZZ-404,Unknown transfer\n',
        encoding='utf-8',
    )
    return path


def test_a_sale_from_rates_to_reversal(
    live_app: str, browser: WebDriver, second_browser: WebDriver, ecb: FakeEcb, tmp_path: Path
):
    # 0. the agent buys a watch in SEK on a day without a SEK rate: its purchase waits for one
    agent = second_browser
    set_viewport(agent, *DESKTOP)
    log_in(agent, live_app, 'agnes@example.com', PASSWORD)
    ids['watch'] = _take_in(agent, live_app)
    see(agent, 'saved.', contains=True)
    waiting = f'Purchase of 10,000.00 SEK waits for a SEK rate for {BOUGHT.isoformat()}'
    see(agent, waiting)
    _figure(agent, 'Costs', '0.00 EUR')
    _top(agent, 'Finance')
    screenshot(agent, 'finance-purchase-waiting')
    _list_for_sale(ids['watch'])
    watch_url = f'{live_app}/watches/{ids["watch"]}'

    # 1. the day's SEK rate set by hand books the purchase; today's rates from the ECB, with the job's progress
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'fia@example.com', PASSWORD)
    _open(browser, live_app + '/finance/rates', 'Latest rates')
    _choose(browser, 'Currency *', 'SEK')
    _type(browser, 'Rate *', '11.00')
    _date(browser, 'Day *', BOUGHT)
    screenshot(browser, 'finance-rate-by-hand')
    _press(browser, 'Save rate')
    see(browser, 'SEK set to', contains=True)
    see(browser, '11')  # the SEK rate set by hand on the day of the purchase
    _press(browser, 'Fetch now')
    _finish_job(browser, "Fetch today's ECB rates")
    see(browser, '5 rates added', contains=True, within=_DIALOG)  # what the job did, said when it is finished
    screenshot(browser, 'finance-rates-fetched')
    _close_job(browser)
    see(browser, '11.5')  # the latest rates follow the import
    see(browser, TODAY.isoformat())
    assert [request.path for request in ecb.requests] == ['/stats/eurofxref/eurofxref-daily.xml']
    screenshot(browser, 'finance-rates')
    click(browser, (By.XPATH, '//tr[.//td[normalize-space(text())="SEK"]]'))  # its history: by hand, then the ECB
    see(browser, 'manual', within='//div[contains(@class, "q-table__container")][.//th[.="Source"]]')
    see(browser, BOUGHT.isoformat())
    _top(browser, 'History')
    screenshot(browser, 'finance-rates-history')

    # 2. the purchase booked; a service in SEK, then the sale on Catawiki: Sold, the sale card, commissions, P/L
    _open(browser, watch_url, 'Finance')
    _figure(browser, 'Costs', '909.09 EUR')
    _stage(browser, 'Listed')
    assert not displayed_texts(browser, f'//*[normalize-space(text())="{waiting}"]')
    _press(browser, 'Add a cost…')
    see(browser, 'Book on', contains=True, within=_DIALOG)
    _type(browser, 'Amount *', '1500')
    _choose(browser, 'Currency *', 'SEK')
    _type(browser, 'Reference', 'SRV-77')
    _type(browser, 'Memo', 'Full service')
    screenshot(browser, 'finance-add-cost')
    button(browser, 'Book').click()
    see(browser, 'Service of 1,500.00 SEK booked', contains=True)
    _figure(browser, 'Costs', '1,039.52 EUR')

    _press(browser, 'Record sale…')
    see(browser, 'Record sale of', contains=True, within=_DIALOG)
    _type(browser, 'Price *', '2000')
    _type(browser, 'Platform order number', 'CW-1001')
    _type(browser, 'Platform fee', '250')
    screenshot(browser, 'finance-record-sale')
    button(browser, 'Record sale').click()
    see(browser, 'recorded.', contains=True)
    _stage(browser, 'Sold')
    see(browser, 'Reverse sale…')
    see(browser, 'Agent commission · Agnes Agent')
    see(browser, 'Seller commission · Sam Seller')
    see(browser, '-35.52 EUR')
    see(browser, '-60.00 EUR')
    see(browser, '1,654.48 EUR')  # the sale card's net: 2,000 - 250 - 35.52 - 60
    for label, value in (('Sale', '2,000.00 EUR'), ('Costs', '1,385.04 EUR'), ('Gross profit', '614.96 EUR'),
                         ('Margin', '30.75 %'), ('FX difference', '39.52 EUR')):  # fmt: skip
        _figure(browser, label, value)
    see(browser, 'Agent commission')  # the Finance section's own lines
    see(browser, '5 % of 710.48 EUR gross profit', contains=True)
    screenshot(browser, 'finance-watch-sold')
    _top(browser, 'FX difference')
    screenshot(browser, 'finance-watch-pnl')

    # 3. the agent's balance: the purchase they paid and the commission
    _open(browser, f'{live_app}/finance/balances/{ids["agent"]}', 'Agnes Agent')
    see(browser, '944.61 EUR')
    _tile(browser, 'Commissions', '35.52 EUR')
    see(browser, 'Agent commission')
    see(browser, '+35.52 EUR')
    screenshot(browser, 'finance-agent-balance')

    # 4. the month's report, produced as a job, then stored; the P/L table holds the sale
    _open(browser, live_app + '/finance/reports', 'Finance reports')
    month = f'{TODAY:%B %Y}'
    see(browser, '2,000.00')
    see(browser, '614.96')
    screenshot(browser, 'finance-reports-pnl')
    button(browser, f'Produce report for {month}').click()
    _finish_job(browser, f'Finance report {month}')
    screenshot(browser, 'finance-report-job')
    _close_job(browser)
    click(browser, (By.XPATH, '//*[@role="tab"][.//*[normalize-space(text())="Stored reports"]]'))
    see(browser, f'Finance report {month}')
    see(browser, 'Fia Finance', contains=True)
    screenshot(browser, 'finance-stored-reports')
    click(
        browser, (By.XPATH, '//tr[.//*[normalize-space(text())="Open"]]//button[.//*[normalize-space(text())="Open"]]')
    )
    see(browser, f'Finance report {month}', within=_DIALOG)
    see(browser, '2,000.00', within=_DIALOG)
    screenshot(browser, 'finance-stored-report')
    browser.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)  # "Close" may sit under the job's toast
    wait(browser).until(
        lambda d: not displayed_texts(d, f'{_DIALOG}//*[normalize-space(text())="Finance report {month}"]')
    )

    # 5. a bank statement: the payout matches the sale, the watchmaker's invoice differs, a transfer is unknown
    _open(browser, live_app + '/finance/reconciliation', 'Import a statement')
    see(browser, 'Generic bank export')
    upload(browser, _statement(tmp_path))
    visible_text(browser, 'bank-november.csv')
    for label in ('Matched', 'Mismatched', 'Unmatched'):
        _tile(browser, label, '1')
    see(browser, '1,750.00 EUR')
    see(browser, '50.00 SEK')  # paid 1,450 of the 1,500 SEK booked
    screenshot(browser, 'finance-reconciliation')

    # 6. the sale reversed: commissions taken back, the watch back in Listed, the agent's balance as before
    _open(browser, watch_url, 'Finance')
    _press(browser, 'Reverse sale…')
    see(browser, 'Reverse this sale?', within=_DIALOG)
    _type(browser, 'Reason *', 'The buyer never paid; Catawiki cancelled the order.')
    button(browser, 'Reverse sale').click()
    see(browser, 'Sale reversed.')
    _stage(browser, 'Listed')
    see(browser, 'Record sale…')
    for label, value in (('Sale', '0.00 EUR'), ('Costs', '1,039.52 EUR'), ('Gross profit', '-1,039.52 EUR'),
                         ('FX difference', '—')):  # fmt: skip
        _figure(browser, label, value)
    see(browser, 'Reversal of', contains=True)
    screenshot(browser, 'finance-watch-reversed')
    _top(browser, 'FX difference')
    screenshot(browser, 'finance-watch-pnl-reversed')
    _open(browser, f'{live_app}/finance/balances/{ids["agent"]}', 'Agnes Agent')
    see(browser, '909.09 EUR')
    _tile(browser, 'Commissions', '0.00 EUR')
    screenshot(browser, 'finance-agent-balance-reversed')

    # 7. the agent: their own balance, and no ledger
    _open(agent, live_app + '/my/balance', 'My balance')
    see(agent, '909.09 EUR')
    see(agent, 'Purchase paid')
    screenshot(agent, 'finance-my-balance')
    _open(agent, live_app + '/finance/ledger', 'This screen is not open to your role.')
    screenshot(agent, 'finance-agent-ledger-refused')
