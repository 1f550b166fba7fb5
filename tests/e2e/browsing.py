"""What a person does in the browser, as small functions the journeys are written in."""

from __future__ import annotations

import time

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
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
    return WebDriverWait(driver, WAIT_SECONDS)


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
        wait(driver).until(lambda d: d.current_url.split('://', 1)[1].split('/', 1)[1] == path.lstrip('/'))
    except TimeoutException:
        raise AssertionError(f'expected to be on {path}, but the browser is on {driver.current_url}') from None


def log_in(driver: WebDriver, base_url: str, email: str, password: str) -> None:
    """Open the site logged out, get sent to /login, and log in there."""
    driver.delete_all_cookies()
    driver.get(base_url + '/')
    wait_for_path(driver, '/login')
    email_field = wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'input[autocomplete=username]')))
    email_field.send_keys(email)
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(password)
    button(driver, 'Log in').click()


def button(driver: WebDriver, label: str) -> WebElement:
    """A clickable button (or menu item) by its visible label."""
    locator = (
        By.XPATH,
        f'//*[(self::button or @role="menuitem" or contains(@class, "q-item"))'
        f' and .//*[normalize-space(text())={_xpath_string(label)}]]',
    )
    return wait(driver).until(ec.element_to_be_clickable(locator))


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


def _xpath_string(text: str) -> str:
    """An XPath 1.0 string literal (it has no escapes: quote with the kind of quote the text does not contain)."""
    return f'"{text}"' if '"' not in text else f"'{text}'"
