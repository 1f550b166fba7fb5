"""AI settings: who may read and change them, what is refused, and secrets that are stored but never shown."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from config import get_settings
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry, Setting
from services import ai_settings
from services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch

OPENAI = {
    'provider': 'openai',
    'openai': {'base_url': 'https://llm.example.com/', 'model': 'gpt-4o-mini', 'api_key': 'sk-very-secret'},
}


def _stored() -> tuple[list[tuple[str, dict]], int]:
    with session_scope() as session:
        rows = [(row.key, row.value) for row in session.exec(select(Setting).where(Setting.key.startswith('ai.')))]
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
        return sorted(rows), audits


def test_fresh_settings_are_the_built_in_writer_in_english_and_swedish(db):
    seller = make_user(Role.SELLER)
    settings = ai_settings.get(seller)
    assert settings.provider == 'builtin'
    assert settings.languages == ['en', 'sv']
    assert not settings.openai.api_key_set and not settings.make.secret_set
    assert settings.make.callback_url == f'{get_settings().effective_public_url}/api/v1/hooks/make'
    assert '{facts}' in settings.openai.prompt_template or '{brand}' in settings.openai.prompt_template


@pytest.mark.parametrize('role', [Role.AGENT, Role.FINANCE])
def test_reading_them_needs_descriptions_or_settings(db, role):
    with pytest.raises(PermissionDenied):
        ai_settings.get(make_user(role))


def test_saving_stores_the_key_encrypted_and_shows_only_that_it_is_set(db):
    admin = make_user(Role.ADMIN)
    saved = ai_settings.save(admin, OPENAI)
    assert saved.provider == 'openai'
    assert saved.openai.base_url == 'https://llm.example.com'
    assert saved.openai.api_key_set
    assert 'sk-very-secret' not in saved.model_dump_json()
    assert ai_settings.current().openai_api_key == 'sk-very-secret'
    with session_scope() as session:
        row = session.get(Setting, 'ai.openai.api_key')
        assert row.secret and 'sk-very-secret' not in json.dumps(row.value)
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == 'ai_settings.changed')).all()
    assert len(entries) == 1
    assert 'sk-very-secret' not in json.dumps([entries[0].before, entries[0].after])
    assert entries[0].after['openai.api_key'] == 'changed'
    assert entries[0].after['provider'] == 'openai'


def test_a_secret_left_out_is_kept_and_an_empty_one_is_cleared(db):
    admin = make_user(Role.ADMIN)
    ai_settings.save(admin, OPENAI)
    kept = ai_settings.save(admin, {'openai': {'model': 'llama3'}})
    assert kept.openai.api_key_set and kept.openai.model == 'llama3'
    assert kept.openai.base_url == 'https://llm.example.com'
    cleared = ai_settings.save(admin, {'openai': {'api_key': ''}})
    assert not cleared.openai.api_key_set
    assert ai_settings.current().openai_api_key == ''


def test_a_changed_secret_key_makes_stored_secrets_read_as_not_set(db, monkeypatch: pytest.MonkeyPatch):
    admin = make_user(Role.ADMIN)
    ai_settings.save(admin, OPENAI)
    monkeypatch.setenv('SV_SECRET_KEY', 'rotated-key')
    get_settings.cache_clear()
    try:
        assert not ai_settings.get(admin).openai.api_key_set
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ('change', 'field'),
    [
        ({'openai': {'base_url': 'ftp://llm.example.com'}}, 'openai.base_url'),
        ({'openai': {'base_url': 'not a url'}}, 'openai.base_url'),
        ({'openai': {'prompt_template': 'Describe {brand} {colour}'}}, 'openai.prompt_template'),
        ({'openai': {'prompt_template': '   '}}, 'openai.prompt_template'),
        ({'openai': {'concurrency': 0}}, 'openai.concurrency'),
        ({'openai': {'timeout_seconds': 9999}}, 'openai.timeout_seconds'),
        ({'openai': {'max_retries': -1}}, 'openai.max_retries'),
        ({'make': {'callback_timeout_minutes': 0}}, 'make.callback_timeout_minutes'),
        ({'make': {'webhook_url': 'hook.eu1.make.com/abc'}}, 'make.webhook_url'),
        ({'languages': ['de']}, 'languages'),
        ({'languages': []}, 'languages'),
        ({'provider': 'gemini'}, 'provider'),
        ({'provider': 'openai'}, 'openai.base_url'),
        ({'provider': 'make', 'make': {'webhook_url': 'https://hook.eu1.make.com/abc'}}, 'make.secret'),
        ({'provider': 'make', 'make': {'secret': 'hook-secret'}}, 'make.webhook_url'),
        ({'colour': 'blue'}, 'colour'),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(db, change, field):
    admin = make_user(Role.ADMIN)
    before = _stored()
    with pytest.raises(ValidationFailed) as refused:
        ai_settings.save(admin, change)
    assert field in refused.value.fields, refused.value.fields
    assert str(refused.value).endswith('.')
    assert _stored() == before


def test_the_unknown_placeholder_is_named(db):
    with pytest.raises(ValidationFailed, match='colour'):
        ai_settings.save(make_user(Role.ADMIN), {'openai': {'prompt_template': 'Describe {brand} {colour}'}})


@pytest.mark.parametrize('role', [Role.MANAGER, Role.SELLER, Role.AGENT])
def test_only_settings_managers_may_change_them(db, role):
    actor = make_user(role)
    before = _stored()
    with pytest.raises(PermissionDenied):
        ai_settings.save(actor, OPENAI)
    assert _stored() == before


def test_the_preview_renders_the_template_for_a_watch_or_a_sample(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch(brand='Rolex', model='Datejust', reference='1601', year=1971)
    shown = ai_settings.preview_prompt(seller, 'Write about {brand} {model} {reference} from {year}.', watch_id)
    assert shown == 'Write about Rolex Datejust 1601 from 1971.'
    assert 'Omega' in ai_settings.preview_prompt(seller, '{brand} {model}')
    with pytest.raises(ValidationFailed, match='colour'):
        ai_settings.preview_prompt(seller, '{colour}')
    with pytest.raises(PermissionDenied):
        ai_settings.preview_prompt(make_user(Role.FINANCE), '{brand}')
