"""Security headers on every response: pages, NiceGUI's assets, photos, redirects and the API alike.

The Content-Security-Policy is the strictest NiceGUI 3.18 runs under, found by loading every main screen in
Chromium and reading its console for violations (tests/e2e/test_hardening_journey.py does so on each run):

- scripts: NiceGUI's page template boots Vue with inline `<script type="module">` blocks whose content changes
  with every page (the element tree is in them), so neither a hash nor a nonce fits: 'unsafe-inline'. Vue's
  runtime compiler turns each component's template string into a function: 'unsafe-eval'. No other origin.
- styles: Quasar, Tailwind and `ui.add_css` write inline styles: 'unsafe-inline'; no other origin.
- images: our photos and NiceGUI's assets, plus data: and blob: URLs (upload previews, the tablet's camera).
- connections: only this origin; the socket to `/_nicegui_ws` is same-origin (CSP 3 counts ws/wss of the
  same host as 'self').
- nothing may frame us (`frame-ancestors 'none'`, and X-Frame-Options for older browsers), no plugins, and
  forms and <base> stay on this origin.

The same policy serves the API's Swagger page at /api/docs, whose assets are served locally too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import get_settings

CONTENT_SECURITY_POLICY = '; '.join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The intake desk's tablet takes photos with its camera; nothing else may use a device or sensor.
PERMISSIONS_POLICY = 'camera=(self), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()'
HSTS = 'max-age=31536000; includeSubDomains'


def security_headers(*, https: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries; HSTS only when the site is published over https (it would otherwise
    lock browsers out of a plain-http installation for a year)."""
    headers = {
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'permissions-policy': PERMISSIONS_POLICY,
        'cross-origin-opener-policy': 'same-origin',
    }
    if https:
        headers['strict-transport-security'] = HSTS
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeadersMiddleware:
    """Plain ASGI (not BaseHTTPMiddleware), so streamed responses such as photos and exports pass through as
    they are; a header the app set itself is left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers(https=get_settings().secure_cookies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                present = {name.lower() for name, _ in message.get('headers', [])}
                message['headers'] = [
                    *message.get('headers', []),
                    *((name, value) for name, value in self.headers if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
