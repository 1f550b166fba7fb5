"""A real OpenID Connect provider on loopback for the single sign-on tests (oidc-provider-mock, Flask + Authlib).

The provider signs real ID tokens, checks PKCE and nonces, and lets a test decide who logs in: `put_user` sets a
subject's claims, and posting that subject to its authorization form is the person pressing "Authorize".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import oidc_provider_mock

# Filters for the provider's own deprecation warnings (it still uses Authlib 1.x APIs that 2.0 removes).
MOCK_WARNINGS = [
    'ignore::authlib.deprecate.AuthlibDeprecationWarning',
    r'ignore:get_jwt_config\(self, grant\) is deprecated:DeprecationWarning',
]
GROUPS = 'groups'
ROLE_MAP = {'watch-admins': 'admin', 'watch-managers': 'manager', 'watch-sellers': 'seller'}


@contextmanager
def provider(token_lifetime: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """Serve a provider that requires a nonce; yields its issuer URL.

    A negative `token_lifetime` makes it issue ID tokens that expired before they were signed.
    """
    with oidc_provider_mock.run_server_in_thread(require_nonce=True, access_token_max_age=token_lifetime) as server:
        yield f'http://localhost:{server.server_port}'


def put_user(issuer: str, subject: str, **claims: Any) -> None:
    """Set what the provider says about `subject` (the email is verified unless the claims say otherwise)."""
    body = {'email_verified': True, **claims}
    httpx.put(f'{issuer}/users/{quote(subject, safe="")}', json=body, timeout=10).raise_for_status()


def provider_entry(issuer: str, **overrides: Any) -> dict[str, Any]:
    """One entry of `SV_OIDC_PROVIDERS` for the provider at `issuer`: sellers, managers and admins by group."""
    return {
        'name': 'acme',
        'label': 'Acme ID',
        'discovery_url': f'{issuer}/.well-known/openid-configuration',
        'client_id': 'secondvintage',
        'client_secret': 'not-a-real-secret',
        'role_claim': GROUPS,
        'role_map': ROLE_MAP,
        'default_role': None,
        **overrides,
    }


def providers_env(*entries: dict[str, Any]) -> str:
    return json.dumps(list(entries))


async def authorize(authorize_url: str, subject: str, *, action: str | None = None) -> str:
    """Press "Authorize" (or `action`, e.g. "deny") on the provider's form; returns the callback's path and query."""
    data = {'action': action} if action else {'sub': subject}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(authorize_url, data=data)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers['location'])
    return f'{callback.path}?{callback.query}'
