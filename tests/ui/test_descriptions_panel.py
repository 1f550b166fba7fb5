"""The "Descriptions" card of a watch's page: generating, reviewing, editing and approving texts, live."""

from __future__ import annotations

import json
import time

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import ai_settings, descriptions
from services.integrations import make
from tests.factories import make_user, take_in
from tests.fakes.make_scenario import make_scenario
from tests.ui.session import eventually, open_as, press


def _texts(user: User, marker: str) -> list[str]:
    return [
        element.text
        for found in user.find(marker=marker).elements
        for element in found.descendants()
        if isinstance(element, ui.label)
    ]


def _shown(user: User, marker: str) -> bool:
    """Whether a visible element carries `marker` (the user fixture's `find` insists on finding one)."""
    try:
        return any(element.visible for element in user.find(marker=marker).elements)
    except AssertionError:
        return False


async def test_generate_shows_drafts_in_both_languages_and_approving_marks_one(visitor: User):
    seller = make_user(Role.SELLER, email='sam@example.com', name='Sam Seller')
    watch = take_in(make_user(Role.ADMIN), brand='Omega', model='Speedmaster', reference='145.022', year=1969)
    await open_as(visitor, 'sam@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see('Nothing written yet', retries=30)
    await visitor.should_see('Written by: Built-in writer')
    await press(visitor, 'generate-descriptions')
    await eventually(lambda: len(descriptions.versions(seller, watch.id)) == 2, 'a draft per language')
    drafts = {draft.language: draft for draft in descriptions.versions(seller, watch.id)}
    await eventually(lambda: _shown(visitor, f'version-{drafts["sv"].id}'), 'the Swedish draft to be drawn')
    assert 'Draft' in _texts(visitor, f'version-{drafts["en"].id}')
    assert drafts['en'].title in _texts(visitor, f'version-{drafts["en"].id}')
    assert _shown(visitor, 'unapproved-en')

    await press(visitor, f'approve-{drafts["en"].id}')
    await eventually(lambda: _shown(visitor, 'approved-en'), 'the approved English text to be marked')
    approved = _texts(visitor, 'approved-en')
    assert 'Approved' in approved and drafts['en'].title in approved
    assert any('approved by Sam Seller' in text for text in approved)
    assert not _shown(visitor, 'unapproved-en') and _shown(visitor, 'unapproved-sv')
    assert descriptions.approved_text(watch.id, 'en').id == drafts['en'].id


async def test_editing_refuses_an_empty_title_inline_and_saves_a_new_version(visitor: User):
    seller = make_user(Role.SELLER, email='sam@example.com')
    watch = take_in(make_user(Role.ADMIN))
    (draft,) = descriptions.generate(seller, watch.id, ['en']).drafts
    await open_as(visitor, 'sam@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see(marker=f'version-{draft.id}', retries=30)
    await press(visitor, f'edit-{draft.id}')
    await visitor.should_see(marker='edit-description')
    (title,) = visitor.find(marker='edit-title').elements
    title.value = ''
    await press(visitor, 'edit-save')
    assert title.error == 'Required.'
    title.value = '   '  # blank to the service too: its field message lands under the field
    await press(visitor, 'edit-save')
    await eventually(lambda: title.error == 'Write something here.', 'the service refusal under the title')
    assert len(descriptions.versions(seller, watch.id)) == 1

    title.value = 'Omega Seamaster, a fine example'
    await press(visitor, 'edit-save')
    await eventually(lambda: len(descriptions.versions(seller, watch.id)) == 2, 'the edit to be saved')
    edited = descriptions.versions(seller, watch.id)[0]
    assert (edited.provider, edited.edited_from_id, edited.status) == ('manual', draft.id, 'draft')
    await eventually(lambda: _shown(visitor, f'version-{edited.id}'), 'the edited version to be drawn')
    assert any(
        'Edited by hand' in text and f'edited from #{draft.id}' in text
        for text in _texts(visitor, f'version-{edited.id}')
    )


async def test_a_text_written_elsewhere_shows_at_once_and_readers_get_no_buttons(visitor: User):
    make_user(Role.FINANCE, email='fia@example.com')
    seller = make_user(Role.SELLER)
    watch = take_in(make_user(Role.ADMIN))
    await open_as(visitor, 'fia@example.com', f'/watches/{watch.id}', 'watch-detail')
    await visitor.should_see('No texts yet', retries=30)
    assert not _shown(visitor, 'generate-descriptions')
    (draft,) = descriptions.generate(seller, watch.id, ['sv']).drafts  # a colleague, elsewhere
    await eventually(lambda: _shown(visitor, f'version-{draft.id}'), 'the new draft to arrive live')
    assert not _shown(visitor, f'approve-{draft.id}') and not _shown(visitor, f'edit-{draft.id}')


async def test_make_com_generation_waits_for_the_callback_even_after_a_reload(visitor: User):
    admin = make_user(Role.ADMIN, email='ada@example.com')
    watch = take_in(admin, brand='Rolex', model='Explorer', reference='1016')
    with make_scenario(api_key='make-key', secret='hook-secret') as scenario:
        scenario.mode = 'silent'  # the answer is delivered below, as the scenario's HTTP module would
        ai_settings.save(
            admin,
            {
                'provider': 'make',
                'languages': ['en'],
                'make': {'webhook_url': scenario.webhook_url, 'api_key': 'make-key', 'secret': 'hook-secret'},
            },
        )
        await open_as(visitor, 'ada@example.com', f'/watches/{watch.id}', 'watch-detail')
        await visitor.should_see('Written by: Make.com', retries=30)
        await press(visitor, 'generate-descriptions')
        await visitor.should_see('Waiting for Make.com… (English)')
        (request,) = scenario.received
        await visitor.open(f'/watches/{watch.id}')  # a page opened meanwhile knows it too
        await visitor.should_see('Waiting for Make.com… (English)', retries=30)
    body = json.dumps(
        {
            'request_id': request['request_id'],
            'status': 'ok',
            'result': {'title': 'Rolex Explorer 1016', 'description': 'A Rolex Explorer 1016 from the scenario.'},
            'error': None,
        }
    ).encode()
    now = int(time.time())
    descriptions.receive_make_callback(str(now), make.sign('hook-secret', now, body), body)
    await eventually(lambda: not _shown(visitor, 'waiting-make'), 'the waiting note to go')
    await visitor.should_see('Rolex Explorer 1016')
    (version,) = descriptions.versions(admin, watch.id)
    assert version.provider == 'make'
