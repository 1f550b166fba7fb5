"""An agent takes a watch in on a tablet in real Chromium: taps, a reload half way, a photo, the new SKU."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from db.enums import Role
from services import places
from services.permissions import SYSTEM
from tests.e2e.browsing import (
    button,
    horizontal_overflow,
    log_in,
    photo_file,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user

PORTRAIT = (800, 1280)
LANDSCAPE = (1280, 800)
MIN_TARGET = 48


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        make_user(Role.AGENT, email='agnes@example.com', name='Agnes Agent')
        places.create_location(SYSTEM, {'name': 'Geneva office', 'kind': 'office'})

    return fill


def field(driver: WebDriver, label: str) -> WebElement:
    """The <input> of the Quasar field labelled `label`."""
    xpath = f'//label[.//div[contains(@class, "q-field__label") and normalize-space()="{label}"]]//input'
    return wait(driver).until(lambda d: d.find_element(By.XPATH, xpath))


def grade(driver: WebDriver, component: str, letter: str) -> WebElement:
    xpath = f'//div[normalize-space(text())="{component}"]/following-sibling::div//button[.//*[text()="{letter}"]]'
    return driver.find_element(By.XPATH, xpath)


def test_an_agent_takes_a_watch_in_on_a_tablet(live_app: str, browser: WebDriver, tmp_path: Path):
    photo = photo_file(tmp_path, 'dial.jpg', (180, 150, 90))
    set_viewport(browser, *PORTRAIT)
    log_in(browser, live_app, 'agnes@example.com', PASSWORD)
    wait_for_path(browser, '/')
    browser.get(live_app + '/intake')
    visible_text(browser, 'Agnes Agent')
    wait(browser).until(lambda d: button(d, 'Save watch').is_enabled())

    field(browser, 'Reference').send_keys('145.022')
    wait(browser).until(lambda d: field(d, 'Calibre').get_attribute('value') == 'Omega 861')
    field(browser, 'Serial number').send_keys('29145511')
    button(browser, 'Papers').click()
    browser.refresh()  # a Wi-Fi drop or a reload must not lose the half-entered watch
    visible_text(browser, 'Your unsaved intake was restored.')
    wait(browser).until(lambda d: field(d, 'Serial number').get_attribute('value') == '29145511')
    assert field(browser, 'Reference').get_attribute('value') == '145.022'

    grade(browser, 'Case', 'B').click()
    grade(browser, 'Dial', 'A').click()
    field(browser, 'Year').send_keys('1971')
    field(browser, 'Purchase cost').send_keys('4200')
    browser.find_elements(By.CSS_SELECTOR, 'input[type=file]')[-1].send_keys(str(photo))
    visible_text(browser, 'dial.jpg')
    assert horizontal_overflow(browser) == 0
    _assert_fingertip_sized(browser)
    browser.execute_script('window.scrollTo(0, 0)')
    screenshot(browser, 'intake-800x1280')
    set_viewport(browser, *LANDSCAPE)
    assert horizontal_overflow(browser) == 0
    _assert_fingertip_sized(browser)
    browser.execute_script('window.scrollTo(0, 600)')
    screenshot(browser, 'intake-1280x800')

    button(browser, 'Save watch').click()
    visible_text(browser, 'Taken in')
    sku = browser.find_element(By.XPATH, '//*[starts-with(normalize-space(text()), "SV-")]').text
    assert sku.startswith('SV-')
    visible_text(browser, 'dial.jpg: Added.')
    screenshot(browser, 'intake-saved-1280x800')
    button(browser, 'Next watch').click()
    wait(browser).until(lambda d: field(d, 'Reference').get_attribute('value') == '')


def _assert_fingertip_sized(driver: WebDriver) -> None:
    """Every visible button and field of the form is at least 48 px tall."""
    targets = driver.find_elements(By.CSS_SELECTOR, '.intake .q-btn, .intake .q-field__control')
    small = [
        (target.text or target.get_attribute('class'), target.rect['height'])
        for target in targets
        if target.is_displayed() and target.rect['height'] < MIN_TARGET
    ]
    assert not small, f'too small for a finger: {small}'
