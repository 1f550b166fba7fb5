"""The login gate: who is logged in (in `app.storage.user`); a middleware sends everyone else to /login."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from services.permissions import Actor

# Served without a login: the login page, NiceGUI's assets and socket, our public static files,
# and the API (which checks its own tokens).
OPEN_PREFIXES = ('/login', '/_nicegui', '/api/', '/static/', '/favicon.ico')


class AuthMiddleware(BaseHTTPMiddleware):
    """Guards HTTP; a request for a page without a login is redirected to /login and back afterwards."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path.startswith(OPEN_PREFIXES) or app.storage.user.get('user_id'):
            return await call_next(request)
        target = path + (f'?{request.url.query}' if request.url.query else '')
        return RedirectResponse(f'/login?redirect_to={quote(target, safe="")}' if path != '/' else '/login')


def register() -> None:
    app.add_middleware(AuthMiddleware)


def log_in(actor: Actor) -> None:
    app.storage.user.update(user_id=actor.id, email=actor.email)


def log_out() -> None:
    app.storage.user.clear()


def current_user_id() -> int | None:
    return app.storage.user.get('user_id')


def safe_redirect(target: str | None) -> str:
    """Only ever redirect within this site after login (no `//evil.example`)."""
    if not target or not target.startswith('/') or target.startswith('//') or target.startswith('/login'):
        return '/'
    return target
