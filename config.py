"""Deployment configuration: one settings class read from `SV_` environment variables and an optional `.env`.

Business settings that an admin changes at run time live in the database (`settings` table), not here.
Setting `SV_DATABASE_URL` and `SV_REDIS_URL` is all it takes to move from the embedded default to server mode.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.enums import Role

ROOT = Path(__file__).resolve().parent
DEFAULT_VAR_DIR = ROOT / 'var'


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one sentence an operator can act on."""


class OidcProvider(BaseModel):
    """One OpenID Connect provider people may log in with; an entry of the JSON list in `SV_OIDC_PROVIDERS`.

    `role_claim` names the ID-token claim holding a role or a list of groups; `role_map` maps its values to our
    roles, the first entry the claim holds winning. Without a match a new user gets `default_role`, and with none
    (null) people the app does not know yet are refused. An empty `allowed_domains` admits any email domain.
    """

    model_config = ConfigDict(extra='forbid', frozen=True)

    name: str
    label: str
    discovery_url: str
    client_id: str
    client_secret: SecretStr
    allowed_domains: tuple[str, ...] = ()
    role_claim: str | None = None
    role_map: dict[str, Role] = {}
    default_role: Role | None = None
    scope: str = 'openid email profile'

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r'[a-z0-9][a-z0-9_-]{0,59}', value):
            raise ValueError('must be a slug of lower-case letters, digits, - and _ (at most 60)')
        return value

    @field_validator('label', 'client_id')
    @classmethod
    def _filled(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must not be empty')
        return value.strip()

    @field_validator('discovery_url')
    @classmethod
    def _discovery_url(cls, value: str) -> str:
        if not value.startswith(('http://', 'https://')):
            raise ValueError('must start with http:// or https://')
        return value

    @field_validator('allowed_domains')
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(domain.strip().lower().lstrip('@') for domain in value)

    @field_validator('scope')
    @classmethod
    def _scope(cls, value: str) -> str:
        if 'openid' not in value.split():
            raise ValueError('must include openid')
        return value


def _parse_providers(value: object) -> list[OidcProvider]:
    """The provider list from its JSON text, refusing with where the first problem is."""
    if isinstance(value, str):
        try:
            value = json.loads(value or '[]')
        except json.JSONDecodeError:
            raise ValueError('must be a JSON list of providers') from None
    if not isinstance(value, list):
        raise ValueError('must be a JSON list of providers')
    try:
        providers = TypeAdapter(list[OidcProvider]).validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ' '.join(str(part) for part in first['loc'][1:])
        message = str(first['msg']).removeprefix('Value error, ').lower()
        raise ValueError(f'entry {int(first["loc"][0]) + 1}: {where} {message}'.replace('  ', ' ')) from None
    names = [provider.name for provider in providers]
    if duplicate := next((name for name in names if names.count(name) > 1), None):
        raise ValueError(f'names the provider "{duplicate}" twice')
    return providers


class Settings(BaseSettings):
    """Everything a deployment decides; the defaults give the embedded mode that `make run` starts."""

    model_config = SettingsConfigDict(env_prefix='SV_', env_file='.env', extra='ignore')

    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ''
    redis_url: str = ''
    meili_url: str = ''
    meili_key: SecretStr = SecretStr('')
    media_dir: Path | None = None
    secret_key: SecretStr = SecretStr('')
    base_currency: str = 'EUR'
    host: str = '0.0.0.0'
    port: int = 8080
    public_url: str = ''
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    embedded_workers: int = 2
    queue_name: str = 'svcrm'
    job_retention_days: int = 30
    export_retention_hours: int = 24
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    login_max_per_address: int = 30
    login_address_window_minutes: int = 15
    api_requests_per_minute: int = 120
    ecb_base_url: str = 'https://www.ecb.europa.eu/stats/eurofxref'
    oidc_providers: Annotated[list[OidcProvider], NoDecode] = []

    @field_validator(
        'job_retention_days',
        'export_retention_hours',
        'session_idle_minutes',
        'session_absolute_hours',
        'login_max_per_address',
        'login_address_window_minutes',
        'api_requests_per_minute',
    )
    @classmethod
    def _retention(cls, value: int) -> int:
        if value < 1:
            raise ValueError('must be at least 1')
        return value

    @field_validator('oidc_providers', mode='before')
    @classmethod
    def _oidc_providers(cls, value: object) -> list[OidcProvider]:
        return _parse_providers(value)

    @field_validator('database_url')
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ''
        if value.startswith(('postgres://', 'postgresql://')):
            return 'postgresql+psycopg://' + value.split('://', 1)[1]
        if value.startswith(('postgresql+psycopg://', 'sqlite:///')):
            return value
        raise ValueError('must start with postgresql:// or sqlite:///')

    @field_validator('redis_url')
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(('redis://', 'rediss://', 'unix://')):
            raise ValueError('must start with redis://, rediss:// or unix://')
        return value

    @field_validator('public_url')
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(('http://', 'https://')):
            raise ValueError('must start with http:// or https://')
        return value

    @field_validator('ecb_base_url')
    @classmethod
    def _ecb_base_url(cls, value: str) -> str:
        value = value.strip().rstrip('/')
        if not value.startswith(('http://', 'https://')):
            raise ValueError('must start with http:// or https://')
        return value

    @field_validator('meili_url')
    @classmethod
    def _meili_url(cls, value: str) -> str:
        value = value.strip().rstrip('/')
        if value and not value.startswith(('http://', 'https://')):
            raise ValueError('must start with http:// or https://')
        return value

    @field_validator('base_currency')
    @classmethod
    def _base_currency(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r'[A-Z]{3}', value):
            raise ValueError('must be a three-letter ISO 4217 code such as EUR')
        return value

    @field_validator('port')
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError('must be between 1 and 65535')
        return value

    @property
    def effective_database_url(self) -> str:
        """The database to use: the configured one, else a SQLite file under `var/`."""
        return self.database_url or f'sqlite:///{self.var_dir / "svcrm.db"}'

    @property
    def effective_public_url(self) -> str:
        """The address people reach the app at; QR codes on labels link here."""
        return (self.public_url or f'http://localhost:{self.port}').rstrip('/')

    @property
    def effective_media_dir(self) -> Path:
        return self.media_dir or self.var_dir / 'media'

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS once the app is published at an https:// address."""
        return self.effective_public_url.startswith('https://')

    @property
    def server_mode(self) -> bool:
        """Redis configured: tasks run in separate worker processes and events cross processes."""
        return bool(self.redis_url)

    def oidc_provider(self, name: str) -> OidcProvider | None:
        """The single sign-on provider called `name` in URLs, if one is configured."""
        return next((provider for provider in self.oidc_providers if provider.name == name), None)

    def secret(self) -> str:
        """The signing key for sessions; generated into `var/secret_key` on first start when none is configured."""
        if value := self.secret_key.get_secret_value():
            return value
        path = self.var_dir / 'secret_key'
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into one sentence naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = 'SV_' + str(first['loc'][0]).upper() if first['loc'] else 'a setting'
        message = str(first['msg']).removeprefix('Value error, ')
        raise ConfigError(f'Configuration error: {name} {message}.') from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing the environment."""
    return load_settings()
