"""The tablet intake: save with inline errors, the success card, autofill, the serial warning, the draft, refusal."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import places
from services.permissions import SYSTEM
from tests.factories import make_user, take_in
from tests.ui.session import PATIENCE, eventually, log_in, open_as, press


async def open_intake(visitor: User, role: Role = Role.AGENT) -> None:
    make_user(role, email='agnes@example.com', name='Agnes Agent')
    await open_as(visitor, 'agnes@example.com', '/intake', 'scan')
    await ready(visitor)


async def ready(visitor: User) -> None:
    """Save is enabled once the page is connected and any draft restored; changes before that are not kept."""
    await eventually(lambda: element(visitor, 'save').enabled, 'the intake form to be ready')


def element(visitor: User, marker: str) -> ui.element:
    return next(iter(visitor.find(marker=marker).elements))


async def test_save_shows_errors_inline_then_the_new_sku_label_and_a_clean_next_form(visitor: User):
    await open_intake(visitor)
    await visitor.should_see('Agnes Agent')
    visitor.find(marker='year').type('1700')
    await press(visitor, 'save')
    await visitor.should_see(marker='intake-error')
    assert element(visitor, 'brand').error == 'Required.'
    assert element(visitor, 'model').error == 'Required.'
    assert element(visitor, 'year').error.startswith('Enter a year between 1800')

    visitor.find(marker='brand-Omega').click()
    element(visitor, 'model').value = 'Speedmaster Professional'
    visitor.find(marker='year').clear().type('1969')
    element(visitor, 'grade-case-optical').value = 'B'
    element(visitor, 'grade-dial-optical').value = 'A'
    await visitor.should_see('B', marker='overall-grade')
    visitor.find(marker='box').click()
    visitor.find(marker='purchase_cost').type('4200')
    await press(visitor, 'save')
    await visitor.should_see(marker='intake-success', retries=PATIENCE)
    sku = element(visitor, 'new-sku').text
    assert sku.startswith('SV-')
    await visitor.should_see('Omega Speedmaster Professional')

    visitor.find(marker='print-label').click()
    response = await visitor.download.next(timeout=PATIENCE / 10)
    assert response.content.startswith(b'%PDF')

    visitor.find(marker='next-watch').click()
    await visitor.should_not_see(marker='intake-success')
    assert element(visitor, 'brand').value is None
    assert element(visitor, 'year').value in ('', None)
    assert element(visitor, 'purchase_currency').value == 'EUR'
    assert element(visitor, 'overall-grade').text == '—'


async def test_a_known_reference_fills_in_brand_model_and_movement(visitor: User):
    await open_intake(visitor)
    visitor.find(marker='reference').type('5513')
    await visitor.should_see(marker='autofill-note', retries=PATIENCE)
    assert element(visitor, 'brand').value == 'Rolex'
    assert element(visitor, 'model').value == 'Submariner'
    assert element(visitor, 'movement').value == 'automatic'
    assert element(visitor, 'calibre').value


async def test_a_serial_seen_before_warns_and_links_to_the_earlier_watch(visitor: User):
    earlier = take_in(SYSTEM, serial='ABC123')
    await open_intake(visitor, Role.MANAGER)
    visitor.find(marker='serial').type('abc123')
    await visitor.should_see(marker='serial-warning', retries=PATIENCE)
    with visitor.scope(marker='serial-warning'):
        await visitor.should_see(earlier.sku)


async def test_the_draft_comes_back_after_reopening_the_page(visitor: User):
    location = places.create_location(SYSTEM, {'name': 'Geneva shop', 'kind': 'office'})
    await open_intake(visitor)
    visitor.find(marker='brand-Tudor').click()
    visitor.find(marker='serial').type('XYZ9')
    visitor.find(marker='papers').click()
    element(visitor, 'location_id').value = location.id
    await visitor.open('/intake')
    await visitor.should_see(marker='scan', retries=PATIENCE)
    await ready(visitor)
    assert element(visitor, 'brand').value == 'Tudor'
    assert element(visitor, 'papers').props['icon'] == 'check_box'
    assert element(visitor, 'serial').value == 'XYZ9'
    assert element(visitor, 'location_id').value == location.id
    await visitor.should_see('Your unsaved intake was restored.')


async def test_a_scanned_sku_opens_the_watch(visitor: User):
    await open_intake(visitor, Role.MANAGER)
    watch = take_in(SYSTEM)
    visitor.find(marker='scan').type(watch.sku.lower()).trigger('keydown.enter')
    await eventually(lambda: visitor.back_history[-1] == f'/watches/{watch.id}', 'the watch to open')


async def test_a_seller_is_refused_politely(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await log_in(visitor, 'sam@example.com')
    await visitor.should_see(marker='user-menu', retries=PATIENCE)
    await visitor.open('/intake')
    await visitor.should_see('This screen is not open to your role.', retries=PATIENCE)
    await visitor.should_not_see(marker='save')
