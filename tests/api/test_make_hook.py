"""The Make.com webhook: the whole round trip through a stand-in scenario that really calls the served API back,
and each refusal of the route (problem+json with the right status)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlmodel import select

import api
from config import get_settings
from db.descriptions import DescriptionRequest, WatchDescription
from db.engine import session_scope
from db.enums import JobStatus, Role
from db.types import utcnow
from services import ai_settings, descriptions, jobs
from services.integrations import make
from services.permissions import SYSTEM
from tests.api.conftest import assert_problem
from tests.background import until
from tests.factories import make_user, make_watch
from tests.fakes.make_scenario import make_scenario

SECRET = 'hook-secret'


@pytest.fixture
def served_api(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API served by uvicorn on a loopback port, as this app's public address (the callback URL points here)."""
    app = FastAPI()
    api.register(app)
    server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=0, log_level='warning', lifespan='off'))
    thread = threading.Thread(target=server.run, name='served-api', daemon=True)
    thread.start()
    assert until(lambda: server.started, 10)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f'http://127.0.0.1:{port}'
    monkeypatch.setenv('SV_PUBLIC_URL', url)
    get_settings.cache_clear()
    yield url
    server.should_exit = True
    thread.join(10)
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def scenario(served_api: str) -> Iterator:
    with make_scenario(api_key='make-key', secret=SECRET) as fake:
        ai_settings.save(
            SYSTEM,
            {'provider': 'make', 'make': {'webhook_url': fake.webhook_url, 'api_key': 'make-key', 'secret': SECRET}},
        )
        yield fake


def _texts() -> list[WatchDescription]:
    with session_scope() as session:
        return list(session.exec(select(WatchDescription).order_by(WatchDescription.id)))


def _requests() -> list[DescriptionRequest]:
    with session_scope() as session:
        return list(session.exec(select(DescriptionRequest).order_by(DescriptionRequest.id)))


def _statuses(fake) -> list[int]:
    return [sent['status'] if isinstance(sent, dict) else sent[1] for sent in fake.sent]


# --- the round trip ----------------------------------------------------------------------------------------------


def test_a_make_scenario_writes_both_languages_through_the_webhook(scenario, served_api):
    seller = make_user(Role.SELLER)
    watch_id = make_watch(brand='Omega', model='Seamaster', reference='166.010')
    result = descriptions.generate(seller, watch_id)
    assert (result.drafts, result.pending) == ([], ['en', 'sv'])
    assert until(lambda: len(_texts()) == 2)
    sent = scenario.received[0]
    assert sent['event'] == 'listing.generate_description'
    assert sent['callback_url'] == f'{served_api}/api/v1/hooks/make'
    assert sent['item']['sku'] and sent['item']['brand'] == 'Omega'
    assert {(text.provider, text.language) for text in _texts()} == {('make', 'en'), ('make', 'sv')}
    assert all(text.created_by_id == seller.id for text in _texts())
    assert until(lambda: _statuses(scenario) == [204, 204])
    assert {request.status for request in _requests()} == {'done'}


def test_a_replayed_callback_is_accepted_and_ignored(scenario):
    descriptions.generate(make_user(Role.SELLER), make_watch(), ['en'])
    assert until(lambda: len(_texts()) == 1)
    scenario.replay(_requests()[0].request_id)
    assert until(lambda: len(_statuses(scenario)) == 2)
    assert _statuses(scenario) == [204, 204]
    assert len(_texts()) == 1


def test_a_callback_with_a_bad_signature_is_refused_and_the_request_keeps_waiting(scenario):
    scenario.mode = 'bad-signature'
    descriptions.generate(make_user(Role.SELLER), make_watch(), ['en'])
    assert until(lambda: _statuses(scenario) == [401])
    assert _texts() == [] and _requests()[0].status == 'pending'


def test_a_scenario_that_reports_an_error_fails_the_request(scenario):
    scenario.mode = 'error'
    descriptions.generate(make_user(Role.SELLER), make_watch(), ['en'])
    assert until(lambda: _requests()[0].status == 'failed')
    assert 'Make.com could not write this text' in _requests()[0].error and _texts() == []


def test_a_batch_waits_for_each_callback(scenario):
    seller = make_user(Role.SELLER)
    ids = [make_watch() for _ in range(3)]
    view = jobs.start(seller, 'descriptions', {'ids': ids, 'languages': ['en']})
    assert 'Make.com' in view.title
    assert jobs.run(view.id) == 'succeeded'
    assert sorted(text.watch_id for text in _texts()) == ids
    assert {request.job_id for request in _requests()} == {view.id}


