"""Real Chromium, two people at once: Ben edits a watch, and Mia, looking at page 2 of her sorted inventory, sees
the edit arrive in her list without reloading and without losing her place. In server mode the message goes
through Redis, as between several web processes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from db.engine import session_scope
from db.enums import Role
from services.notifications import notify
from tests.e2e.browsing import (
    DESKTOP,
    button,
    click,
    connected,
    log_in,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

WATCHES = 30  # more than the 25 rows of a page, so there is a page 2
ids: dict[str, int] = {}  # model -> watch id, filled before the app starts


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        mia = make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        with session_scope() as session:  # as the job runner leaves it when her export is done
            notify(session, mia.id, kind='job.succeeded', title='Export finished', body='30 watches', link='/watches')
        make_user(Role.MANAGER, email='ben@example.com', name='Ben Manager')
        for number in range(WATCHES):
            model = f'Seamaster {number:02d}'
            ids[model] = make_watch(brand='Omega', model=model)

    return fill


def _models(driver: WebDriver) -> list[str]:
    """The Model column of the rows shown, read in one go (Vue may redraw the table at any moment)."""
    script = """
        const table = document.querySelector('.q-table');
        const heads = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
        const column = heads.findIndex(text => text.startsWith('Model'));
        return [...table.querySelectorAll('tbody tr')].map(tr => tr.children[column]?.innerText.trim());
    """
    return driver.execute_script(script)


def _field(driver: WebDriver, label: str) -> WebElement:
    locator = (By.XPATH, f'//label[.//*[normalize-space(text())="{label}"]]//input')
    return wait(driver).until(lambda d: d.find_element(*locator))


def test_an_edit_in_one_browser_appears_in_the_others_list(
    live_app: str, browser: WebDriver, second_browser: WebDriver
):
    mia, ben = browser, second_browser
    for driver in (mia, ben):
        set_viewport(driver, *DESKTOP)
    log_in(mia, live_app, 'mia@example.com', PASSWORD)
    wait_for_path(mia, '/')
    mia.get(live_app + '/watches')
    connected(mia)
    visible_text(mia, f'{WATCHES} watches')
    click(mia, (By.XPATH, '//th[.//text()[normalize-space(.)="Model"]]'))  # sort by model, A to Z
    wait(mia).until(lambda d: _models(d)[:2] == ['Seamaster 00', 'Seamaster 01'])
    click(mia, (By.XPATH, '//button[.//i[normalize-space(text())="chevron_right"]]'))  # the next page
    visible_text(mia, f'26-{WATCHES} of {WATCHES}')
    assert _models(mia)[0] == 'Seamaster 25'

    log_in(ben, live_app, 'ben@example.com', PASSWORD)
    wait_for_path(ben, '/')
    ben.get(f'{live_app}/watches/{ids["Seamaster 27"]}/edit')
    connected(ben)
    model = _field(ben, 'Model *')
    model.send_keys(Keys.CONTROL, 'a')
    model.send_keys('Seamaster 27 Chronometer')
    button(ben, 'Save changes').click()
    wait_for_path(ben, f'/watches/{ids["Seamaster 27"]}')
    visible_text(ben, 'Omega Seamaster 27 Chronometer')

    wait(mia).until(lambda d: 'Seamaster 27 Chronometer' in _models(d))  # pushed, not reloaded
    assert _models(mia) == ['Seamaster 25', 'Seamaster 26', 'Seamaster 27 Chronometer', 'Seamaster 28', 'Seamaster 29']
    visible_text(mia, f'26-{WATCHES} of {WATCHES}')  # still page 2 of the same sort
    assert mia.current_url == f'{live_app}/watches'
    screenshot(mia, 'live-list-after-anothers-edit')
    screenshot(ben, 'live-edit-by-another-user')

    click(mia, (By.CSS_SELECTOR, 'button[aria-label^="Notifications (1 unread)"]'))
    visible_text(mia, 'Export finished')
    screenshot(mia, 'notification-bell-menu')
