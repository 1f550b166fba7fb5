"""Who may call the API: tokens refused with a sentence, read tokens refused every write, the rate limit, and the
documentation answering through the whole app (NiceGUI's root page must not swallow /api)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from nicegui.testing import User as Browser
from sqlmodel import select

from config import get_settings
from db.accounts import ApiToken, User
from db.engine import session_scope
from db.enums import Role, TokenScope
from db.inventory import Watch
from db.types import utcnow
from services import tokens
from services.permissions import Actor
from tests.api.conftest import assert_problem, person
from tests.factories import make_user, make_watch

WRITES = [
    ('POST', '/watches', {'json': {'brand': 'Rolex', 'model': 'Submariner'}}),
    ('PATCH', '/watches/{id}', {'json': {'model': 'Planet Ocean', 'version': 1}}),
    ('POST', '/watches/{id}/stage', {'json': {'to_stage_id': 2}}),
    ('POST', '/watches/{id}/images', {'files': {'files': ('a.jpg', b'not really a photo', 'image/jpeg')}}),
    ('PUT', '/watches/{id}/images/order', {'json': {'image_ids': []}}),
]


def _snapshot() -> tuple:
    with session_scope() as session:
        rows = session.exec(select(Watch.id, Watch.model, Watch.version, Watch.stage_id, Watch.image_count)).all()
        return tuple(sorted(rows))


def _bearer(value: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {value}'}


async def test_me_answers_who_the_token_acts_as(client: httpx.AsyncClient):
    _, headers = person(Role.SELLER, TokenScope.READ, email='mia@example.com')
    body = (await client.get('/me', headers=headers)).json()
    assert body['email'] == 'mia@example.com' and body['role'] == 'seller' and body['token_scope'] == 'read'
    assert 'cost.view' not in body['permissions'] and 'inventory.view' in body['permissions']


async def test_a_request_without_a_token_is_refused_with_a_sentence(client: httpx.AsyncClient):
    response = await client.get('/watches')
    assert_problem(response, 401, 'Authorization: Bearer <token>')
    assert response.headers['www-authenticate'] == 'Bearer'
    assert_problem(await client.get('/me', headers={'Authorization': 'Basic bWlhOnB3'}), 401, 'Bearer')


async def test_unknown_revoked_expired_and_deactivated_tokens_are_refused(client: httpx.AsyncClient):
    mia = make_user()
    _, plaintext = tokens.create(mia, 'Sync', TokenScope.READ_WRITE, None)
    assert (await client.get('/me', headers=_bearer(plaintext))).status_code == 200
    assert_problem(await client.get('/me', headers=_bearer(plaintext + 'x')), 401, 'not known')
    assert_problem(await client.get('/me', headers=_bearer('abc')), 401, 'not a personal access token')

    revoked, revoked_text = tokens.create(mia, 'Old', TokenScope.READ_WRITE, None)
    tokens.revoke(mia, revoked.id)
    assert_problem(await client.get('/me', headers=_bearer(revoked_text)), 401, 'revoked')

    expired, expired_text = tokens.create(mia, 'Short', TokenScope.READ_WRITE, 1)
    with session_scope() as session:
        row = session.get(ApiToken, expired.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    before = _snapshot()
    response = await client.post('/watches', headers=_bearer(expired_text), json={'brand': 'A', 'model': 'B'})
    assert_problem(response, 401, 'expired on')
    assert _snapshot() == before


async def test_a_deactivated_users_token_is_refused_and_writes_nothing(client: httpx.AsyncClient):
    tom, headers = person(Role.MANAGER)
    with session_scope() as session:
        user = session.get(User, tom.id)
        assert user is not None
        user.active = False
    response = await client.post('/watches', headers=headers, json={'brand': 'Rolex', 'model': 'Submariner'})
    assert_problem(response, 401, 'deactivated')
    assert _snapshot() == ()


@pytest.mark.parametrize(('method', 'path', 'body'), WRITES)
async def test_a_read_token_is_refused_every_write(client: httpx.AsyncClient, method: str, path: str, body: dict):
    _, headers = person(Role.MANAGER, TokenScope.READ)
    watch_id = make_watch()
    before = _snapshot()
    response = await client.request(method, path.format(id=watch_id), headers=headers, **body)
    assert_problem(response, 403, 'This token may only read')
    assert _snapshot() == before


async def test_the_rate_limit_answers_429_with_retry_after(client: httpx.AsyncClient, monkeypatch):
    monkeypatch.setenv('SV_API_REQUESTS_PER_MINUTE', '3')
    get_settings.cache_clear()
    _, headers = person()
    _, other = person()
    codes = [(await client.get('/me', headers=headers)).status_code for _ in range(3)]
    limited = await client.get('/me', headers=headers)
    monkeypatch.undo()
    get_settings.cache_clear()
    if codes != [200, 200, 200]:  # the minute turned over between requests: the window started afresh
        pytest.skip('a clock minute began during the test')
    body = assert_problem(limited, 429, 'more than 3 requests this minute')
    assert 1 <= int(limited.headers['retry-after']) <= 60
    assert str(limited.headers['retry-after']) in body['detail']
    assert (await client.get('/me', headers=other)).status_code == 200  # per token, not per address


async def test_unknown_addresses_and_methods_answer_as_problems(client: httpx.AsyncClient):
    _, headers = person()
    assert_problem(await client.get('/nowhere', headers=headers), 404, '/api/docs')
    assert_problem(await client.delete('/watches', headers=headers), 405, '/api/docs')
    assert_problem(await client.get('/watches/999999', headers=headers), 404, 'No such watch')


async def test_docs_and_routes_answer_through_the_whole_app(app_user: Browser):
    """The assembled app (pages, shell, the root page) serves the API, its schema and a Swagger UI without a CDN."""
    http = app_user.http_client
    docs = await http.get('/api/docs')
    assert docs.status_code == 200 and 'swagger-ui' in docs.text
    assert not re.search(r'(src|href)=["\']?(https?:)?//', docs.text), 'the docs page loads something from outside'
    for asset in re.findall(r'(?:src|href)="(/api/docs/assets/[^"]+)"', docs.text):
        assert (await http.get(asset)).status_code == 200
    schema = (await http.get('/api/openapi.json')).json()
    assert {'/v1/watches', '/v1/watches/{watch_id}/images/order', '/v1/jobs/{job_id}'} <= set(schema['paths'])
    assert schema['servers'] == [{'url': '/api'}]
    assert (await http.get('/api/health')).json()['status'] == 'ok'
    assert_problem(await http.get('/api/v1/watches'), 401, 'Bearer')
    assert_problem(await http.get('/api/v1/no/such/thing'), 404, 'no such address')
    actor: Actor = make_user()
    _, plaintext = tokens.create(actor, 'Sync', TokenScope.READ, None)
    assert (await http.get('/api/v1/me', headers=_bearer(plaintext))).json()['id'] == actor.id
