"""Security headers on every kind of response, and the session cookie's flags, over the app's own HTTP stack.

The same checks over a real socket against `python main.py serve` are in tests/e2e/test_hardening_journey.py.
"""

from __future__ import annotations

import pytest
from nicegui.testing import User

from config import get_settings
from pages.security_headers import CONTENT_SECURITY_POLICY
from tests.factories import make_user
from tests.ui.session import open_as

PATHS = ['/login', '/', '/watches', '/api/health', '/static/logo.svg', '/no/such/page']


@pytest.fixture
def https_visitor(db: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> User:
    """A browser on an installation published at an https:// address (the app starts after the setting)."""
    monkeypatch.setenv('SV_PUBLIC_URL', 'https://crm.example.com')
    get_settings.cache_clear()
    return request.getfixturevalue('user')


@pytest.mark.parametrize('path', PATHS)
async def test_every_response_carries_the_security_headers(visitor: User, path: str):
    response = await visitor.http_client.get(path, follow_redirects=False)
    headers = response.headers
    assert headers['content-security-policy'] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers['content-security-policy']
    assert headers['x-frame-options'] == 'DENY'
    assert headers['x-content-type-options'] == 'nosniff'
    assert headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    assert 'camera=(self)' in headers['permissions-policy']
    assert 'strict-transport-security' not in headers  # plain http: HSTS would lock browsers out


async def test_the_session_cookie_is_http_only_and_same_site_lax_but_not_secure_over_http(visitor: User):
    response = await visitor.http_client.get('/login')
    cookie = response.headers['set-cookie'].lower()
    assert 'httponly' in cookie
    assert 'samesite=lax' in cookie
    assert 'secure' not in cookie


async def test_over_https_the_cookie_is_secure_and_hsts_is_sent(https_visitor: User):
    response = await https_visitor.http_client.get('/login')
    cookie = response.headers['set-cookie'].lower()
    assert 'secure' in cookie and 'httponly' in cookie and 'samesite=lax' in cookie
    assert response.headers['strict-transport-security'] == 'max-age=31536000; includeSubDomains'
    api = await https_visitor.http_client.get('/api/health')
    assert 'strict-transport-security' in api.headers


async def test_the_headers_survive_a_logged_in_screen(visitor: User):
    make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/watches', 'inventory')
    response = await visitor.http_client.get('/watches')
    assert response.status_code == 200
    assert response.headers['x-frame-options'] == 'DENY'
