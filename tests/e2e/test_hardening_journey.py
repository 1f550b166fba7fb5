"""Real Chromium and real HTTP against the served app: the main screens run under the Content-Security-Policy
without a single violation, and the headers and cookie flags are on the wire.

An idle tab sent to the login page is tested in tests/ui/test_session_timeouts.py, where the clock can be moved:
here it would cost the shortest idle limit, a whole minute, on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from pages.security_headers import CONTENT_SECURITY_POLICY
from tests.e2e.browsing import (
    DESKTOP,
    connected,
    log_in,
    photo_files,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

# Recorded by the page itself from its first moment, before any of NiceGUI's scripts run.
_RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}`));
"""
_made: dict[str, int] = {}


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        _made['watch'] = make_watch('intake', brand='Omega', model='Speedmaster', reference='145.022')

    return fill


def _violations(driver: WebDriver) -> list[str]:
    return driver.execute_script('return window.cspViolations || []')


def _open(driver: WebDriver, url: str, text: str) -> None:
    driver.get(url)
    connected(driver)
    visible_text(driver, text)


def test_the_main_screens_run_under_the_policy_without_a_violation(live_app: str, browser: WebDriver, tmp_path: Path):
    set_viewport(browser, *DESKTOP)
    browser.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': _RECORD_VIOLATIONS})
    _open(browser, live_app + '/login', 'Log in to continue')
    assert _violations(browser) == [], 'login page'
    log_in(browser, live_app, 'mia@example.com', PASSWORD)
    wait_for_path(browser, '/')
    visible_text(browser, 'Dashboard')
    assert _violations(browser) == [], 'dashboard'
    _open(browser, live_app + '/watches', 'Speedmaster')
    assert _violations(browser) == [], 'inventory list'

    _open(browser, f'{live_app}/watches/{_made["watch"]}', 'Move to')
    uploader = browser.find_element(
        By.XPATH, '//div[contains(@class,"q-uploader") and not(contains(@class,"hidden"))]//input[@type="file"]'
    )
    uploader.send_keys('\n'.join(str(path) for path in photo_files(tmp_path)))
    visible_text(browser, 'Photos (2)')
    thumbnails = wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'img[src*="/thumb"]'))
    wait(browser).until(lambda d: d.execute_script('return arguments[0].naturalWidth > 0', thumbnails[0]))
    thumbnails[0].click()
    visible_text(browser, '1 / 2')
    screenshot(browser, 'hardening-watch-photos-1280')
    assert _violations(browser) == [], 'watch page with photos'

    _open(browser, live_app + '/intake', 'Intake')
    screenshot(browser, 'hardening-intake-1280')
    assert _violations(browser) == [], 'intake'
    if httpx.get(live_app + '/api/docs').is_success:  # the API's Swagger page, from its local assets
        browser.get(live_app + '/api/docs')
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.swagger-ui .info'))
    assert _violations(browser) == [], 'API documentation'


def test_headers_and_cookie_flags_on_the_wire(live_app: str):
    login = httpx.get(live_app + '/login')
    assert login.headers['content-security-policy'] == CONTENT_SECURITY_POLICY
    assert login.headers['x-frame-options'] == 'DENY'
    assert login.headers['x-content-type-options'] == 'nosniff'
    assert 'strict-transport-security' not in login.headers  # served over plain http
    cookie = login.headers['set-cookie'].lower()
    assert 'httponly' in cookie and 'samesite=lax' in cookie and 'secure' not in cookie
    api = httpx.get(live_app + '/api/health', headers={'Authorization': 'Bearer svpat_not_a_real_token'})
    assert api.headers['content-security-policy'] == CONTENT_SECURITY_POLICY
    assert api.headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    redirect = httpx.get(live_app + '/watches')
    assert redirect.status_code == 307 and redirect.headers['x-frame-options'] == 'DENY'
