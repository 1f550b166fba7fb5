"""Configuration: defaults give the embedded mode; bad values are refused with the variable's name."""

from __future__ import annotations

import stat

import pytest

from config import ConfigError, Settings, load_settings


def test_defaults_are_the_embedded_mode(tmp_path, monkeypatch):
    monkeypatch.setenv('SV_VAR_DIR', str(tmp_path))
    monkeypatch.delenv('SV_REDIS_URL', raising=False)
    monkeypatch.delenv('SV_DATABASE_URL', raising=False)
    settings = Settings(_env_file=None)
    assert settings.effective_database_url == f'sqlite:///{tmp_path / "svcrm.db"}'
    assert settings.effective_media_dir == tmp_path / 'media'
    assert not settings.server_mode
    assert settings.base_currency == 'EUR'


def test_postgres_urls_are_normalised_to_psycopg(monkeypatch):
    monkeypatch.setenv('SV_DATABASE_URL', 'postgres://u:p@db:5432/crm')
    monkeypatch.setenv('SV_REDIS_URL', 'redis://cache:6379/0')
    settings = Settings(_env_file=None)
    assert settings.database_url == 'postgresql+psycopg://u:p@db:5432/crm'
    assert settings.server_mode


@pytest.mark.parametrize(
    ('name', 'value', 'message'),
    [
        ('SV_DATABASE_URL', 'oracle://x', 'SV_DATABASE_URL must start with postgresql:// or sqlite:///'),
        ('SV_REDIS_URL', 'http://x', 'SV_REDIS_URL must start with redis://'),
        ('SV_MEILI_URL', 'meili:7700', 'SV_MEILI_URL must start with http:// or https://'),
        ('SV_BASE_CURRENCY', 'E1R', 'SV_BASE_CURRENCY must be a three-letter ISO 4217 code'),
        ('SV_PORT', '70000', 'SV_PORT must be between 1 and 65535'),
        ('SV_PORT', 'eighty', 'SV_PORT'),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert str(caught.value).startswith('Configuration error: ')


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv('SV_VAR_DIR', str(tmp_path))
    monkeypatch.delenv('SV_SECRET_KEY', raising=False)
    first = Settings(_env_file=None).secret()
    assert len(first) >= 40
    assert Settings(_env_file=None).secret() == first
    assert stat.S_IMODE((tmp_path / 'secret_key').stat().st_mode) == 0o600
