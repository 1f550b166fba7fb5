"""What a person does in the browser, as small functions the journeys are written in."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from config import ROOT

SCREENSHOTS = ROOT / 'artifacts' / 'screenshots'
WAIT_SECONDS = 15
DESKTOP = (1280, 900)
TABLET = (768, 1024)


def wait(driver: WebDriver) -> WebDriverWait:
    """Waits that look again when Vue replaced an element between finding it and reading it."""
    return WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))


def set_viewport(driver: WebDriver, width: int, height: int) -> None:
    """Exactly this many CSS pixels of page, whatever the window decoration (screenshots come out this size)."""
    driver.execute_cdp_cmd(
        'Emulation.setDeviceMetricsOverride',
        {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': False},
    )


def visible_text(driver: WebDriver, text: str) -> WebElement:
    """Wait until an element whose own text is `text` is displayed (hidden ones, as in a closed drawer, don't count)."""
    locator = (By.XPATH, f'//*[normalize-space(text())={_xpath_string(text)}]')
    try:
        return wait(driver).until(ec.visibility_of_any_elements_located(locator))[0]
    except TimeoutException:
        raise AssertionError(f'"{text}" did not appear on {driver.current_url}') from None


def wait_for_path(driver: WebDriver, path: str) -> None:
    """Wait until the address bar shows `path` (query string included)."""
    try:
        wait(driver).until(lambda d: _path(d) == path.lstrip('/'))
    except TimeoutException:
        raise AssertionError(f'expected to be on {path}, but the browser is on {driver.current_url}') from None


def log_in(driver: WebDriver, base_url: str, email: str, password: str) -> None:
    """Log in through the form and wait until the app has let us in (left /login).

    Submits a second time if the first submit went unanswered, and fails with what the login page says, so a
    refused or lost login is told apart from a slow one.
    """
    submit_login(driver, base_url, email, password)
    for attempt in range(2):
        try:
            WebDriverWait(driver, WAIT_SECONDS).until(lambda d: not _path(d).startswith('login'))
            return
        except TimeoutException:
            shown = driver.find_element(By.TAG_NAME, 'body').text.replace('\n', ' | ')[:300]
            if attempt or 'not correct' in shown or 'locked' in shown:
                raise AssertionError(f'{email} was not let in; the login page shows: {shown}') from None
            _fill_login(driver, email, password)


def submit_login(driver: WebDriver, base_url: str, email: str, password: str) -> None:
    """Open the site logged out, get sent to /login, and submit the form (whatever the answer will be)."""
    driver.delete_all_cookies()
    driver.get(base_url + '/')
    wait_for_path(driver, '/login')
    connected(driver)
    _fill_login(driver, email, password)


def _fill_login(driver: WebDriver, email: str, password: str) -> None:
    for selector, text in (('username', email), ('current-password', password)):
        field = wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'input[autocomplete={selector}]')))
        field.send_keys(Keys.CONTROL, 'a')
        field.send_keys(text)
    button(driver, 'Log in').click()


def connected(driver: WebDriver) -> None:
    """Wait for the page's websocket handshake: a click sent before it may never reach the server under load."""
    try:
        wait(driver).until(lambda d: d.execute_script('return window.did_handshake === true'))
    except TimeoutException:
        raise AssertionError(f'the page at {driver.current_url} never connected to the server') from None


def button(driver: WebDriver, label: str) -> WebElement:
    """A clickable button (or menu item) by its visible label."""
    locator = (
        By.XPATH,
        f'//*[(self::button or @role="menuitem" or contains(@class, "q-item"))'
        f' and .//*[normalize-space(text())={_xpath_string(label)}]]',
    )
    return wait(driver).until(ec.element_to_be_clickable(locator))


def quasar_field(driver: WebDriver, label: str) -> WebElement:
    """The visible Quasar field (its <label>) whose floating label is `label`; click it or find its <input>."""
    xpath = (
        f'//label[contains(@class, "q-field")][.//div[contains(@class, "q-field__label")'
        f' and normalize-space(text())={_xpath_string(label)}]]'
    )
    return wait(driver).until(lambda d: next((e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()), None))


def click(driver: WebDriver, locator: tuple[str, str]) -> None:
    """Click once it can be clicked, again if Vue redrew it in between (a table that just got its rows)."""
    for _ in range(5):
        try:
            wait(driver).until(ec.element_to_be_clickable(locator)).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.2)
    raise AssertionError(f'{locator} kept being redrawn')


def absent(driver: WebDriver, text: str) -> bool:
    """No displayed element has `text` as its own text (call once the screen has loaded)."""
    locator = f'//*[normalize-space(text())={_xpath_string(text)}]'
    return not any(element.is_displayed() for element in driver.find_elements(By.XPATH, locator))


def upload(driver: WebDriver, *paths: Path) -> None:
    """Hand files to the last file input of the page, as the system's file chooser (or a tablet's camera) would."""
    inputs = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type=file]'))
    inputs[-1].send_keys('\n'.join(str(path) for path in paths))


def screenshot(driver: WebDriver, name: str) -> None:
    """Save the viewport to artifacts/screenshots/<name>.png (git-ignored) for people to look at."""
    time.sleep(0.4)  # let Quasar's transitions (drawer, menu, notifications: 300 ms) finish
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f'{name}.png'))


def horizontal_overflow(driver: WebDriver) -> int:
    """How many pixels the page is wider than the viewport (0 when nothing is cut off at the side)."""
    return driver.execute_script('const root = document.documentElement; return root.scrollWidth - root.clientWidth')


def right_edge(element: WebElement) -> float:
    return element.rect['x'] + element.rect['width']


def _path(driver: WebDriver) -> str:
    """The address bar's path and query, without the leading slash."""
    return driver.current_url.split('://', 1)[1].split('/', 1)[1]


def _xpath_string(text: str) -> str:
    """An XPath 1.0 string literal (it has no escapes: quote with the kind of quote the text does not contain)."""
    return f'"{text}"' if '"' not in text else f"'{text}'"


def photo_file(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    """A plain JPEG the app accepts as a watch photo."""
    path = folder / name
    Image.new('RGB', (1200, 900), colour).save(path, 'JPEG', quality=85)
    return path


def photo_files(folder: Path) -> list[Path]:
    """Two photos of different colours, for an upload of several files."""
    return [photo_file(folder, f'watch-{n}.jpg', colour) for n, colour in enumerate(((30, 60, 90), (140, 110, 60)))]


def see(
    driver: WebDriver, text: str, *, contains: bool = False, within: str = '', seconds: float = WAIT_SECONDS
) -> None:
    """Wait for `text` (an element's own text, or part of it) on a part of the page that live updates redraw;
    `within` is an XPath prefix that narrows where (a dialog, a card)."""
    test = f'contains(text(), {_xpath_string(text)})' if contains else f'normalize-space(text())={_xpath_string(text)}'
    try:
        # looked for every 0.1 s: a text shown briefly (a job's "Waiting for …") is not missed between looks
        WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: displayed_texts(d, f'{within}//*[{test}]'))
    except TimeoutException:
        raise AssertionError(f'"{text}" did not appear on {driver.current_url}') from None


def displayed_texts(driver: WebDriver, xpath: str) -> list[str]:
    """The texts of the displayed elements found (an element Vue just replaced counts as not there)."""
    found = []
    for element in driver.find_elements(By.XPATH, xpath):
        try:
            if element.is_displayed():
                found.append(element.text)
        except StaleElementReferenceException:
            continue
    return found
