"""Real Chromium: a manager describes 200 watches with the built-in writer as a job, follows its progress, reviews,
approves and edits texts on a watch's page, then switches to an OpenAI-compatible server (the loopback stand-in)
and regenerates one, and finally runs the Make.com round trip: the stand-in scenario really calls the served app's
webhook back, and the waiting watch page shows the text the moment it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from tests.e2e.browsing import (
    DESKTOP,
    button,
    click,
    connected,
    displayed_texts,
    log_in,
    quasar_field,
    screenshot,
    see,
    set_viewport,
    visible_text,
    wait,
)
from tests.factories import PASSWORD, make_user, make_watch
from tests.fakes.make_scenario import make_scenario
from tests.fakes.openai_server import openai_server

WATCHES = 200
FOLLOW_SECONDS = 300  # how long the journey waits for the job at most; not a measure of speed
BRANDS = (('Omega', 'Seamaster'), ('Rolex', 'Datejust'), ('Longines', 'Conquest'), ('Heuer', 'Carrera'))
_DIALOG = '//div[contains(@class, "q-dialog")]'
_ids: list[int] = []


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
        make_user(Role.ADMIN, email='ada@example.com', name='Ada Admin')
        for number in range(WATCHES):
            brand, model = BRANDS[number % len(BRANDS)]
            _ids.append(
                make_watch(brand=brand, model=model, reference=f'R{number:03d}', year=1950 + number % 40, dial='black')
            )

    return fill


@pytest.fixture(scope='module')
def app_environment() -> Callable[[str], dict[str, str]]:
    """The app announces its own address as the Make.com callback URL, so the stand-in scenario reaches it."""
    return lambda url: {'SV_PUBLIC_URL': url}


def _click_until(driver: WebDriver, xpath: str, appears: str) -> None:
    """Click a button of the live card until `appears` shows: a click that lands just as the card redraws (after a
    change it heard of) reaches a button that is gone, as it would for a person, who clicks again."""
    for _ in range(3):
        click(driver, (By.XPATH, xpath))
        try:
            see(driver, appears, seconds=5)
            return
        except AssertionError:
            continue
    raise AssertionError(f'"{appears}" did not appear after three clicks on {xpath}')


def _type(driver: WebDriver, label: str, text: str) -> None:
    field = quasar_field(driver, label).find_element(By.CSS_SELECTOR, 'input, textarea')
    field.send_keys(Keys.CONTROL, 'a')
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def _follow_job(driver: WebDriver) -> bool:
    """Wait for the job panel to say "Finished"; True when it was photographed while the bar moved."""
    shot = False
    deadline = time.monotonic() + FOLLOW_SECONDS
    while time.monotonic() < deadline:
        if displayed_texts(driver, f'{_DIALOG}//*[normalize-space(text())="Finished"]'):
            return shot
        if not shot and displayed_texts(driver, f'{_DIALOG}//*[contains(text(), " left")]'):
            screenshot(driver, 'descriptions-job-running')
            shot = True
        time.sleep(0.05)
    raise AssertionError(f'the descriptions job did not finish within {FOLLOW_SECONDS} s')


def _open_watch(driver: WebDriver, base_url: str, watch_id: int) -> None:
    driver.get(f'{base_url}/watches/{watch_id}')
    connected(driver)
    visible_text(driver, 'Descriptions')


def _photograph_card(driver: WebDriver, name: str) -> None:
    """The descriptions card at the top of the viewport, then a screenshot."""
    heading = visible_text(driver, 'Descriptions')
    driver.execute_script('arguments[0].scrollIntoView({block: "start"}); window.scrollBy(0, -80)', heading)
    screenshot(driver, name)


def _save_settings(driver: WebDriver) -> None:
    button(driver, 'Save settings').click()
    see(driver, 'Settings saved.')


def test_describe_review_and_approve_with_each_provider(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'ada@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')

    # 200 watches with the built-in writer, as a job with its panel
    browser.get(live_app + '/watches')
    connected(browser)
    click(browser, (By.CSS_SELECTOR, '.q-table tbody .q-checkbox'))
    visible_text(browser, '1 selected')
    button(browser, f'Select all {WATCHES} matching').click()
    visible_text(browser, f'{WATCHES} selected (all matching)')
    button(browser, 'Describe…').click()
    visible_text(browser, f'Describe all {WATCHES} matching')
    screenshot(browser, 'descriptions-bulk-dialog')
    button(browser, 'Start').click()
    see(browser, f'Descriptions of {WATCHES} watches (en, sv, built-in writer)')
    _follow_job(browser)
    see(browser, f'{WATCHES * 2} of {WATCHES * 2}')  # every watch in both languages
    screenshot(browser, 'descriptions-job-finished')
    browser.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)

    # review on a watch's page: approve the English draft, edit the Swedish one
    watch_id = _ids[0]
    _open_watch(browser, live_app, watch_id)
    see(browser, 'No approved text yet')
    click(browser, (By.XPATH, '//*[@aria-label="English texts"]//button[.//*[normalize-space(text())="Approve"]]'))
    see(browser, 'The English text is approved.')
    see(browser, 'Approved')
    _click_until(
        browser,
        '//*[@aria-label="Svenska texts"]//button[.//*[normalize-space(text())="Edit"]]',
        'Edit the Svenska text',
    )
    _type(browser, 'Title', '')
    button(browser, 'Save as new draft').click()
    visible_text(browser, 'Required.')
    _type(browser, 'Title', 'Omega Seamaster R000 från 1950, svart urtavla')
    screenshot(browser, 'descriptions-edit-dialog')
    button(browser, 'Save as new draft').click()
    see(browser, 'Saved as a new draft.')
    see(browser, 'Omega Seamaster R000 från 1950, svart urtavla')
    _photograph_card(browser, 'descriptions-watch-reviewed')

    with openai_server(api_key='sk-test') as chat:
        # switch to the OpenAI-compatible stand-in and regenerate one watch's English text
        browser.get(live_app + '/settings/descriptions')
        connected(browser)
        visible_text(browser, 'AI descriptions')
        click(
            browser,
            (By.XPATH, '//*[contains(@class, "q-radio")][.//*[normalize-space(text())="OpenAI-compatible server"]]'),
        )
        _type(browser, 'Base URL', chat.base_url)
        _type(browser, 'API key', 'sk-test')
        see(browser, 'Omega', contains=True)  # the prompt preview for the sample watch
        screenshot(browser, 'descriptions-settings-openai')
        _save_settings(browser)
        _open_watch(browser, live_app, watch_id)
        button(browser, 'Generate').click()
        see(browser, 'new drafts written.', contains=True, seconds=30)
        see(browser, 'OpenAI-compatible · gpt-4o-mini', contains=True)
        see(browser, 'tokens', contains=True)
        assert len(chat.requests) == 2  # one per language
        _photograph_card(browser, 'descriptions-watch-openai')

    with make_scenario(api_key='make-key', secret='hook-secret', delay=2.0) as scenario:
        # the Make.com round trip: the scenario calls the served app's webhook back after two seconds
        browser.get(live_app + '/settings/descriptions')
        connected(browser)
        click(
            browser, (By.XPATH, '//*[contains(@class, "q-radio")][.//*[normalize-space(text())="Make.com scenario"]]')
        )
        _type(browser, 'Webhook URL', scenario.webhook_url)
        _type(browser, 'API key (x-make-apikey)', 'make-key')
        _type(browser, 'Signing secret', 'hook-secret')
        screenshot(browser, 'descriptions-settings-make')
        _save_settings(browser)
        _open_watch(browser, live_app, watch_id)
        button(browser, 'Generate').click()
        see(browser, 'Waiting for Make.com…', contains=True)
        _photograph_card(browser, 'descriptions-waiting-make')
        see(browser, 'Written by the Make.com scenario', contains=True, seconds=30)
        try:
            wait(browser).until(lambda d: not displayed_texts(d, '//*[contains(text(), "Waiting for Make.com")]'))
        except TimeoutException:
            raise AssertionError('the waiting note stayed after the callback arrived') from None
        assert [sent['status'] for sent in scenario.sent] == [204, 204]
        _photograph_card(browser, 'descriptions-watch-make')