def test_a_batch_item_fails_when_its_callback_never_comes(scenario):
    scenario.mode = 'silent'
    seller = make_user(Role.SELLER)
    view = jobs.start(seller, 'descriptions', {'ids': [make_watch()], 'languages': ['en']})
    outcome: list[str] = []
    runner = threading.Thread(target=lambda: outcome.append(jobs.run(view.id)))
    runner.start()
    assert until(lambda: _requests())
    with session_scope() as session:  # the callback timeout passes
        session.execute(sa.update(DescriptionRequest).values(expires_at=utcnow() - timedelta(seconds=1)))
    runner.join(20)
    assert outcome == ['failed']
    assert 'did not answer within' in jobs.get(seller, view.id).errors[0].message


def test_cancelling_a_batch_withdraws_the_requests_it_waits_for(scenario):
    scenario.mode = 'silent'
    seller = make_user(Role.SELLER)
    view = jobs.start(seller, 'descriptions', {'ids': [make_watch() for _ in range(6)], 'languages': ['en']})
    outcome: list[str] = []
    runner = threading.Thread(target=lambda: outcome.append(jobs.run(view.id)))
    runner.start()
    assert until(lambda: len(_requests()) >= 2)
    jobs.cancel(seller, view.id)
    runner.join(20)
    assert outcome == [JobStatus.CANCELLED.value]
    assert all(request.status == 'failed' and 'Withdrawn' in request.error for request in _requests())


# --- the route's refusals ----------------------------------------------------------------------------------------


def _signed(body: bytes, *, secret: str = SECRET) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        'X-Timestamp': str(timestamp),
        'X-Signature': make.sign(secret, timestamp, body),
        'Content-Type': 'application/json',
    }


def _pending(watch_id: int, *, expires_in: timedelta = timedelta(minutes=30)) -> str:
    request_id = f'req-{time.monotonic_ns()}'
    with session_scope() as session:
        session.add(
            DescriptionRequest(
                request_id=request_id, watch_id=watch_id, language='en', expires_at=utcnow() + expires_in
            )
        )
    return request_id


def _answer(request_id: str) -> bytes:
    return json.dumps(
        {
            'request_id': request_id,
            'status': 'ok',
            'error': None,
            'result': {'title': 'Omega Seamaster', 'description': 'A fine watch.'},
        }
    ).encode()


@pytest.fixture
def signing(db: str) -> None:
    ai_settings.save(SYSTEM, {'make': {'secret': SECRET}})


async def test_a_good_callback_is_answered_204(client: httpx.AsyncClient, signing):
    body = _answer(_pending(make_watch()))
    response = await client.post('/hooks/make', content=body, headers=_signed(body))
    assert response.status_code == 204 and response.content == b''
    assert len(_texts()) == 1


async def test_refusals_are_problems_with_the_right_status(client: httpx.AsyncClient, signing):
    watch_id = make_watch()
    unknown = _answer('no-such-request')
    assert_problem(await client.post('/hooks/make', content=unknown, headers=_signed(unknown)), 404, 'request')
    body = _answer(_pending(watch_id))
    assert_problem(await client.post('/hooks/make', content=body, headers=_signed(body, secret='wrong')), 401)
    assert_problem(await client.post('/hooks/make', content=body, headers={'Content-Type': 'application/json'}), 401)
    malformed = b'{"request_id": 12'
    assert_problem(await client.post('/hooks/make', content=malformed, headers=_signed(malformed)), 400)
    shapeless = b'{"hello": "world"}'
    assert_problem(await client.post('/hooks/make', content=shapeless, headers=_signed(shapeless)), 400)
    expired = _answer(_pending(watch_id, expires_in=timedelta(seconds=-1)))
    assert_problem(await client.post('/hooks/make', content=expired, headers=_signed(expired)), 409, 'no longer')
    assert _texts() == []


async def test_a_body_over_64_kb_is_refused_before_it_is_read(client: httpx.AsyncClient, signing):
    request_id = _pending(make_watch())
    big = json.dumps(
        {'request_id': request_id, 'status': 'ok', 'error': None, 'result': {'title': 'x', 'description': 'y' * 70_000}}
    ).encode()
    assert_problem(await client.post('/hooks/make', content=big, headers=_signed(big)), 413, '64 KB')

    async def chunks():  # no Content-Length: the route counts what it reads
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    assert_problem(await client.post('/hooks/make', content=chunks(), headers=_signed(big)), 413)
    assert _texts() == []


async def test_the_hook_needs_no_token(client: httpx.AsyncClient, signing):
    response = await client.post('/hooks/make', content=b'{}', headers={'Content-Type': 'application/json'})
    assert response.status_code == 401
    assert 'Bearer' not in response.headers.get('www-authenticate', '')
