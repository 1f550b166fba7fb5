"""Real Chromium: a manager imports a file of 1,500 watches and follows the job in its panel (the bar moves to
100 % while the ETA shrinks; a toast and the bell say it is done), then exports them all as a job whose file
downloads itself, and finds both on the jobs page, at 1280 px and on a 768 px tablet.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    button,
    displayed_texts,
    horizontal_overflow,
    log_in,
    screenshot,
    see,
    set_viewport,
    upload,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user

WATCHES = 1500
IMPORT = f'Import of {WATCHES:,} rows from stock.csv'
EXPORT = f'Export of {WATCHES:,} watches (CSV)'
FOLLOW_SECONDS = 300  # how long the journey waits for the job at most; not a measure of speed
_PAGE = '//div[contains(@class, "q-page-container")]'
_DIALOG = '//div[contains(@class, "q-dialog")]'
_ETA = re.compile(r'about ([\d.]+) (s|min|h) left|less than a second left')
_UNIT = {'s': 1, 'min': 60, 'h': 3600}


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    return lambda: make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')


def _stock(folder: Path) -> Path:
    """A spreadsheet of watches as a dealer's stock list would have them."""
    brands = ('Omega', 'Rolex', 'Tudor', 'Longines', 'Heuer')
    lines = ['Brand,Model,Reference,Year'] + [
        f'{brands[number % len(brands)]},Model {number:04d},R{number},{1950 + number % 50}' for number in range(WATCHES)
    ]
    path = folder / 'stock.csv'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return path


def _seconds(eta: str) -> float:
    match = _ETA.fullmatch(eta)
    assert match, f'unexpected ETA text "{eta}"'
    return float(match[1]) * _UNIT[match[2]] if match[1] else 0.5


def _follow(driver: WebDriver, scope: str, name: str) -> tuple[list[str], list[int]]:
    """Watch the panel within `scope` until its job has finished; the ETA texts and percentages in the order
    they appeared. The panel is photographed (as `name`) the first time its bar is between 10 and 90 %.
    """
    etas: list[str] = []
    percents: list[int] = []
    deadline = time.monotonic() + FOLLOW_SECONDS
    while time.monotonic() < deadline:
        for eta in displayed_texts(driver, f'{scope}//*[contains(text(), " left")]'):
            if eta and (not etas or etas[-1] != eta):  # "" while the label is being redrawn
                etas.append(eta)
        shown = _percent(driver, scope)
        if shown is not None and (not percents or percents[-1] != shown):
            if 10 <= shown <= 90 and not any(10 <= earlier <= 90 for earlier in percents):
                screenshot(driver, name)
            percents.append(shown)
        if displayed_texts(driver, f'{scope}//*[normalize-space(text())="Finished"]'):
            return etas, [*percents, _percent(driver, scope) or 0]  # the bar as the finished job left it
        time.sleep(0.05)
    raise AssertionError(f'the job did not finish within {FOLLOW_SECONDS} s; ETAs seen: {etas}')


def _percent(driver: WebDriver, scope: str) -> int | None:
    """The percentage the panel shows beside its counts (a label reading "42%")."""
    texts = displayed_texts(driver, f'{scope}//*[contains(text(), "%")]')
    return next((int(text[:-1]) for text in texts if re.fullmatch(r'\d+%', text)), None)


def test_an_import_and_an_export_run_as_jobs_with_a_live_bar_a_toast_and_a_download(
    live_app: str, browser: WebDriver, tmp_path: Path
):
    browser.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': str(tmp_path)})
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'mia@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    browser.get(live_app + '/watches/import')
    upload(browser, _stock(tmp_path))
    visible_text(browser, f'stock.csv: {WATCHES:,} rows, ready to import.')
    button(browser, f'Import {WATCHES:,} watches').click()
    see(browser, IMPORT)

    etas, percents = _follow(browser, _PAGE, 'job-panel-running-1280')
    visible_text(browser, f'{WATCHES:,} watches imported.')
    screenshot(browser, 'job-panel-finished-1280')
    assert percents[-1] == 100, f'the bar ended at {percents[-1]} %'
    assert percents == sorted(percents), f'the bar went back: {percents}'
    seconds = [_seconds(eta) for eta in etas]
    assert len(seconds) >= 2, f'the ETA should have been updated while the job ran; seen: {etas}'
    steps = list(pairwise(seconds))
    rises, falls = sum(later > earlier for earlier, later in steps), sum(later < earlier for earlier, later in steps)
    # The first estimates settle as the rate does (7 s, 8 s, 6 s, ...), and a busy machine makes the rate wobble;
    # over the run the ETA shrinks.
    assert seconds[-1] < seconds[0] and falls > rises, f'the ETA should shrink: {etas}'
    visible_text(browser, f'{IMPORT} is done')  # the toast of the notification
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'button[aria-label*="1 unread"]'))
    screenshot(browser, 'job-toast-and-bell-1280')

    browser.get(live_app + '/watches')
    visible_text(browser, '1,000+ watches')  # the list counts exactly only up to a thousand
    button(browser, 'Export').click()
    button(browser, 'CSV of all matching').click()
    see(browser, EXPORT)
    _follow(browser, _DIALOG, 'job-dialog-running-1280')
    wait(browser).until(lambda _: list(tmp_path.glob('watches-*.csv')) and not list(tmp_path.glob('*.crdownload')))
    exported = next(tmp_path.glob('watches-*.csv')).read_text(encoding='utf-8-sig').splitlines()
    assert len(exported) == WATCHES + 1 and 'Model 0042' in '\n'.join(exported)
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'button[aria-label*="2 unread"]'))
    screenshot(browser, 'job-dialog-finished-1280')

    button(browser, 'Close').click()
    browser.find_element(By.XPATH, '//aside//a[.//*[text()="Jobs"]]').click()
    wait_for_path(browser, '/jobs')
    see(browser, EXPORT)
    see(browser, IMPORT)
    assert f'{WATCHES:,} / {WATCHES:,}' in browser.find_element(By.CSS_SELECTOR, '.q-table tbody').text
    screenshot(browser, 'jobs-1280')

    set_viewport(browser, *TABLET)
    browser.refresh()
    see(browser, EXPORT)
    screenshot(browser, 'jobs-768')
    assert horizontal_overflow(browser) == 0
    browser.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')[-1].click()  # the import, the older of the two
    see(browser, IMPORT)
    button(browser, 'All jobs')
    screenshot(browser, 'job-768')
    assert horizontal_overflow(browser) == 0
