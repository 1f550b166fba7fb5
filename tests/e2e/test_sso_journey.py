"""Real Chromium logs in through a real OpenID Connect provider on loopback and gets only what its role allows.

The provider runs in this test process; the served app is told about it by `SV_OIDC_PROVIDERS` and sends the
browser to it and back. The person at the provider is a seller by group membership, new to the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e.browsing import (
    DESKTOP,
    absent,
    click,
    connected,
    screenshot,
    set_viewport,
    visible_text,
    wait,
    wait_for_path,
)
from tests.oidc import MOCK_WARNINGS, provider, provider_entry, providers_env, put_user

pytestmark = [pytest.mark.filterwarnings(warning) for warning in MOCK_WARNINGS]
SUBJECT = 'sam-at-acme'


@pytest.fixture(scope='module')
def issuer() -> Iterator[str]:
    with provider() as url:
        put_user(url, SUBJECT, email='sam@example.com', name='Sam Seller', groups=['staff', 'watch-sellers'])
        yield url


@pytest.fixture(scope='module')
def app_environment(issuer: str) -> Callable[[str], dict[str, str]]:
    return lambda url: {'SV_OIDC_PROVIDERS': providers_env(provider_entry(issuer)), 'SV_PUBLIC_URL': url}


def test_a_seller_logs_in_at_the_provider_and_sees_only_what_sellers_may(
    browser: WebDriver, live_app: str, issuer: str
):
    set_viewport(browser, *DESKTOP)
    browser.delete_all_cookies()
    browser.get(live_app + '/watches')
    wait_for_path(browser, '/login?redirect_to=%2Fwatches')
    connected(browser)
    visible_text(browser, 'or')
    screenshot(browser, 'sso-login')

    click(browser, (By.CSS_SELECTOR, 'a[href="/login/sso/acme?redirect_to=%2Fwatches"]'))  # the button is a link
    sub = wait(browser).until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'input[placeholder=sub]')))
    assert browser.current_url.startswith(f'{issuer}/oauth2/authorize?')
    sub.send_keys(SUBJECT)
    screenshot(browser, 'sso-provider')
    browser.find_element(By.XPATH, '//button[normalize-space(text())="Authorize"]').click()

    wait_for_path(browser, '/watches')
    visible_text(browser, 'Sam Seller')
    visible_text(browser, 'Inventory')
    assert absent(browser, 'Intake')
    assert absent(browser, 'Workflow')
    screenshot(browser, 'sso-shell')

    browser.get(live_app + '/settings/workflow')
    visible_text(browser, 'This screen is not open to your role.')
    visible_text(browser, 'You may not change the workflow.')
