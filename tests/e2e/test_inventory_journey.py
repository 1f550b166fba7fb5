"""Real Chromium: a manager filters the inventory, puts two watches in a new batch, delivers it, exports CSV."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from services import places
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    button,
    click,
    horizontal_overflow,
    log_in,
    quasar_field,
    screenshot,
    see,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

MODELS = [
    ('Rolex', 'Submariner', '5513'),
    ('Rolex', 'Submariner', '1680'),
    ('Rolex', 'Submariner', '16610'),
    ('Omega', 'Speedmaster', '145.022'),
    ('Omega', 'Seamaster', '166.010'),
    ('Tudor', 'Ranger', '7995'),
]


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        mia = make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        home = places.create_location(mia, {'name': 'Stockholm office', 'kind': 'office', 'country': 'SE'})
        places.create_location(mia, {'name': 'Geneva warehouse', 'kind': 'warehouse', 'country': 'CH'})
        for number, (brand, model, reference) in enumerate(MODELS):
            make_watch(
                'photographed' if number % 2 else 'intake',
                brand=brand,
                model=model,
                reference=reference,
                location_id=home.id,
                asking_price=f'{(number + 1) * 2500}.00',
                price_currency='EUR',
            )

    return fill


def _choose(driver: WebDriver, label: str, option: str) -> None:
    quasar_field(driver, label).click()
    button(driver, option).click()
    time.sleep(0.3)


def _row_count(driver: WebDriver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, '.q-table tbody tr:not(.q-tr--no-results)'))


def test_filter_select_batch_deliver_and_export(live_app: str, browser: WebDriver, tmp_path: Path):
    browser.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': str(tmp_path)})
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'mia@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    browser.find_element(By.XPATH, '//aside//a[.//*[text()="Inventory"]]').click()
    wait_for_path(browser, '/watches')
    visible_text(browser, '6 watches')
    screenshot(browser, 'inventory-1280')
    assert horizontal_overflow(browser) == 0

    quasar_field(browser, 'Model').find_element(By.TAG_NAME, 'input').send_keys('Submariner')
    visible_text(browser, '3 watches')
    wait(browser).until(lambda d: _row_count(d) == 3)
    boxes = browser.find_elements(By.CSS_SELECTOR, '.q-table tbody .q-checkbox')
    boxes[0].click()
    boxes[1].click()
    visible_text(browser, '2 selected')
    button(browser, 'Batch').click()
    button(browser, 'New batch…').click()
    _choose(browser, 'Origin', 'Stockholm office')
    _choose(browser, 'Destination', 'Geneva warehouse')
    button(browser, 'Create batch').click()
    visible_text(browser, '2 watches put into the batch.')

    wait_for_path(browser, '/watches')
    browser.find_element(By.XPATH, '//aside//a[.//*[text()="Batches"]]').click()
    wait_for_path(browser, '/batches')
    click(browser, (By.CSS_SELECTOR, '.q-table tbody a'))
    for step in ('packed', 'shipped', 'delivered'):
        click(browser, (By.XPATH, f'//main//button[.//*[normalize-space(text())="Mark as {step}"]]'))
        if step == 'shipped':
            quasar_field(browser, 'Carrier').find_element(By.TAG_NAME, 'input').send_keys('DHL Express')
            quasar_field(browser, 'Tracking number').find_element(By.TAG_NAME, 'input').send_keys('JD014600006281')
        in_dialog = f'//div[contains(@class, "q-dialog")]//button[.//*[normalize-space(text())="Mark as {step}"]]'
        time.sleep(0.4)  # the dialog's opening transition
        click(browser, (By.XPATH, in_dialog))
        see(browser, step.title())
        wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-dialog'))
    screenshot(browser, 'batch-1280')
    assert 'Geneva warehouse' in browser.find_element(By.CSS_SELECTOR, '.q-table tbody').text

    browser.find_element(By.XPATH, '//aside//a[.//*[text()="Inventory"]]').click()
    wait_for_path(browser, '/watches')
    visible_text(browser, '3 watches')  # the filter survived the trip to the batch
    button(browser, 'Export').click()
    button(browser, 'CSV of all matching').click()
    wait(browser).until(lambda _: list(tmp_path.glob('watches-*.csv')))
    exported = next(tmp_path.glob('watches-*.csv')).read_text(encoding='utf-8-sig').splitlines()
    assert len(exported) == 4
    assert sum('Geneva warehouse' in line for line in exported) == 2

    set_viewport(browser, *TABLET)
    browser.refresh()
    visible_text(browser, '3 watches')
    screenshot(browser, 'inventory-768')
    assert horizontal_overflow(browser) == 0
