"""A watch's page: stage moves, photos, labels, and what each role may see and do there."""

from __future__ import annotations

import io
from pathlib import Path

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from PIL import Image

from db.enums import Role
from services import photos, watches, workflow
from tests.factories import make_user, make_watch, take_in
from tests.ui.session import eventually, location, open_as, press


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (80, 60), (shade, 60, 90)).save(buffer, 'JPEG')
    return buffer.getvalue()


def _photo_ids(user: User) -> list[int]:
    """The photos in the order the gallery shows them (their tiles are marked `photo-<id>`)."""
    (grid,) = user.find(marker='photo-grid').elements
    return [int(marker[6:]) for tile in grid for marker in tile._markers if marker.startswith('photo-')]


async def test_the_page_offers_only_allowed_moves_and_a_move_shows_in_the_history(visitor: User):
    agent = make_user(Role.AGENT)
    watch = take_in(agent, brand='Rolex', model='Datejust', reference='1601')
    make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see(watch.sku)
    await visitor.should_see('Rolex Datejust')
    moves = {m for e in visitor.find(ui.button).elements for m in e._markers if m.startswith('move-')}
    assert moves == {'move-photographed', 'move-on_hold', 'move-in_service'}  # never, say, straight to Sold
    await press(visitor, 'move-photographed')
    await eventually(lambda: _stage_badge(visitor) == 'Photographed', 'the badge to show the new stage')
    await visitor.should_see('Intake → Photographed')
    await visitor.should_see('Mia Manager', marker='history')
    assert watches.get_watch(agent, watch.id).stage_key == 'photographed'


async def test_a_long_story_shows_its_latest_moves_and_draws_the_older_ones_on_request(visitor: User):
    manager = make_user(Role.MANAGER, email='mia@example.com')
    watch = take_in(manager)
    stage = {stage.key: stage.id for stage in workflow.stages()}
    for _ in range(6):  # twelve moves, and twelve changes in the audit trail
        workflow.move_watch(manager, watch.id, stage['on_hold'])
        workflow.move_watch(manager, watch.id, stage['intake'])
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}', 'watch-detail')
    (history,) = visitor.find(marker='history').elements
    assert _texts(history).count('Intake → On hold') == 4  # the latest eight of twelve moves, and the intake
    await press(visitor, 'older-moves')
    await eventually(lambda: _texts(history).count('Intake → On hold') == 6, 'the older moves to be drawn')
    assert 'Taken in: Intake' in _texts(history)


def _texts(element: ui.element) -> list[str]:
    return [label.text for label in element.descendants() if isinstance(label, ui.label)]


def _stage_badge(user: User) -> str:
    (badge,) = user.find(marker='stage').elements
    return badge.props.get('label') or badge.text


async def test_a_move_someone_else_made_first_is_refused_with_the_reason(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN)
    watch = take_in(admin)
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}', 'watch-detail')
    photographed = next(stage for stage in workflow.stages() if stage.key == 'photographed')
    workflow.move_watch(admin, watch.id, photographed.id)
    await press(visitor, 'move-on_hold')
    await visitor.should_see(marker='move-refusal')
    await visitor.should_see('moved this watch')
    assert watches.get_watch(admin, watch.id).stage_key == 'photographed'


async def test_photos_are_uploaded_refused_made_primary_reordered_and_deleted(visitor: User, media: Path):
    make_user(Role.MANAGER, email='mia@example.com')
    watch_id = make_watch()
    await open_as(visitor, 'mia@example.com', f'/watches/{watch_id}', 'watch-detail')
    (upload,) = visitor.find(marker='photo-upload').elements
    assert isinstance(upload, ui.upload)
    files = [
        SmallFileUpload('front.jpg', 'image/jpeg', _jpeg(10)),
        SmallFileUpload('back.jpg', 'image/jpeg', _jpeg(200)),
        SmallFileUpload('notes.jpg', 'image/jpeg', b'%PDF-1.4 not a photo'),
    ]
    await upload.handle_uploads(files)
    await eventually(lambda: len(_photo_ids(visitor)) == 2, 'two photos in the gallery')
    await visitor.should_see(marker='photo-refusals')
    await visitor.should_see('notes.jpg', marker='photo-refusals')
    first, second = _photo_ids(visitor)

    admin = make_user(Role.ADMIN)
    assert [p.id for p in photos.list_photos(admin, watch_id) if p.is_primary] == [first]
    await press(visitor, f'make-primary-{second}')
    assert [p.id for p in photos.list_photos(admin, watch_id) if p.is_primary] == [second]
    (badge,) = visitor.find(marker='primary-badge').elements
    assert f'photo-{second}' in badge.parent_slot.parent.parent_slot.parent._markers
    await press(visitor, f'move-earlier-{second}')
    await eventually(lambda: _photo_ids(visitor) == [second, first], 'the order to change')
    visitor.find(marker=f'delete-{first}').click()
    await press(visitor, 'confirm-delete-photo')
    await eventually(lambda: _photo_ids(visitor) == [second], 'the photo to be gone')


async def test_labels_download_in_three_formats(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    watch_id = make_watch()
    await open_as(visitor, 'mia@example.com', f'/watches/{watch_id}', 'watch-detail')
    visitor.find(marker='label-brother').click()
    assert (await visitor.download.next(timeout=5)).content.startswith(b'%PDF')
    visitor.find(marker='label-a4').click()
    assert (await visitor.download.next(timeout=5)).content.startswith(b'%PDF')
    visitor.find(marker='label-zpl').click()
    assert (await visitor.download.next(timeout=5)).content.startswith(b'^XA')


async def test_a_seller_sees_neither_costs_nor_edit_and_delete(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    watch = take_in(make_user(Role.ADMIN), purchase_cost='9876', purchase_currency='EUR', asking_price='15000',
                    price_currency='EUR')  # fmt: skip
    await open_as(visitor, 'sam@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see('15,000.00 EUR')
    await visitor.should_not_see(marker='facts-purchase')
    await visitor.should_not_see('9876')
    await visitor.should_not_see('9,876.00 EUR')
    await visitor.should_not_see(marker='edit-watch')
    await visitor.should_not_see(marker='photo-upload')


async def test_finance_gets_no_edit_button_but_sees_the_cost(visitor: User):
    make_user(Role.FINANCE, email='fin@example.com')
    watch_id = make_watch(cost='1234.00')
    await open_as(visitor, 'fin@example.com', f'/watches/{watch_id}', 'watch-detail')
    await visitor.should_see('1,234.00 EUR')
    await visitor.should_not_see(marker='edit-watch')
    await visitor.should_not_see(marker='delete-watch')
    await visitor.should_not_see(marker='moves')


async def test_an_agent_opening_someone_elses_watch_sees_not_found(visitor: User):
    make_user(Role.AGENT, email='agnes@example.com')
    watch_id = make_watch(agent=make_user(Role.AGENT))
    await open_as(visitor, 'agnes@example.com', f'/watches/{watch_id}', 'watch-not-found')
    await visitor.should_not_see(marker='watch-detail')


async def test_delete_asks_first_then_leaves_for_the_inventory(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    watch_id = make_watch()
    await open_as(visitor, 'mia@example.com', f'/watches/{watch_id}', 'watch-detail')
    visitor.find(marker='delete-watch').click()
    await press(visitor, 'confirm-delete')
    await eventually(lambda: location(visitor) == '/watches', 'the inventory after deleting')
    await visitor.open(f'/watches/{watch_id}')
    await visitor.should_see(marker='watch-not-found')
