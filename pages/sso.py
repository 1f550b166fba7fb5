"""Single sign-on web glue: the redirect to an OpenID Connect provider and the way back, with Authlib.

`/login/sso/{name}` sends the browser to the provider (PKCE S256, state, nonce); the provider sends it back to
`/login/sso/{name}/callback`, where Authlib checks state, code, issuer, signature, expiry and nonce before
`services.sso` decides who this is. Every failure lands on /login with a sentence, never on an error page.

With Redis configured, Authlib's per-login state (PKCE verifier, nonce, redirect URI) is kept there for ten
minutes and the session cookie, which people can read, holds only a marker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis
from authlib.integrations.base_client import OAuthError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from nicegui import app
from starlette.concurrency import run_in_threadpool

from config import OidcProvider, Settings, get_settings
from pages import auth, login
from services import sso
from services.errors import ServiceError

log = logging.getLogger(__name__)
STATE_SECONDS = 600
_NEXT = 'sso_next'  # the session key for the page to open after the provider sends the browser back
# What a failed token exchange or ID-token check can raise, besides Authlib's own OAuthError.
_TOKEN_ERRORS = (JoseError, httpx.HTTPError, ValueError, KeyError)


class RedisStateCache:
    """Authlib's cache interface on Redis: login state for `STATE_SECONDS`, under the deployment's key prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = f'{prefix}:oidc:'

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        return value.decode() if value is not None else None

    async def set(self, key: str, value: str, expires: int | None = None) -> None:
        await self._redis.set(self._prefix + key, value, ex=min(expires or STATE_SECONDS, STATE_SECONDS))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


@dataclass
class _Registry:
    """The OAuth clients for one version of the settings (tests and operators change them by environment)."""

    settings: Settings
    oauth: OAuth


_registry: _Registry | None = None


def register() -> None:
    app.get('/login/sso/{name}', include_in_schema=False)(start)
    app.get('/login/sso/{name}/callback', include_in_schema=False)(callback)


async def start(request: Request, name: str, redirect_to: str = '/') -> RedirectResponse:
    """Send the browser to the provider's login, remembering where to go once it comes back."""
    settings = get_settings()
    client = _client(settings, name)
    if client is None:
        return _to_login('sso_unknown')
    request.session[_NEXT] = auth.safe_redirect(redirect_to)
    try:
        return await client.authorize_redirect(request, f'{settings.effective_public_url}/login/sso/{name}/callback')
    except (OAuthError, httpx.HTTPError, ValueError) as error:
        log.warning('Single sign-on with %s could not start: %r', name, error)
        return _to_login('sso_unreachable')


async def callback(request: Request, name: str) -> RedirectResponse:
    """Exchange the code, let the policy decide, and log the person in (or back to /login with why not)."""
    settings = get_settings()
    client = _client(settings, name)
    provider = settings.oidc_provider(name)
    if client is None or provider is None:
        return _to_login('sso_unknown')
    try:
        token = await client.authorize_access_token(request)
    except MismatchingStateError:
        return _to_login('sso_state')
    except OAuthError as error:
        log.info('Single sign-on with %s failed: %s', name, error)
        return _to_login('sso_denied' if error.error == 'access_denied' else 'sso_failed')
    except _TOKEN_ERRORS as error:
        log.info('Single sign-on with %s: the ID token was refused: %r', name, error)
        return _to_login('sso_failed')
    return await _sign_in(request, provider, token.get('userinfo') or {})


async def _sign_in(request: Request, provider: OidcProvider, claims: dict) -> RedirectResponse:
    ip = request.client.host if request.client else None
    try:
        actor = await run_in_threadpool(sso.sign_in, provider, claims, ip=ip)
    except ServiceError as refusal:
        login.leave_refusal(str(refusal))
        return _to_login('sso_refused')
    auth.log_in(actor)
    return RedirectResponse(auth.safe_redirect(request.session.pop(_NEXT, '/')), status_code=303)


def _client(settings: Settings, name: str) -> StarletteOAuth2App | None:
    """The provider's OAuth client, registered the first time the current settings are used."""
    global _registry
    if _registry is None or _registry.settings is not settings:
        _registry = _Registry(settings, _oauth(settings))
    if settings.oidc_provider(name) is None:
        return None
    return _registry.oauth.create_client(name)


def _oauth(settings: Settings) -> OAuth:
    cache = RedisStateCache(settings.redis_url, settings.queue_name) if settings.redis_url else None
    oauth = OAuth(cache=cache)
    for provider in settings.oidc_providers:
        oauth.register(
            provider.name,
            server_metadata_url=provider.discovery_url,
            client_id=provider.client_id,
            client_secret=provider.client_secret.get_secret_value(),
            client_kwargs={'scope': provider.scope, 'code_challenge_method': 'S256'},
        )
    return oauth


def _to_login(notice: str) -> RedirectResponse:
    return RedirectResponse(f'/login?notice={notice}', status_code=303)
