"""Real Chromium, two people: an administrator takes a right away from the sellers and Sam's open screen follows
at once (the screen is refused, the drawer entry goes), then deactivates Sam, whose browser lands on the login page.
Screenshots of the users list, a user's page and the permission grid, on a desk and on a tablet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from tests.e2e.browsing import (
    DESKTOP,
    TABLET,
    button,
    click,
    connected,
    horizontal_overflow,
    log_in,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

ids: dict[str, int] = {}


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        make_user(Role.ADMIN, email='ada@example.com', name='Ada Admin')
        ids['sam'] = make_user(Role.SELLER, email='sam@example.com', name='Sam Seller').id
        for number, role in enumerate((Role.MANAGER, Role.FINANCE, Role.AGENT, Role.AGENT)):
            make_user(role, name=f'{role.value.title()} Person {number}')
        make_watch(brand='Omega', model='Seamaster')

    return fill


def _nav_labels(driver: WebDriver) -> list[str]:
    """The drawer's entries by label (each link reads "<icon name>\\n<label>")."""
    script = "return [...document.querySelectorAll('.q-drawer a')].map(a => a.innerText.trim().split('\\n').pop())"
    return [label for label in driver.execute_script(script) if label]


def test_a_revoked_right_and_a_deactivation_reach_the_open_browser(
    live_app: str, browser: WebDriver, second_browser: WebDriver
):
    ada, sam = browser, second_browser
    for driver in (ada, sam):
        set_viewport(driver, *DESKTOP)
    log_in(sam, live_app, 'sam@example.com', PASSWORD)
    sam.get(live_app + '/watches')
    connected(sam)
    visible_text(sam, '1 watch')
    assert 'Inventory' in _nav_labels(sam)

    log_in(ada, live_app, 'ada@example.com', PASSWORD)
    ada.get(live_app + '/settings/permissions')
    connected(ada)
    visible_text(ada, 'See watches')
    screenshot(ada, 'admin-permission-grid')
    click(ada, (By.CSS_SELECTOR, '[aria-label="Seller may see watches"]'))
    visible_text(ada, 'Seller may no longer see watches.')

    visible_text(sam, 'This screen is not open to your role.')  # pushed, not reloaded by Sam
    visible_text(sam, 'Your permissions have changed.')
    assert 'Inventory' not in _nav_labels(sam)
    assert sam.current_url == live_app + '/watches'
    screenshot(sam, 'admin-seller-after-revocation')

    ada.get(f'{live_app}/settings/users')
    connected(ada)
    visible_text(ada, 'Sam Seller')
    screenshot(ada, 'admin-users-list')
    ada.get(f'{live_app}/settings/users/{ids["sam"]}')
    connected(ada)
    visible_text(ada, 'Recent activity on this account')
    screenshot(ada, 'admin-user-page')
    button(ada, 'Deactivate').click()
    wait(ada).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-dialog'))
    click(ada, (By.XPATH, '//div[contains(@class,"q-dialog")]//button[.//*[normalize-space(text())="Deactivate"]]'))
    visible_text(ada, 'Sam Seller is deactivated.')

    wait_for_path(sam, '/login?notice=deactivated')
    screenshot(sam, 'admin-deactivated-lands-on-login')


def test_the_admin_screens_fit_a_tablet(live_app: str, browser: WebDriver):
    set_viewport(browser, *TABLET)
    for path, name, text in (
        ('/settings/users', 'admin-users-list-tablet', 'Sam Seller'),
        (f'/settings/users/{ids["sam"]}', 'admin-user-page-tablet', 'Single sign-on'),
        ('/settings/permissions', 'admin-permission-grid-tablet', 'See watches'),
    ):
        browser.get(live_app + path)
        connected(browser)
        visible_text(browser, text)
        assert horizontal_overflow(browser) == 0, path
        screenshot(browser, name)
