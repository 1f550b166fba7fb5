"""How listing texts are written: which provider, its address, keys, prompt and limits, and which languages.

Everything lives in the `settings` table: the plain choices as one JSON value under `ai.settings`, each secret
(the OpenAI-compatible API key, the Make.com API key and signing secret) in a row of its own, encrypted by
services/secrets.py with `secret` set. Screens only ever learn whether a secret is set, never its value; a
secret that no longer decrypts (SV_SECRET_KEY changed) reads as not set, so the screen asks for it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from config import get_settings
from db.engine import session_scope
from db.system import Setting
from db.types import utcnow
from services import audit, secrets
from services.errors import ValidationFailed
from services.integrations import openai_chat
from services.integrations.ai import LANGUAGES, WatchFacts
from services.permissions import Actor, Permission, require, require_any
from services.validation import validated

Provider = Literal['builtin', 'openai', 'make']
SETTINGS_KEY = 'ai.settings'
SECRET_KEYS = {
    ('openai', 'api_key'): 'ai.openai.api_key',
    ('make', 'api_key'): 'ai.make.api_key',
    ('make', 'secret'): 'ai.make.secret',
}
HOOK_PATH = '/api/v1/hooks/make'
_DERIVED = {'make': {'callback_url', 'api_key_set', 'secret_set'}, 'openai': {'api_key_set'}}  # shown, never stored
SAMPLE = WatchFacts(
    sku='SV-SAMPLE',
    brand='Omega',
    model='Seamaster',
    reference='166.010',
    calibre='565',
    movement='automatic',
    year=1968,
    case_material='stainless steel',
    case_diameter_mm=34.0,
    dial='silver',
    strap='leather strap',
)


class OpenAiSettings(BaseModel):
    base_url: str = ''
    model: str = 'gpt-4o-mini'
    api_key_set: bool = False
    prompt_template: str = openai_chat.DEFAULT_TEMPLATE
    timeout_seconds: int = 30
    max_retries: int = 3
    concurrency: int = 4


class MakeSettings(BaseModel):
    webhook_url: str = ''
    api_key_set: bool = False
    secret_set: bool = False
    callback_timeout_minutes: int = 30
    concurrency: int = 4
    callback_url: str = ''  # where the scenario's HTTP module posts its answer (this app's hook), to paste in Make


class AiSettings(BaseModel):
    """What the settings screen shows and the services act on (secrets only as "set or not")."""

    provider: Provider = 'builtin'
    openai: OpenAiSettings = Field(default_factory=OpenAiSettings)
    make: MakeSettings = Field(default_factory=MakeSettings)
    languages: list[str] = Field(default_factory=lambda: ['en', 'sv'])
    move_to_described: bool = False


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if value and (parts.scheme not in ('http', 'https') or not parts.netloc or any(c.isspace() for c in value)):
        raise ValueError('Enter a web address starting with https:// (or http://).')
    return value.rstrip('/')


def _secret(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > 512 or not value.isascii():
        raise ValueError('Paste the key as given: plain characters, at most 512.')
    return value


class OpenAiUpdate(BaseModel):
    """Fields left None keep their stored value; `api_key` '' clears the key."""

    model_config = ConfigDict(extra='forbid')

    base_url: str | None = None
    model: str | None = Field(default=None, max_length=120)
    api_key: str | None = None
    prompt_template: str | None = Field(default=None, max_length=8000)
    timeout_seconds: int | None = Field(default=None, ge=1, le=300)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    concurrency: int | None = Field(default=None, ge=1, le=16)

    _base_url = field_validator('base_url')(_url)
    _api_key = field_validator('api_key')(_secret)

    @field_validator('model')
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError('Name the model, e.g. gpt-4o-mini.')
        return None if value is None else value.strip()

    @field_validator('prompt_template')
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError('Write a prompt; {facts} gives the model every known fact.')
        return openai_chat.check_template(value)


class MakeUpdate(BaseModel):
    """Fields left None keep their stored value; `api_key` or `secret` '' clears it."""

    model_config = ConfigDict(extra='forbid')

    webhook_url: str | None = None
    api_key: str | None = None
    secret: str | None = None
    callback_timeout_minutes: int | None = Field(default=None, ge=1, le=1440)
    concurrency: int | None = Field(default=None, ge=1, le=16)

    _webhook_url = field_validator('webhook_url')(_url)
    _api_key = field_validator('api_key', 'secret')(_secret)


class AiSettingsUpdate(BaseModel):
    """A change from the settings screen: only what is given changes."""

    model_config = ConfigDict(extra='forbid')

    provider: Provider | None = None
    openai: OpenAiUpdate = Field(default_factory=OpenAiUpdate)
    make: MakeUpdate = Field(default_factory=MakeUpdate)
    languages: list[str] | None = None
    move_to_described: bool | None = None

    @field_validator('languages')
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [code for code in value if code not in LANGUAGES]
        if unknown or not value:
            choices = ', '.join(f'{code} ({name})' for code, name in LANGUAGES.items())
            raise ValueError(f'Choose at least one of {choices}.')
        return list(dict.fromkeys(value))


@dataclass(frozen=True)
class AiConfig:
    """The settings with the secrets in clear, for the services that call providers (never for screens)."""

    settings: AiSettings
    openai_api_key: str
    make_api_key: str
    make_secret: str

    @property
    def provider(self) -> Provider:
        return self.settings.provider

    @property
    def concurrency(self) -> int:
        """How many texts are asked for at once: the chosen provider's limit (the built-in writer needs no more)."""
        if self.provider == 'builtin':
            return 1
        return self.settings.openai.concurrency if self.provider == 'openai' else self.settings.make.concurrency

    def chat_config(self) -> openai_chat.ChatConfig:
        openai = self.settings.openai
        return openai_chat.ChatConfig(
            base_url=openai.base_url,
            model=openai.model,
            api_key=self.openai_api_key,
            prompt_template=openai.prompt_template,
            timeout_seconds=openai.timeout_seconds,
            max_retries=openai.max_retries,
        )


