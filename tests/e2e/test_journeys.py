"""Real Chromium against the real app: log in, read the dashboard, log out; every screen fits desktop and tablet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from services import accounts
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    button,
    horizontal_overflow,
    log_in,
    right_edge,
    screenshot,
    set_viewport,
    submit_login,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

WATCHES = [
    ('intake', '1200.00', 'Omega', 'Speedmaster Professional', '145.022'),
    ('photographed', '3400.00', 'Rolex', 'Oyster Perpetual Datejust', '1601'),
    ('described', '2850.00', 'Jaeger-LeCoultre', 'Reverso', None),
    ('listed', '1250000.00', 'Patek Philippe', 'Nautilus', '3700/1A'),
    ('sold', '2100.00', 'Longines', 'Conquest', None),
]
STOCK_VALUE = '1,257,450.00 EUR'
AUDIT_LINK = (By.XPATH, '//aside//a[.//*[text()="Audit log"]]')


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    """An admin with stock to look at, a seller, an agent without watches, and a manager who works in dark mode."""

    def fill() -> None:
        make_user(Role.ADMIN, email='ada@example.com', name='Ada Lovelace')
        make_user(Role.SELLER, email='sam@example.com', name='Sam Seller')
        make_user(Role.AGENT, email='agnes@example.com', name='Agnes Agent')
        manager = make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        accounts.set_preference(manager, 'dark_mode', True)
        for stage, cost, brand, model, reference in WATCHES:
            make_watch(stage, cost=cost, brand=brand, model=model, reference=reference)

    return fill


def test_log_in_read_the_dashboard_and_log_out(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    submit_login(browser, live_app, 'ada@example.com', 'not the password')
    visible_text(browser, 'The email or password is not correct.')
    screenshot(browser, 'journey-login-refused-1280')
    browser.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    button(browser, 'Log in').click()
    wait_for_path(browser, '/')
    visible_text(browser, 'Dashboard')
    visible_text(browser, STOCK_VALUE)
    visible_text(browser, 'Patek Philippe Nautilus · 3700/1A')
    screenshot(browser, 'journey-dashboard-1280')
    set_viewport(browser, *TABLET)
    visible_text(browser, STOCK_VALUE)
    screenshot(browser, 'journey-dashboard-768')

    browser.find_element(By.XPATH, '//button[.//*[text()="Ada Lovelace"]]').click()
    visible_text(browser, 'ada@example.com')
    screenshot(browser, 'journey-user-menu-768')
    button(browser, 'Log out').click()
    wait_for_path(browser, '/login')
    browser.get(live_app + '/')
    wait_for_path(browser, '/login')
    visible_text(browser, 'Log in to continue')


SCREENS = [
    ('ada@example.com', '/', 'Stock value at cost', 'dashboard'),
    ('ada@example.com', '/account', 'Change password', 'account'),
    ('ada@example.com', '/audit', 'Append-only: entries cannot be changed or deleted.', 'audit-log'),
    ('ada@example.com', '/contacts', 'People and firms we buy from, consign for, or sell to.', 'contacts'),
    ('sam@example.com', '/audit', 'This screen is not open to your role.', 'refusal'),
    ('agnes@example.com', '/', 'No watches yet.', 'dashboard-empty'),
    ('mia@example.com', '/', 'Stock value at cost', 'dashboard-dark'),
    ('mia@example.com', '/account', 'Change password', 'account-dark'),
]


@pytest.mark.parametrize('size', [DESKTOP, TABLET], ids=['desktop', 'tablet'])
def test_every_screen_fits_the_width(live_app: str, browser: WebDriver, size: tuple[int, int]):
    set_viewport(browser, *size)
    browser.delete_all_cookies()
    browser.get(live_app + '/login')
    visible_text(browser, 'Log in to continue')
    screenshot(browser, f'login-{size[0]}')
    for email, path, landmark, name in SCREENS:
        log_in(browser, live_app, email, PASSWORD)
        visible_text(browser, 'Dashboard')
        browser.get(live_app + path)
        visible_text(browser, landmark)
        if name == 'audit-log':
            _assert_pagination_counts_the_rows(browser)
        screenshot(browser, f'{name}-{size[0]}')
        assert horizontal_overflow(browser) == 0, f'{path} for {email} is cut off at the side at {size[0]} px'
        menu = browser.find_element(By.CSS_SELECTOR, '.q-header .q-btn:last-child')
        assert right_edge(menu) <= size[0], f'the user menu sticks out of the header at {size[0]} px'


def test_below_1024_px_the_drawer_opens_over_the_page_and_closes_after_a_choice(live_app: str, browser: WebDriver):
    set_viewport(browser, *TABLET)
    log_in(browser, live_app, 'ada@example.com', PASSWORD)
    visible_text(browser, STOCK_VALUE)
    audit_link = browser.find_element(*AUDIT_LINK)
    assert not audit_link.is_displayed()
    browser.find_element(By.CSS_SELECTOR, '.q-header button').click()
    wait(browser).until(lambda _: audit_link.is_displayed())
    screenshot(browser, 'drawer-open-768')
    audit_link.click()
    visible_text(browser, 'Append-only: entries cannot be changed or deleted.')
    wait_for_path(browser, '/audit')
    wait(browser).until(lambda _: not audit_link.is_displayed())

    set_viewport(browser, *DESKTOP)
    browser.refresh()
    visible_text(browser, 'Append-only: entries cannot be changed or deleted.')
    wait(browser).until(lambda _: browser.find_element(*AUDIT_LINK).is_displayed())


def _assert_pagination_counts_the_rows(browser: WebDriver) -> None:
    """The footer says "1-N of N" for the N rows shown (a stale count once read "1-0 of 0" above real rows)."""
    rows = len(wait(browser).until(lambda _: browser.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')))
    footer = browser.find_element(By.CSS_SELECTOR, '.q-table__bottom')
    try:
        wait(browser).until(lambda _: f'1-{rows} of {rows}' in footer.text)
    except TimeoutException:
        raise AssertionError(f'{rows} rows shown, but the footer says "{footer.text}"') from None
