"""Real Chromium: the header's search box finds a misspelt model, a partial reference and a scanned SKU as you type."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from services import accounts
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    horizontal_overflow,
    log_in,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

WATCHES = [
    ('listed', 'Rolex', 'Submariner', '5513', 1968),
    ('intake', 'Rolex', 'GMT-Master', '1675', 1972),
    ('photographed', 'Omega', 'Speedmaster Professional', '145.022', 1969),
    ('described', 'Tudor', 'Ranger', '7995', 1967),
    ('ready_to_list', 'Heuer', 'Carrera', '2447', 1966),
]
PHONE = (390, 844)
Known = dict[str, tuple[int, str]]  # model -> (id, SKU)
BOX = (By.CSS_SELECTOR, 'header input[type=search]')
MENU = (By.CSS_SELECTOR, '.q-menu')


@pytest.fixture(scope='module')
def known() -> Known:
    """The watches `populate` makes, filled in as it makes them."""
    return {}


@pytest.fixture(scope='module')
def populate(known: Known) -> Callable[[], None]:
    """A manager in light mode, one in dark mode, and a few well-known watches."""

    def fill() -> None:
        make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        dora = make_user(Role.MANAGER, email='dora@example.com', name='Dora Dark')
        accounts.set_preference(dora, 'dark_mode', True)
        for stage, brand, model, reference, year in WATCHES:
            watch_id = make_watch(stage, brand=brand, model=model, reference=reference,
                                  reference_norm=reference.replace('.', ''), year=year)  # fmt: skip
            with session_scope() as session:
                known[model] = (watch_id, session.get(Watch, watch_id).sku)

    return fill


def _type(driver: WebDriver, text: str) -> WebElement:
    """Type into the header's box (clearing it first) and wait for the dropdown's answer to exactly this text."""
    box = wait(driver).until(lambda d: d.find_element(*BOX))
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)
    answer = (By.CSS_SELECTOR, f'.q-menu .q-list[data-query="{text}"]')
    wait(driver).until(lambda d: d.find_elements(*answer) and d.find_element(*MENU).is_displayed())
    return box


def _log_in(driver: WebDriver, base_url: str, email: str) -> None:
    log_in(driver, base_url, email, PASSWORD)
    wait_for_path(driver, '/')
    visible_text(driver, 'Dashboard')


def test_a_misspelt_model_is_found_as_you_type(live_app: str, browser: WebDriver, known: Known):
    set_viewport(browser, *DESKTOP)
    _log_in(browser, live_app, 'mia@example.com')
    _type(browser, 'submarnier')
    visible_text(browser, 'Rolex Submariner')
    screenshot(browser, 'search-misspelt-1280')
    assert 'GMT-Master' not in browser.find_element(*MENU).text
    visible_text(browser, 'Rolex Submariner').click()
    wait_for_path(browser, f'/watches/{known["Submariner"][0]}')


def test_a_partial_reference_then_the_keyboard_opens_the_watch(live_app: str, browser: WebDriver, known: Known):
    set_viewport(browser, *DESKTOP)
    _log_in(browser, live_app, 'mia@example.com')
    box = _type(browser, '145.0')
    visible_text(browser, 'Omega Speedmaster Professional')
    visible_text(browser, 'See all 1 result')
    screenshot(browser, 'search-reference-1280')
    box.send_keys(Keys.ARROW_DOWN)
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-menu .q-item.bg-amber-100'))
    screenshot(browser, 'search-highlighted-1280')
    box.send_keys(Keys.ENTER)
    wait_for_path(browser, f'/watches/{known["Speedmaster Professional"][0]}')
    visible_text(browser, 'Omega Speedmaster Professional')

    box = _type(browser, 'zzzz')
    visible_text(browser, 'No watch matches “zzzz”')
    screenshot(browser, 'search-empty-1280')
    box.send_keys(Keys.ESCAPE)
    wait(browser).until(lambda d: not d.find_elements(*MENU))


def test_a_scanned_sku_opens_at_once_and_the_dropdown_fits_a_tablet_in_dark_mode(
    live_app: str, browser: WebDriver, known: Known
):
    set_viewport(browser, *TABLET)
    _log_in(browser, live_app, 'dora@example.com')
    for width, height in (TABLET, PHONE):
        set_viewport(browser, width, height)
        _type(browser, 'rolex' if width == TABLET[0] else '1675')
        visible_text(browser, 'Rolex GMT-Master')
        screenshot(browser, f'search-dark-{width}')
        assert horizontal_overflow(browser) == 0
        menu = browser.find_element(*MENU).rect
        assert 0 <= menu['x'] <= menu['x'] + menu['width'] <= width

    watch_id, sku = known['Carrera']
    box = browser.find_element(*BOX)
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(sku + Keys.ENTER)  # as a USB scanner types: the SKU and Enter in one burst
    wait_for_path(browser, f'/watches/{watch_id}')
    visible_text(browser, 'Heuer Carrera')
    assert browser.find_element(*BOX).get_attribute('value') == ''


def test_enter_lists_every_match_and_a_facet_chip_narrows_it(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    _log_in(browser, live_app, 'mia@example.com')
    _type(browser, 'rolex').send_keys(Keys.ENTER)
    wait_for_path(browser, '/watches?q=rolex')
    visible_text(browser, '2 watches')
    visible_text(browser, 'Listed')
    screenshot(browser, 'search-list-facets-1280')
    assert horizontal_overflow(browser) == 0
    browser.find_element(By.XPATH, '//div[contains(@class, "q-chip")][.//*[normalize-space(text())="Listed"]]').click()
    visible_text(browser, '1 watch')
    assert browser.find_element(By.CSS_SELECTOR, '.q-table tbody').text.count('SV-') == 1
