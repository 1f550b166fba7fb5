"""Real Chromium: a manager takes a watch in through the form, adds photos, pages the lightbox, moves and edits it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from db.enums import Role
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    button,
    horizontal_overflow,
    log_in,
    photo_files,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        make_user(Role.ADMIN, email='ada@example.com', name='Ada Lovelace')

    return fill


def _field(driver: WebDriver, label: str) -> WebElement:
    """The text input of the Quasar field labelled `label`."""
    locator = (By.XPATH, f'//label[.//*[normalize-space(text())="{label}"]]//input')
    return wait(driver).until(lambda d: d.find_element(*locator))


def test_a_manager_takes_a_watch_in_and_works_on_it(live_app: str, browser: WebDriver, tmp_path: Path):
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'mia@example.com', PASSWORD)
    wait_for_path(browser, '/')
    browser.get(live_app + '/watches/new')
    visible_text(browser, 'New watch')
    _field(browser, 'Reference').send_keys('145.022')
    wait(browser).until(lambda d: _field(d, 'Brand *').get_attribute('value') == 'Omega')
    _field(browser, 'Dial').send_keys('Black step dial')
    _field(browser, 'Year').send_keys('1969')
    screenshot(browser, 'watch-form-1280')
    button(browser, 'Save watch').click()
    visible_text(browser, 'Move to')
    assert '/watches/' in browser.current_url

    uploader = browser.find_element(
        By.XPATH, '//div[contains(@class,"q-uploader") and not(contains(@class,"hidden"))]//input[@type="file"]'
    )
    uploader.send_keys('\n'.join(str(path) for path in photo_files(tmp_path)))
    visible_text(browser, 'Photos (2)')
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'img[src*="/thumb"]'))[0].click()
    visible_text(browser, '1 / 2')
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    visible_text(browser, '2 / 2')
    screenshot(browser, 'watch-lightbox-1280')
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait(browser).until(lambda d: not d.find_elements(By.XPATH, '//*[normalize-space(text())="2 / 2"]'))

    button(browser, 'Photographed').click()
    visible_text(browser, 'Intake → Photographed')
    screenshot(browser, 'watch-detail-1280')
    set_viewport(browser, *TABLET)
    visible_text(browser, 'Intake → Photographed')
    assert horizontal_overflow(browser) == 0
    screenshot(browser, 'watch-detail-768')
    set_viewport(browser, *DESKTOP)

    button(browser, 'Edit').click()
    visible_text(browser, 'Save changes')
    dial = _field(browser, 'Dial')
    dial.send_keys(Keys.CONTROL, 'a')
    dial.send_keys('Tropical brown dial')
    button(browser, 'Save changes').click()
    visible_text(browser, 'Tropical brown dial')


def test_an_admin_configures_the_workflow(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'ada@example.com', PASSWORD)
    wait_for_path(browser, '/')
    browser.get(live_app + '/settings/workflow')
    visible_text(browser, 'Stages')
    visible_text(browser, 'Intake → Photographed')
    screenshot(browser, 'workflow-admin-1280')
