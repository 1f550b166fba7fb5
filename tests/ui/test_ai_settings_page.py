"""The AI descriptions settings screen: provider choice, keys that are never shown, the prompt and its preview."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import ai_settings
from tests.factories import make_user, take_in
from tests.ui.session import eventually, open_as, press

PATH = '/settings/descriptions'


def _one(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _visible(user: User, marker: str) -> bool:
    """The user fixture finds only what is shown (and insists on finding something)."""
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:
        return False


def _everything_shown(user: User) -> str:
    """Every text and value on the page, to prove a secret is nowhere in it."""
    parts = []
    for element in user.find(ui.element).elements:
        parts += [str(getattr(element, 'text', '')), str(getattr(element, 'value', '')), str(element.props)]
    return ' '.join(parts)


async def test_openai_settings_are_checked_inline_and_the_key_is_never_shown(visitor: User):
    admin = make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', PATH, 'ai-settings')
    assert not _visible(visitor, 'openai-card')
    _one(visitor, 'provider').value = 'openai'
    assert _visible(visitor, 'openai-card') and not _visible(visitor, 'make-card')
    _one(visitor, 'openai-base-url').value = 'not a web address'
    _one(visitor, 'openai-timeout').value = 900
    await press(visitor, 'save-ai-settings')
    await eventually(lambda: _one(visitor, 'openai-base-url').error, 'the address to be refused inline')
    assert 'https://' in _one(visitor, 'openai-base-url').error
    assert ai_settings.get(admin).provider == 'builtin'  # nothing was saved

    _one(visitor, 'openai-base-url').value = 'https://llm.example.com/'
    _one(visitor, 'openai-timeout').value = 45
    _one(visitor, 'openai-api-key').value = 'sk-very-secret-value'
    await press(visitor, 'save-ai-settings')
    await visitor.should_see('Settings saved.')
    stored = ai_settings.get(admin)
    assert (stored.provider, stored.openai.base_url, stored.openai.timeout_seconds) == (
        'openai',
        'https://llm.example.com',
        45,
    )
    assert stored.openai.api_key_set and ai_settings.current().openai_api_key == 'sk-very-secret-value'
    await eventually(lambda: _one(visitor, 'openai-api-key-state').text == 'Saved', 'the key to show as saved')
    assert 'sk-very-secret-value' not in _everything_shown(visitor)

    await press(visitor, 'openai-api-key-clear')
    await press(visitor, 'save-ai-settings')
    await eventually(lambda: not ai_settings.get(admin).openai.api_key_set, 'the key to be cleared')
    await eventually(lambda: _one(visitor, 'openai-api-key-state').text == 'Not set', 'the key to show as unset')


async def test_the_prompt_preview_follows_the_template_and_refuses_unknown_placeholders(visitor: User):
    admin = make_user(Role.ADMIN, email='ada@example.com')
    watch = take_in(admin, brand='Longines', model='Conquest', reference='9000')
    await open_as(visitor, 'ada@example.com', PATH, 'ai-settings')
    _one(visitor, 'provider').value = 'openai'
    preview = _one(visitor, 'prompt-preview')
    await eventually(lambda: 'Omega' in preview.text, 'a preview for the sample watch')
    template = _one(visitor, 'openai-template')
    template.value = 'Describe the {brand} {model} in {language}.'
    _one(visitor, 'preview-sku').value = watch.sku
    await eventually(lambda: preview.text == 'Describe the Longines Conquest in English.', 'the watch in the preview')

    template.value = 'Describe the {brnad}.'
    await eventually(lambda: template.error and 'brnad' in template.error, 'the unknown placeholder named inline')
    _one(visitor, 'preview-sku').value = 'SV-NO-SUCH'
    template.value = 'Describe the {brand}.'
    await eventually(lambda: _one(visitor, 'preview-sku').error, 'an unknown SKU to be refused')
    await press(visitor, 'placeholder-dial')
    assert template.value.endswith('{dial}')


async def test_make_needs_a_signing_secret_and_offers_the_callback_url(visitor: User):
    admin = make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', PATH, 'ai-settings')
    _one(visitor, 'provider').value = 'make'
    assert _visible(visitor, 'make-card')
    assert _one(visitor, 'callback-url').value.endswith('/api/v1/hooks/make')
    await press(visitor, 'copy-callback-url')
    await visitor.should_see('Callback URL copied.')
    _one(visitor, 'make-webhook-url').value = 'https://hook.eu1.make.com/abc'
    await press(visitor, 'save-ai-settings')
    await eventually(lambda: _one(visitor, 'make-secret').error, 'the missing secret to be named inline')
    assert ai_settings.get(admin).provider == 'builtin'
    _one(visitor, 'make-secret').value = 'hook-secret'
    _one(visitor, 'languages').value = ['sv']
    _one(visitor, 'move-to-described').value = True
    await press(visitor, 'save-ai-settings')
    await visitor.should_see('Settings saved.')
    stored = ai_settings.get(admin)
    assert (stored.provider, stored.make.secret_set, stored.languages, stored.move_to_described) == (
        'make',
        True,
        ['sv'],
        True,
    )


async def test_a_role_without_settings_rights_is_refused_and_has_no_menu_entry(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', PATH, 'forbidden')
    await visitor.should_see('You may not change settings.')
    await visitor.should_not_see('AI descriptions')
