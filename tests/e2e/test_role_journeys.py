"""Real Chromium, one journey per role: what each may do with the inventory, and the refusals for what it may not.

Agent: intake on a tablet, photos surviving a reload, label; their own watches only, edit, one stage.
Manager: an import with row errors (nothing written), then a clean one, and the filtered export.
Admin: intake and label, find, move, edit, batch and deliver, export.
Finance: reads everything with costs, changes nothing.
Seller: reads and moves stages, never sees a purchase cost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from db.enums import Role
from services import places, watches
from services.permissions import SYSTEM
from tests.e2e.browsing import (
    DESKTOP,
    absent,
    button,
    click,
    horizontal_overflow,
    log_in,
    photo_file,
    quasar_field,
    screenshot,
    set_viewport,
    upload,
    visible_text,
    wait,
    wait_for_path,
)
from tests.factories import PASSWORD, make_user, make_watch

TABLET_PORTRAIT = (800, 1280)
REFUSED = 'This screen is not open to your role.'
SELLER_COST = '7,777.00'
# Filled by `populate` (which runs in this process before the server starts): name -> (id, SKU).
WATCHES: dict[str, tuple[int, str]] = {}


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    def fill() -> None:
        for role, email, name in (
            (Role.ADMIN, 'ada@example.com', 'Ada Admin'),
            (Role.MANAGER, 'mia@example.com', 'Mia Manager'),
            (Role.FINANCE, 'fiona@example.com', 'Fiona Finance'),
            (Role.SELLER, 'sam@example.com', 'Sam Seller'),
        ):
            make_user(role, email=email, name=name)
        agnes = make_user(Role.AGENT, email='agnes@example.com', name='Agnes Agent')
        otto = make_user(Role.AGENT, email='otto@example.com', name='Otto Agent')
        home = places.create_location(SYSTEM, {'name': 'Stockholm office', 'kind': 'office', 'country': 'SE'})
        places.create_location(SYSTEM, {'name': 'Geneva warehouse', 'kind': 'warehouse', 'country': 'CH'})
        for name, stage, agent, brand, model, reference, cost in (
            ('agnes', 'intake', agnes, 'Omega', 'Seamaster', '166.010', '2100.00'),
            ('otto', 'intake', otto, 'Rolex', 'Submariner', '5513', '9000.00'),
            ('seller', 'photographed', None, 'Tudor', 'Ranger', '7995', '7777.00'),
        ):
            watch_id = make_watch(stage, cost=cost, agent=agent, brand=brand, model=model, reference=reference,
                                  location_id=home.id, asking_price='12000.00', price_currency='EUR')  # fmt: skip
            WATCHES[name] = (watch_id, watches.get_watch(SYSTEM, watch_id).sku)

    return fill


def _start_intake(driver: WebDriver, base_url: str, reference: str, *photos: Path) -> None:
    """Open the tablet intake, type a known reference (brand, model and calibre fill in) and take the photos."""
    driver.get(base_url + '/intake')
    wait(driver).until(lambda d: button(d, 'Save watch').is_enabled())
    _type_into(driver, 'Reference', reference)
    wait(driver).until(lambda d: quasar_field(d, 'Calibre').find_element(By.TAG_NAME, 'input').get_attribute('value'))
    upload(driver, *photos)
    _pending_thumbnails(driver, len(photos))


def _save_intake(driver: WebDriver, folder: Path, *names: str) -> str:
    """Save, see each photo added, print the label (a PDF download); returns the new SKU."""
    button(driver, 'Save watch').click()
    for name in names:
        visible_text(driver, f'{name}: Added.')
    sku = driver.find_element(By.XPATH, '//*[starts-with(normalize-space(text()), "SV-")]').text
    button(driver, 'Print label').click()
    label = folder / f'label-{sku}.pdf'
    wait(driver).until(lambda _: label.is_file() and label.read_bytes().startswith(b'%PDF'))
    return sku


def _pending_thumbnails(driver: WebDriver, count: int) -> None:
    """Wait until `count` draft photos are shown, each image loaded from the server (not a broken icon)."""
    script = (
        'return [...document.querySelectorAll(\'img[src*="/media/pending/"]\')]'
        '.filter(i => i.complete && i.naturalWidth > 0).length'
    )
    wait(driver).until(lambda d: d.execute_script(script) == count)


def _download_to(driver: WebDriver, folder: Path) -> None:
    driver.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': str(folder)})


def _table_text(driver: WebDriver, *expected: str) -> str:
    """The table body once it shows every expected text: a table redrawn after an action fills a moment later."""

    def showing(d: WebDriver) -> str | None:
        try:
            text = d.find_element(By.CSS_SELECTOR, '.q-table tbody').text
        except (NoSuchElementException, StaleElementReferenceException):
            return None
        return text if all(part in text for part in expected) else None

    return wait(driver).until(showing)


def _type_into(driver: WebDriver, label: str, text: str) -> None:
    field = quasar_field(driver, label).find_element(By.TAG_NAME, 'input')
    field.send_keys(Keys.CONTROL, 'a')
    field.send_keys(text)


def _assert_refused(driver: WebDriver, base_url: str, path: str, shot: str) -> None:
    driver.get(base_url + path)
    visible_text(driver, REFUSED)
    screenshot(driver, shot)


def _inventory(driver: WebDriver, base_url: str) -> None:
    driver.get(base_url + '/watches')
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-table tbody tr'))


def _shows_button(driver: WebDriver, label: str) -> bool:
    """A button labelled `label` is displayed (filter fields share some of the bulk actions' words)."""
    locator = f'//button[.//*[normalize-space(text())="{label}"]]'
    return any(element.is_displayed() for element in driver.find_elements(By.XPATH, locator))


def _select_first_row(driver: WebDriver) -> None:
    click(driver, (By.CSS_SELECTOR, '.q-table tbody .q-checkbox'))
    visible_text(driver, '1 selected')


def _edit_dial(driver: WebDriver, dial: str) -> None:
    button(driver, 'Edit').click()
    visible_text(driver, 'Save changes')
    _type_into(driver, 'Dial', dial)
    button(driver, 'Save changes').click()
    visible_text(driver, dial)


def test_an_agent_takes_a_watch_in_with_photos_that_survive_a_reload(live_app: str, browser: WebDriver, tmp_path: Path):
    _download_to(browser, tmp_path)
    set_viewport(browser, *TABLET_PORTRAIT)
    log_in(browser, live_app, 'agnes@example.com', PASSWORD)
    wait_for_path(browser, '/')
    photos = photo_file(tmp_path, 'dial.jpg', (180, 150, 90)), photo_file(tmp_path, 'caseback.jpg', (90, 90, 100))
    _start_intake(browser, live_app, '145.022', *photos)

    browser.refresh()  # the tablet drops off the Wi-Fi, or someone pulls to refresh
    visible_text(browser, 'Your unsaved intake was restored.')
    _pending_thumbnails(browser, 2)
    assert quasar_field(browser, 'Reference').find_element(By.TAG_NAME, 'input').get_attribute('value') == '145.022'
    assert horizontal_overflow(browser) == 0
    browser.execute_script("document.querySelector('[alt=\"dial.jpg\"]').scrollIntoView({block: 'center'})")
    screenshot(browser, 'role-agent-intake-photos-restored-800x1280')

    sku = _save_intake(browser, tmp_path, 'dial.jpg', 'caseback.jpg')
    screenshot(browser, 'role-agent-intake-saved-800x1280')
    button(browser, 'Open watch').click()
    visible_text(browser, 'Photos (2)')

    set_viewport(browser, *DESKTOP)
    _inventory(browser, live_app)
    agnes_id, agnes_sku = WATCHES['agnes']
    listed = _table_text(browser, sku, agnes_sku)
    assert WATCHES['otto'][1] not in listed, 'an agent sees only the watches they sourced'
    assert not _shows_button(browser, 'Import') and not _shows_button(browser, 'Export')
    _select_first_row(browser)
    assert _shows_button(browser, 'Stage') and not _shows_button(browser, 'Batch'), 'stages yes, batches no'
    screenshot(browser, 'role-agent-inventory-1280')

    browser.get(f'{live_app}/watches/{agnes_id}')
    visible_text(browser, 'Move to')
    _edit_dial(browser, 'Silver pie-pan dial')
    button(browser, 'Photographed').click()
    visible_text(browser, 'Intake → Photographed')
    screenshot(browser, 'role-agent-watch-1280')

    browser.get(f'{live_app}/watches/{WATCHES["otto"][0]}')
    visible_text(browser, 'Watch not found')
    screenshot(browser, 'role-agent-other-watch-refused-1280')
    _assert_refused(browser, live_app, '/watches/import', 'role-agent-import-refused-1280')


def test_a_manager_imports_a_file_with_errors_then_a_clean_one_and_exports(
    live_app: str, browser: WebDriver, tmp_path: Path
):
    _download_to(browser, tmp_path)
    taken_sku = WATCHES['otto'][1]
    faulty = tmp_path / 'stock-faulty.csv'
    faulty.write_text(
        'SKU,Brand,Model,Reference,Year\n'
        ',Zenith,El Primero,A386,1969\n'
        ',Rolexx,Datejust,1601,1970\n'
        f'{taken_sku},Tudor,Ranger,7995,1968\n'
        ',Longines,Conquest,,1700\n',
        encoding='utf-8',
    )
    clean = tmp_path / 'stock-clean.csv'
    clean.write_text('Brand,Model,Reference,Year\nZenith,El Primero,A386,1969\nHeuer,Autavia,2446,1968\n')
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'mia@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    _inventory(browser, live_app)
    _type_into(browser, 'Model', 'El Primero')
    visible_text(browser, 'No watches match these filters.')

    button(browser, 'Import').click()
    wait_for_path(browser, '/watches/import')
    upload(browser, faulty)
    visible_text(browser, 'stock-faulty.csv: 4 rows, 3 rows need correcting.')
    errors = _table_text(browser, '"Rolexx" is not a known brand', f'The SKU {taken_sku} is already in use.')
    assert 'Enter a year between 1800' in errors
    assert len(browser.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')) == 3
    assert absent(browser, 'Import 4 watches'), 'a file with errors cannot be imported'
    visible_text(browser, 'Nothing has been imported. Correct these rows in the file and upload it again.')
    screenshot(browser, 'role-manager-import-errors-1280')

    browser.refresh()  # a fresh screen for the corrected file
    upload(browser, clean)
    visible_text(browser, 'stock-clean.csv: 2 rows, ready to import.')
    button(browser, 'Import 2 watches').click()
    visible_text(browser, '2 watches imported.')
    screenshot(browser, 'role-manager-import-done-1280')

    _inventory(browser, live_app)
    _type_into(browser, 'Model', 'El Primero')
    visible_text(browser, '1 watch')  # the faulty file wrote nothing
    _table_text(browser, 'A386')
    button(browser, 'Export').click()
    button(browser, 'CSV of all matching').click()
    wait(browser).until(lambda _: list(tmp_path.glob('watches-*.csv')))
    exported = next(tmp_path.glob('watches-*.csv')).read_text(encoding='utf-8-sig').splitlines()
    assert len(exported) == 2 and 'El Primero' in exported[1]
    screenshot(browser, 'role-manager-inventory-filtered-1280')


def test_an_admin_takes_in_finds_edits_moves_batches_delivers_and_exports(
    live_app: str, browser: WebDriver, tmp_path: Path
):
    _download_to(browser, tmp_path)
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'ada@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    _start_intake(browser, live_app, '2447', photo_file(tmp_path, 'front.jpg', (40, 40, 40)))
    location = quasar_field(browser, 'Location')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", location)
    location.click()
    button(browser, 'Stockholm office').click()
    sku = _save_intake(browser, tmp_path, 'front.jpg')
    screenshot(browser, 'role-admin-intake-saved-1280')

    _inventory(browser, live_app)
    search = (By.XPATH, '//main//label[contains(@class, "q-field")][.//i[text()="search"]]//input')
    wait(browser).until(lambda d: d.find_element(*search)).send_keys(sku)  # the filter's free-text field
    visible_text(browser, '1 watch')
    click(browser, (By.XPATH, f'//tbody//a[normalize-space()="{sku}"]'))
    visible_text(browser, 'Photos (1)')
    button(browser, 'Photographed').click()
    visible_text(browser, 'Intake → Photographed')
    _edit_dial(browser, 'Panda dial')
    screenshot(browser, 'role-admin-watch-1280')

    _inventory(browser, live_app)
    visible_text(browser, '1 watch')  # the filter is remembered
    _select_first_row(browser)
    button(browser, 'Batch').click()
    button(browser, 'New batch…').click()
    for label, option in (('Origin', 'Stockholm office'), ('Destination', 'Geneva warehouse')):
        quasar_field(browser, label).click()
        button(browser, option).click()
    button(browser, 'Create batch').click()
    visible_text(browser, '1 watch put into the batch.')
    browser.find_element(By.XPATH, '//aside//a[.//*[text()="Batches"]]').click()
    wait_for_path(browser, '/batches')
    click(browser, (By.CSS_SELECTOR, '.q-table tbody a'))
    _deliver(browser)
    _table_text(browser, sku)
    screenshot(browser, 'role-admin-batch-delivered-1280')

    _inventory(browser, live_app)
    visible_text(browser, '1 watch')
    button(browser, 'Export').click()
    button(browser, 'CSV of all matching').click()
    wait(browser).until(lambda _: list(tmp_path.glob('watches-*.csv')))
    exported = next(tmp_path.glob('watches-*.csv')).read_text(encoding='utf-8-sig').splitlines()
    assert len(exported) == 2 and sku in exported[1] and 'Geneva warehouse' in exported[1]


def _deliver(driver: WebDriver) -> None:
    """Mark the open batch packed, shipped (with carrier and tracking) and delivered, confirming each dialog."""
    for step in ('packed', 'shipped', 'delivered'):
        click(driver, (By.XPATH, f'//main//button[.//*[normalize-space(text())="Mark as {step}"]]'))
        dialog = f'//div[contains(@class, "q-dialog")]//button[.//*[normalize-space(text())="Mark as {step}"]]'
        wait(driver).until(lambda d, xpath=dialog: d.find_elements(By.XPATH, xpath))
        if step == 'shipped':
            _type_into(driver, 'Carrier', 'DHL Express')
            _type_into(driver, 'Tracking number', 'JD014600006281')
        click(driver, (By.XPATH, dialog))
        wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-dialog'))
        visible_text(driver, step.title())


def test_finance_reads_every_watch_with_costs_and_changes_nothing(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'fiona@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    _inventory(browser, live_app)
    _table_text(browser, WATCHES['agnes'][1], WATCHES['otto'][1], SELLER_COST)  # every agent's watches, with costs
    for action in ('New watch', 'Import'):
        assert not _shows_button(browser, action), f'finance should not see "{action}"'
    assert _shows_button(browser, 'Export'), 'finance exports what it reads'
    _select_first_row(browser)
    assert not any(_shows_button(browser, action) for action in ('Stage', 'Batch', 'Location', 'Labels'))
    screenshot(browser, 'role-finance-inventory-1280')

    watch_id, _ = WATCHES['seller']
    browser.get(f'{live_app}/watches/{watch_id}')
    visible_text(browser, f'{SELLER_COST} EUR')
    assert not _shows_button(browser, 'Edit') and absent(browser, 'Move to')
    screenshot(browser, 'role-finance-watch-1280')
    _assert_refused(browser, live_app, f'/watches/{watch_id}/edit', 'role-finance-edit-refused-1280')
    _assert_refused(browser, live_app, '/watches/import', 'role-finance-import-refused-1280')
    browser.get(live_app + '/intake')
    visible_text(browser, REFUSED)
    browser.get(live_app + '/batches')
    visible_text(browser, 'Batches')
    assert not _shows_button(browser, 'New batch')


def test_a_seller_reads_and_moves_stages_but_never_sees_a_purchase_cost(live_app: str, browser: WebDriver):
    set_viewport(browser, *DESKTOP)
    log_in(browser, live_app, 'sam@example.com', PASSWORD)
    visible_text(browser, 'Dashboard')
    _inventory(browser, live_app)
    _table_text(browser, WATCHES['seller'][1])
    assert SELLER_COST not in browser.find_element(By.TAG_NAME, 'main').text
    assert not any(_shows_button(browser, action) for action in ('Import', 'New watch'))
    assert _shows_button(browser, 'Export'), 'sellers export lists for their listings'
    _select_first_row(browser)
    assert _shows_button(browser, 'Stage')
    assert not any(_shows_button(browser, action) for action in ('Batch', 'Location'))
    screenshot(browser, 'role-seller-inventory-1280')

    watch_id, _ = WATCHES['seller']
    browser.get(f'{live_app}/watches/{watch_id}')
    visible_text(browser, 'Move to')
    assert not _shows_button(browser, 'Edit')
    button(browser, 'Described').click()
    visible_text(browser, 'Photographed → Described')
    assert SELLER_COST not in browser.find_element(By.TAG_NAME, 'main').text
    screenshot(browser, 'role-seller-watch-1280')
    _assert_refused(browser, live_app, f'/watches/{watch_id}/edit', 'role-seller-edit-refused-1280')
    _assert_refused(browser, live_app, '/watches/import', 'role-seller-import-refused-1280')
    browser.get(live_app + '/intake')
    visible_text(browser, REFUSED)