def callback_url() -> str:
    """The address a Make.com scenario posts its answer to."""
    return f'{get_settings().effective_public_url}{HOOK_PATH}'


def get(actor: Actor) -> AiSettings:
    """The settings as screens show them: to whoever writes descriptions or manages settings."""
    require_any(actor, Permission.DESCRIPTIONS_WRITE, Permission.SETTINGS_MANAGE)
    with session_scope() as session:
        return load(session).settings


def current() -> AiConfig:
    """The settings with their secrets, for generating texts (no actor: the caller has checked its own)."""
    with session_scope() as session:
        return load(session)


def load(session: Session) -> AiConfig:
    """`current` inside the caller's transaction."""
    row = session.get(Setting, SETTINGS_KEY)
    settings = AiSettings.model_validate(row.value if row else {})
    keys = {name: _read_secret(session, key) for name, key in SECRET_KEYS.items()}
    settings.openai.api_key_set = bool(keys['openai', 'api_key'])
    settings.make.api_key_set = bool(keys['make', 'api_key'])
    settings.make.secret_set = bool(keys['make', 'secret'])
    settings.make.callback_url = callback_url()
    return AiConfig(settings, keys['openai', 'api_key'], keys['make', 'api_key'], keys['make', 'secret'])


def save(actor: Actor, update: AiSettingsUpdate | dict[str, Any]) -> AiSettings:
    """Check and store a change; refused input (per-field messages) changes nothing. Audited without secrets."""
    require(actor, Permission.SETTINGS_MANAGE)
    change = validated(AiSettingsUpdate, update)
    with session_scope() as session:
        before = load(session)
        after = _merged(before.settings, change)
        _check_complete(after, before, change)
        stored = after.model_dump(mode='json', exclude=_DERIVED)
        row = session.get(Setting, SETTINGS_KEY) or Setting(key=SETTINGS_KEY)
        row.value, row.updated_at, row.updated_by_id = stored, utcnow(), actor.id
        session.add(row)
        secret_changes = _store_secrets(session, actor, change)
        old = before.settings.model_dump(mode='json', exclude=_DERIVED)
        old_flat, new_flat = audit.changes(_flat(old), _flat(stored))
        audit.record(
            session,
            actor,
            'ai_settings.changed',
            'setting',
            SETTINGS_KEY,
            before=old_flat,
            after={**new_flat, **secret_changes},
        )
        return load(session).settings


def preview_prompt(actor: Actor, template: str, watch_id: int | None = None, language: str | None = None) -> str:
    """The prompt a watch (or a sample watch) would be sent with, for the template editor's live preview."""
    require_any(actor, Permission.DESCRIPTIONS_WRITE, Permission.SETTINGS_MANAGE)
    checked = validated(OpenAiUpdate, {'prompt_template': template}).prompt_template or ''
    from services import descriptions  # the descriptions service builds on these settings, not the other way

    facts = SAMPLE if watch_id is None else descriptions.facts_of(actor, watch_id)
    wanted = language or current().settings.languages[0]
    return openai_chat.render_prompt(checked, facts, wanted)


# --- helpers -----------------------------------------------------------------------------------------------------


def _read_secret(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    return (secrets.decrypt(row.value.get('value', '')) or '') if row else ''


def _merged(settings: AiSettings, change: AiSettingsUpdate) -> AiSettings:
    given = change.model_dump(exclude_none=True, exclude={'openai': {'api_key'}, 'make': {'api_key', 'secret'}})
    merged = settings.model_dump()
    for group in ('openai', 'make'):
        merged[group].update(given.pop(group, {}))
    merged.update(given)
    return AiSettings.model_validate(merged)


def _check_complete(after: AiSettings, before: AiConfig, change: AiSettingsUpdate) -> None:
    """The chosen provider must have what it needs to be called."""

    def has(now: str | None, stored: str) -> bool:
        return bool(stored) if now is None else bool(now)

    problems: dict[str, str] = {}
    if after.provider == 'openai' and not after.openai.base_url:
        problems['openai.base_url'] = 'Enter the address of the OpenAI-compatible server.'
    if after.provider == 'make':
        if not after.make.webhook_url:
            problems['make.webhook_url'] = "Paste the scenario's webhook address from Make.com."
        if not has(change.make.secret, before.make_secret):
            problems['make.secret'] = 'Set a signing secret: callbacks without a valid signature are refused.'
    if problems:
        raise ValidationFailed(next(iter(problems.values())), problems)


def _store_secrets(session: Session, actor: Actor, change: AiSettingsUpdate) -> dict[str, str]:
    """Write the secrets given ('' clears); returns what happened to each, for the audit log (never the value)."""
    happened: dict[str, str] = {}
    for (group, name), key in SECRET_KEYS.items():
        value = getattr(getattr(change, group), name)
        if value is None:
            continue
        row = session.get(Setting, key)
        if value == '':
            if row is not None:
                session.delete(row)
                happened[f'{group}.{name}'] = 'cleared'
            continue
        row = row or Setting(key=key, secret=True)
        row.value, row.secret, row.updated_at, row.updated_by_id = (
            {'value': secrets.encrypt(value)},
            True,
            utcnow(),
            actor.id,
        )
        session.add(row)
        happened[f'{group}.{name}'] = 'changed'
    session.flush()  # so reading the settings back in this transaction sees a cleared secret as gone
    return happened


def _flat(values: dict[str, Any], prefix: str = '') -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat
