"""The login gate: who is logged in (in `app.storage.user`), for how long, and the headers every response carries.

A session ends after `session_idle_minutes` without activity or `session_absolute_hours` after the login,
whichever comes first. Activity is a page load (seen by the middleware here) or a navigation inside the shell
(`touch()`). The middleware refuses an ended session on its next request; a browser that just sits open is
found by `sweep()`, which a background task runs about once a minute over the connected clients, and is sent
to the login page. The session cookie itself lives at most `session_absolute_hours` (main.py sets it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import Client, app, background_tasks, ui
from nicegui.storage import request_contextvar
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from config import get_settings
from pages.security_headers import SecurityHeadersMiddleware
from services import log_redaction
from services.permissions import Actor

# Served without a login: the login page, NiceGUI's assets and socket, our public static files,
# and the API (which checks its own tokens).
OPEN_PREFIXES = ('/login', '/_nicegui', '/api/', '/static/', '/favicon.ico')
# Never session-checked: assets and the socket say nothing about whether someone is at the keyboard.
_ASSET_PREFIXES = ('/_nicegui', '/api/', '/static/', '/favicon.ico')
EXPIRED_LOGIN = '/login?notice=expired'
# Last activity is written at most this often: user storage is rewritten whole on each change (and, with
# Redis storage, published to every web process), so not on every photo of a gallery.
_TOUCH_SECONDS = 15.0
_LONGEST_SWEEP_SECONDS = 60.0
log = logging.getLogger(__name__)


class AuthMiddleware(BaseHTTPMiddleware):
    """Guards HTTP; a request for a page without a login is redirected to /login and back afterwards."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path.startswith(_ASSET_PREFIXES):
            return await call_next(request)
        storage = app.storage.user
        if storage.get('user_id'):
            if session_ended(storage, time.time()):
                storage.clear()
                if not path.startswith('/login'):
                    return RedirectResponse(_login_url(EXPIRED_LOGIN, _target(request)))
            else:
                touch()
        if path.startswith(OPEN_PREFIXES) or storage.get('user_id'):
            return await call_next(request)
        return RedirectResponse(_login_url('/login', _target(request)))


def _target(request: Request) -> str:
    return request.url.path + (f'?{request.url.query}' if request.url.query else '')


def _login_url(login: str, target: str) -> str:
    """The login page, coming back to `target` afterwards (not worth saying for the home page)."""
    if target == '/':
        return login
    separator = '&' if '?' in login else '?'
    return f'{login}{separator}redirect_to={quote(target, safe="")}'


def register() -> None:
    """The login gate, the security headers (outermost, so redirects carry them too), log redaction, the sweep."""
    log_redaction.install()
    app.add_middleware(AuthMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.on_startup(lambda: background_tasks.create(_sweep_forever(), name='session sweep'))


def log_in(actor: Actor) -> None:
    now = time.time()
    app.storage.user.update(user_id=actor.id, email=actor.email, logged_in_at=now, seen_at=now)


def log_out() -> None:
    app.storage.user.clear()


def current_user_id() -> int | None:
    return app.storage.user.get('user_id')


def touch(storage: dict | None = None) -> None:
    """Note activity now in `storage` (by default the current request's session): the middleware calls this on each
    page load, the shell on each navigation inside it (with `session_of(client)`: no request is current then)."""
    storage = app.storage.user if storage is None else storage
    now = time.time()
    if storage.get('user_id') and now - storage.get('seen_at', 0.0) >= _TOUCH_SECONDS:
        storage['seen_at'] = now


def session_ended(storage: dict, now: float) -> bool:
    """Whether a logged-in session is past its idle or absolute limit at `now` (seconds since the epoch).

    A session without the times (started before they were recorded) counts as ended: one more login.
    """
    settings = get_settings()
    logged_in_at, seen_at = storage.get('logged_in_at'), storage.get('seen_at')
    if logged_in_at is None or seen_at is None:
        return True
    return (
        now - seen_at > settings.session_idle_minutes * 60
        or now - logged_in_at > settings.session_absolute_hours * 3600
    )


def sweep(now: float | None = None) -> int:
    """Send every connected browser whose session has ended (or was ended in another tab) to the login page;
    returns how many were sent."""
    now = time.time() if now is None else now
    sent = 0
    for client in list(Client.instances.values()):
        if client.page.path.startswith('/login') or client.is_deleted:
            continue
        storage = session_of(client)
        if storage is None:
            continue
        if storage.get('user_id') and not session_ended(storage, now):
            continue
        storage.clear()
        with client:
            ui.navigate.to(EXPIRED_LOGIN)
        sent += 1
    return sent


def session_of(client: Client) -> dict | None:
    """The user storage (the login session) of the browser behind `client`, None if it has none any more;
    for code that runs outside that browser's requests, such as the sweep."""
    try:
        token = request_contextvar.set(client.request)
    except RuntimeError:  # a client without a request: nothing to sweep
        return None
    try:
        return app.storage.user
    except (AssertionError, KeyError, RuntimeError):  # its storage was pruned or never made
        return None
    finally:
        request_contextvar.reset(token)


async def _sweep_forever() -> None:
    """Run `sweep` for as long as the app runs: every minute, or more often when sessions are short."""
    interval = min(_LONGEST_SWEEP_SECONDS, get_settings().session_idle_minutes * 15.0)
    while True:
        await asyncio.sleep(interval)
        try:
            sweep()
        except Exception:  # one bad client must not end the sweeping for everyone
            log.exception('The session sweep failed')


def safe_redirect(target: str | None) -> str:
    """Only ever redirect within this site after login (no `//evil.example`)."""
    if not target or not target.startswith('/') or target.startswith('//') or target.startswith('/login'):
        return '/'
    return target
