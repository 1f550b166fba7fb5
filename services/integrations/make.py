"""Make.com as a description provider: a scenario's custom webhook asked for a text, answering later by callback.

We POST the watch's facts to the scenario's webhook (authenticated with `x-make-apikey`); Make answers
"Accepted" at once and the scenario, when done, POSTs `{"request_id", "status", "result", "error"}` to our
callback URL, signed with a shared secret: `X-Signature: sha256=<hex>` is HMAC-SHA256 over
`"{X-Timestamp}." + raw body`. `verify` checks that signature in constant time and refuses stale timestamps, so
a captured callback cannot be replayed later; de-duplicating a repeat within the window is the caller's job
(by request_id).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.integrations.ai import ProviderError, WatchFacts

EVENT = 'listing.generate_description'
MAX_CALLBACK_BYTES = 64 * 1024
MAX_SKEW_SECONDS = 300
STATUSES = ('ok', 'error')


class CallbackRefused(Exception):
    """A callback we do not accept; `status_code` is the HTTP status to answer (400, 401)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class MakeClient:
    """Sends description requests to one scenario's webhook (a new connection each time: requests are rare)."""

    def __init__(self, webhook_url: str, api_key: str, timeout_seconds: float = 15) -> None:
        self.webhook_url = webhook_url
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds
        self.host = urlsplit(webhook_url).netloc or webhook_url

    def request(self, request_id: str, callback_url: str, facts: WatchFacts, language: str) -> None:
        """Hand the scenario one text to write; returns once Make has accepted it, raises ProviderError if not."""
        payload = {
            'event': EVENT,
            'request_id': request_id,
            'callback_url': callback_url,
            'language': language,
            'item': item(facts),
        }
        try:
            response = httpx.post(
                self.webhook_url, json=payload, headers={'x-make-apikey': self.api_key}, timeout=self.timeout_seconds
            )
        except httpx.TimeoutException:
            raise ProviderError(
                f'Make.com at {self.host} did not answer within {self.timeout_seconds:g} s.', retryable=True
            ) from None
        except httpx.TransportError:
            raise ProviderError(f'Make.com at {self.host} could not be reached.', retryable=True) from None
        if not response.is_success:
            raise _refusal(response, self.host)


def item(facts: WatchFacts) -> dict[str, Any]:
    """The facts as the scenario receives them: every field, unknown ones as null, so its data structure is stable."""
    fields = dataclasses.asdict(facts)
    fields['service_history'] = list(facts.service_history)
    return fields


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The X-Signature value for a callback body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f'{timestamp}.'.encode() + raw_body, hashlib.sha256).hexdigest()
    return f'sha256={digest}'


def verify(
    secret: str, timestamp_header: str | None, signature_header: str | None, raw_body: bytes, now: float
) -> dict[str, Any]:
    """The callback `{"request_id", "status", "result", "error"}` when signed with `secret` within the last
    five minutes and well formed; otherwise CallbackRefused (401 for the signature or time, 400 for the body)."""
    if not timestamp_header or not signature_header:
        raise CallbackRefused('The callback has no X-Timestamp or X-Signature header.', 401)
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError:
        raise CallbackRefused('The callback X-Timestamp is not a Unix time in seconds.', 401) from None
    if not hmac.compare_digest(sign(secret, timestamp, raw_body).encode(), signature_header.strip().encode()):
        raise CallbackRefused('The callback signature does not match the signing secret.', 401)
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise CallbackRefused(f'The callback was signed more than {MAX_SKEW_SECONDS} s away from our clock.', 401)
    return _parsed(raw_body)


def _parsed(raw_body: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise CallbackRefused('The callback body is not JSON.', 400) from None
    if not isinstance(body, dict) or not isinstance(body.get('request_id'), str) or not body['request_id']:
        raise CallbackRefused('The callback has no request_id.', 400)
    status = body.get('status')
    if status not in STATUSES:
        raise CallbackRefused('The callback status must be "ok" or "error".', 400)
    result = body.get('result')
    if status == 'ok' and not (
        isinstance(result, dict)
        and all(isinstance(result.get(key), str) and result[key].strip() for key in ('title', 'description'))
    ):
        raise CallbackRefused('An "ok" callback needs a result with a title and a description.', 400)
    error = body.get('error')
    if error is not None and not isinstance(error, str):
        raise CallbackRefused('The callback error must be a sentence or null.', 400)
    result = result if status == 'ok' else None
    return {'request_id': body['request_id'], 'status': status, 'result': result, 'error': error}


def _refusal(response: httpx.Response, host: str) -> ProviderError:
    """Make's non-2xx answer in a sentence; 429 (its queue or rate limit) and 5xx may pass later."""
    status = response.status_code
    said = response.text.strip().rstrip('.')[:200]
    detail = f': {said}' if said else ''
    if status in (401, 403):
        return ProviderError(f'Make.com at {host} refused the API key ({status}){detail}.')
    if status == 404:
        return ProviderError(f'Make.com at {host} knows no such webhook (404); check the webhook address.')
    if status == 429:
        return ProviderError(f'Make.com at {host} is busy (429, too many requests).', retryable=True)
    if status >= 500:
        return ProviderError(f'Make.com at {host} failed ({status}){detail}.', retryable=True)
    return ProviderError(f'Make.com at {host} refused the request ({status}){detail}.')
