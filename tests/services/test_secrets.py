"""Secrets at rest: encrypted under a key derived from SV_SECRET_KEY, unreadable (None) once that key changes."""

from __future__ import annotations

import pytest

from config import get_settings
from services import secrets


def test_a_secret_comes_back_as_it_went_in_and_is_not_stored_in_clear():
    token = secrets.encrypt('sk-live-1234')
    assert 'sk-live-1234' not in token
    assert secrets.decrypt(token) == 'sk-live-1234'
    assert secrets.encrypt('sk-live-1234') != token  # a fresh nonce every time


def test_another_secret_key_cannot_read_it(monkeypatch: pytest.MonkeyPatch):
    token = secrets.encrypt('hook-secret')
    monkeypatch.setenv('SV_SECRET_KEY', 'a-different-key-after-a-rotation')
    get_settings.cache_clear()
    try:
        assert secrets.decrypt(token) is None
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert secrets.decrypt(token) == 'hook-secret'


@pytest.mark.parametrize('stored', ['', 'not a token', 'gAAAAAB' + 'x' * 80])
def test_anything_that_is_not_a_token_reads_as_no_secret(stored):
    assert secrets.decrypt(stored) is None
