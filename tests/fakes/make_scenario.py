"""A stand-in Make.com scenario: a custom webhook that accepts a description request at once and, after
`delay`, really POSTs the signed callback to the request's callback_url, as the HTTP module of a scenario does.

    with make_scenario(api_key='make-key', secret='hook-secret') as fake:
        MakeClient(fake.webhook_url, 'make-key').request(...)
        fake.mode = 'error'        # 'ok' | 'error' | 'bad-signature' | 'silent' (never calls back)
        fake.script = [429]        # the next request is answered so instead of "Accepted"
        fake.replay(request_id)    # the same callback once more, byte for byte

`received` holds the request bodies; `sent` one dict per callback: request_id, body (bytes), headers, and the
status our webhook answered (0 when it could not be reached).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.integrations.make import sign
from tests.fakes.loopback import Received, Reply, serve

HOOK_PATH = '/hook/scenario-token'
ERROR = 'The OpenAI module in the scenario timed out.'


@dataclass
class FakeMake:
    """The scenario's state; tests read `received` and `sent` and set `mode`, `delay` and `script`."""

    api_key: str
    secret: str
    delay: float = 0.0
    mode: str = 'ok'
    webhook_url: str = ''
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, tuple[str, bytes, dict[str, str]]] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: Received) -> Reply:
        with self.lock:
            self.received.append(request)
            step = self.script.pop(0) if self.script else None
        if request.path != HOOK_PATH:
            return Reply(404, 'There is no scenario listening on this webhook.')
        if request.headers.get('x-make-apikey') != self.api_key:
            return Reply(401, 'Unauthorized')
        if step is not None:
            return Reply(step, 'Queue is full.' if step == 429 else 'Scripted failure.')
        if self.mode != 'silent':
            thread = threading.Thread(target=self._call_back, args=(dict(request), self.mode), daemon=True)
            self.threads.append(thread)
            thread.start()
        return Reply(200, 'Accepted')

    def replay(self, request_id: str) -> int:
        """Deliver the callback already sent for `request_id` again (same body, timestamp and signature)."""
        url, body, headers = self.callbacks[request_id]
        return self._post(request_id, url, body, headers)

    def _call_back(self, request: dict[str, Any], mode: str) -> None:
        time.sleep(self.delay)
        body = json.dumps(_callback(request, mode), ensure_ascii=False).encode()
        timestamp = int(time.time())
        secret = self.secret if mode != 'bad-signature' else f'{self.secret}-not-it'
        headers = {
            'Content-Type': 'application/json',
            'X-Signature': sign(secret, timestamp, body),
            'X-Timestamp': str(timestamp),
            'X-Request-Id': request['request_id'],
        }
        with self.lock:
            self.callbacks[request['request_id']] = (request['callback_url'], body, headers)
        self._post(request['request_id'], request['callback_url'], body, headers)

    def _post(self, request_id: str, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            status = httpx.post(url, content=body, headers=headers, timeout=30).status_code
        except httpx.HTTPError:
            status = 0
        with self.lock:
            self.sent.append({'request_id': request_id, 'body': body, 'headers': headers, 'status': status})
        return status


@contextmanager
def make_scenario(api_key: str = 'make-key', secret: str = 'hook-secret', delay: float = 0.0) -> Iterator[FakeMake]:
    """A Make.com webhook on loopback for the duration of the block; waits for callbacks still on their way."""
    fake = FakeMake(api_key=api_key, secret=secret, delay=delay)
    with serve(fake.handle) as base_url:
        fake.webhook_url = f'{base_url}{HOOK_PATH}'
        try:
            yield fake
        finally:
            for thread in list(fake.threads):
                thread.join(fake.delay + 30)


def _callback(request: dict[str, Any], mode: str) -> dict[str, Any]:
    """What the scenario's HTTP module sends back: a text written from the item, or its error."""
    if mode == 'error':
        return {'request_id': request['request_id'], 'status': 'error', 'result': None, 'error': ERROR}
    item, swedish = request.get('item') or {}, request.get('language') == 'sv'
    name = ' '.join(str(item[key]) for key in ('brand', 'model', 'reference') if item.get(key))
    title = f'{name} ({item["year"]})' if item.get('year') else name
    opening = 'Till salu från Make.com' if swedish else 'Written by the Make.com scenario'
    result = {'title': title, 'description': f'{opening}: {title}, stock number {item.get("sku")}.'}
    return {'request_id': request['request_id'], 'status': 'ok', 'result': result, 'error': None}
