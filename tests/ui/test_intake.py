"""The tablet intake: inline errors, the success card, autofill, the serial warning, the draft and its photos."""

from __future__ import annotations

import io
from pathlib import Path

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from PIL import Image

from db.enums import Role
from services import photos, places, watches
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


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (80, 60), (shade, 90, 120)).save(buffer, 'JPEG')
    return buffer.getvalue()


def _pending_markers(visitor: User) -> list[str]:
    return sorted(m for e in visitor.find(ui.element).elements for m in e._markers if m.startswith('pending-photo-'))


async def test_photos_survive_a_reload_with_the_draft_and_saving_attaches_them(visitor: User, media: Path):
    await open_intake(visitor)
    (upload,) = [e for e in visitor.find(marker='photo-input').elements if isinstance(e, ui.upload)]
    await upload.handle_uploads([SmallFileUpload('front.jpg', 'image/jpeg', _jpeg(10))])
    await upload.handle_uploads([SmallFileUpload('notes.jpg', 'image/jpeg', b'%PDF-1.4 not a photo')])
    await upload.handle_uploads([SmallFileUpload('back.jpg', 'image/jpeg', _jpeg(200))])
    await eventually(lambda: len(_pending_markers(visitor)) == 2, 'two photos in the draft')
    await visitor.should_see('notes.jpg: This file is not a JPEG, PNG or WebP photo, whatever its name says.')
    thumbnail = next(iter(visitor.find(ui.image).elements)).source
    assert (await visitor.http_client.get(thumbnail)).headers['content-type'] == 'image/jpeg'
    shown = _pending_markers(visitor)

    await visitor.open('/intake')  # a reload, or the tablet back on the Wi-Fi
    await visitor.should_see(marker='scan', retries=PATIENCE)
    await ready(visitor)
    await eventually(lambda: _pending_markers(visitor) == shown, 'the same two photos after the reload')
    await visitor.should_see('front.jpg')
    await visitor.should_see('back.jpg')

    visitor.find(marker='brand-Omega').click()
    element(visitor, 'model').value = 'Speedmaster Professional'
    await press(visitor, 'save')
    await visitor.should_see(marker='intake-success', retries=PATIENCE)
    await visitor.should_see('front.jpg: Added.')
    await visitor.should_see('back.jpg: Added.')
    watch_id = watches.find_by_sku(SYSTEM, element(visitor, 'new-sku').text)
    assert watch_id is not None
    gallery = photos.list_photos(SYSTEM, watch_id)
    assert sorted(photo.original_name for photo in gallery) == ['back.jpg', 'front.jpg']
    visitor.find(marker='next-watch').click()
    await eventually(lambda: _pending_markers(visitor) == [], 'an empty photo list for the next watch')


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
