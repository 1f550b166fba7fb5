"""The Make.com client against the stand-in scenario over real HTTP, and the callback signature both ways."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time

import pytest

from services.integrations.ai import ProviderError, WatchFacts
from services.integrations.make import CallbackRefused, MakeClient, sign, verify
from tests.background import until
from tests.fakes.loopback import Received, Reply, serve
from tests.fakes.make_scenario import make_scenario

SECRET = 'hook-secret'
FACTS = WatchFacts(sku='W-000123', brand='Omega', model='Seamaster', reference='166.010', year=1968, box=True)
NOW = 1_750_000_000


class Webhook:
    """Our side of the callback, served on loopback: checks each delivery with `verify` as the route does."""

    def __init__(self) -> None:
        self.accepted: list[dict] = []

    def handle(self, request: Received) -> Reply:
        headers = request.headers
        try:
            self.accepted.append(
                verify(SECRET, headers.get('x-timestamp'), headers.get('x-signature'), request.raw, time.time())
            )
        except CallbackRefused as refused:
            return Reply(refused.status_code, str(refused))
        return Reply(204)


def _signed(body: dict, timestamp: int = NOW) -> tuple[str, str, bytes]:
    raw = json.dumps(body).encode()
    return str(timestamp), sign(SECRET, timestamp, raw), raw


def _ok(request_id: str = 'r-1') -> dict:
    return {'request_id': request_id, 'status': 'ok', 'result': {'title': 'T', 'description': 'D'}, 'error': None}


# --- the request and its callback --------------------------------------------------------------------------------


def test_a_request_reaches_the_scenario_and_its_signed_callback_verifies():
    webhook = Webhook()
    with serve(webhook.handle) as ours, make_scenario(api_key='make-key', secret=SECRET) as fake:
        MakeClient(fake.webhook_url, 'make-key').request('r-1', f'{ours}/api/v1/hooks/make', FACTS, 'sv')
        assert until(lambda: fake.sent, 10)
    [sent] = fake.received
    assert sent.headers['x-make-apikey'] == 'make-key'
    assert (sent['event'], sent['request_id'], sent['language']) == ('listing.generate_description', 'r-1', 'sv')
    assert sent['callback_url'] == f'{ours}/api/v1/hooks/make'
    assert sent['item']['reference'] == '166.010' and sent['item']['box'] is True
    assert sent['item']['papers'] is None and sent['item']['service_history'] == []
    assert fake.sent[0]['status'] == 204 and fake.sent[0]['headers']['X-Request-Id'] == 'r-1'
    [callback] = webhook.accepted
    assert callback['status'] == 'ok' and callback['result']['title'] == 'Omega Seamaster 166.010 (1968)'


def test_the_scenario_modes_error_bad_signature_silent_and_a_replay():
    webhook = Webhook()
    with serve(webhook.handle) as ours, make_scenario(secret=SECRET) as fake:
        client = MakeClient(fake.webhook_url, 'make-key')
        fake.mode = 'error'
        client.request('r-error', ours, FACTS, 'en')
        fake.mode = 'bad-signature'
        client.request('r-forged', ours, FACTS, 'en')
        fake.mode = 'silent'
        client.request('r-silent', ours, FACTS, 'en')
        assert until(lambda: len(fake.sent) == 2, 10)
        statuses = {sent['request_id']: sent['status'] for sent in fake.sent}
        assert fake.replay('r-error') == 204
    assert statuses == {'r-error': 204, 'r-forged': 401}
    assert fake.sent[-1]['body'] == fake.sent[0 if fake.sent[0]['request_id'] == 'r-error' else 1]['body']
    assert [(c['request_id'], c['status'], c['result']) for c in webhook.accepted] == [('r-error', 'error', None)] * 2
    assert 'timed out' in webhook.accepted[0]['error']


# --- refusals ----------------------------------------------------------------------------------------------------


def _refused(url: str, key: str = 'make-key', timeout: float = 15) -> ProviderError:
    with pytest.raises(ProviderError) as refused:
        MakeClient(url, key, timeout_seconds=timeout).request('r-1', 'http://127.0.0.1:1/hook', FACTS, 'en')
    return refused.value


def test_a_wrong_key_or_address_is_refused_and_not_worth_retrying():
    with make_scenario() as fake:
        wrong_key = _refused(fake.webhook_url, key='not-it')
        wrong_address = _refused(f'{fake.webhook_url}-gone')
    assert '401' in str(wrong_key) and not wrong_key.retryable
    assert '404' in str(wrong_address) and not wrong_address.retryable


@pytest.mark.parametrize('status', [429, 500, 503])
def test_a_busy_or_failing_make_is_retryable(status):
    with make_scenario() as fake:
        fake.script = [status]
        refused = _refused(fake.webhook_url)
        assert f'({status}' in str(refused) and refused.retryable
        MakeClient(fake.webhook_url, 'make-key').request('r-2', 'http://127.0.0.1:1/hook', FACTS, 'en')


def test_an_unreachable_or_silent_make_is_retryable():
    with socket.socket() as listening:
        listening.bind(('127.0.0.1', 0))
        listening.listen()  # accepts connections but never answers
        silent = _refused(f'http://127.0.0.1:{listening.getsockname()[1]}/hook', timeout=0.3)
    assert silent.retryable and 'did not answer within 0.3 s' in str(silent)
    with socket.socket() as closed:
        closed.bind(('127.0.0.1', 0))
        port = closed.getsockname()[1]
    gone = _refused(f'http://127.0.0.1:{port}/hook')
    assert gone.retryable and 'could not be reached' in str(gone)


# --- signatures --------------------------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_raw_body():
    expected = hmac.new(b'hook-secret', b'1750000000.{"a": 1}', hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, b'{"a": 1}') == f'sha256={expected}'


def test_a_well_signed_callback_is_read():
    timestamp, signature, raw = _signed(_ok())
    assert verify(SECRET, timestamp, signature, raw, NOW + 299) == _ok()
    error = {'request_id': 'r-1', 'status': 'error', 'result': None, 'error': 'The module failed.'}
    assert verify(SECRET, *_signed(error), NOW)['error'] == 'The module failed.'


@pytest.mark.parametrize(
    'tamper',
    [
        lambda t, s, r: (t, s, r + b' '),
        lambda t, s, r: (t, 'sha256=' + '0' * 64, r),
        lambda t, s, r: (t, sign('other-secret', int(t), r), r),
        lambda t, s, r: (str(int(t) + 1), s, r),
        lambda t, s, r: (t, None, r),
        lambda t, s, r: (None, s, r),
        lambda t, s, r: ('yesterday', s, r),
    ],
)
def test_a_bad_or_missing_signature_is_refused_with_401(tamper):
    with pytest.raises(CallbackRefused) as refused:
        verify(SECRET, *tamper(*_signed(_ok())), NOW)
    assert refused.value.status_code == 401


@pytest.mark.parametrize('skew', [-301, 301])
def test_a_callback_signed_too_far_from_our_clock_is_refused_with_401(skew):
    with pytest.raises(CallbackRefused, match='300 s') as refused:
        verify(SECRET, *_signed(_ok(), NOW + skew), NOW)
    assert refused.value.status_code == 401


@pytest.mark.parametrize(
    'raw',
    [
        b'{not json',
        b'[1, 2]',
        json.dumps({'status': 'ok', 'result': {'title': 'T', 'description': 'D'}}).encode(),
        json.dumps({'request_id': 'r-1', 'status': 'done'}).encode(),
        json.dumps({'request_id': 'r-1', 'status': 'ok', 'result': {'title': 'T'}}).encode(),
        json.dumps({'request_id': 'r-1', 'status': 'error', 'error': {'code': 1}}).encode(),
    ],
)
def test_a_malformed_callback_is_refused_with_400(raw):
    with pytest.raises(CallbackRefused) as refused:
        verify(SECRET, str(NOW), sign(SECRET, NOW, raw), raw, NOW)
    assert refused.value.status_code == 400
