"""API tests speak HTTP to the API application as `main.py` mounts it, on the test's own fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from nicegui.testing import User

import api
from db.enums import Role, TokenScope
from services import tokens
from services.permissions import Actor
from tests.factories import make_user


@pytest.fixture
async def client(db: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for /api/v1 of an app assembled as `main.start_web` assembles it (the API part)."""
    app = FastAPI()
    api.register(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://test/api/v1') as http:
        yield http


@pytest.fixture
async def app_user(db: str, user: User) -> User:
    """NiceGUI's simulated browser on the whole app as `python main.py serve` assembles it (`db` first, so the app
    starts on this test's database); its `http_client` speaks to every route, pages and API alike."""
    return user


def auth(actor: Actor, scope: TokenScope = TokenScope.READ_WRITE) -> dict[str, str]:
    """The header of a fresh token of `actor`'s."""
    _, plaintext = tokens.create(actor, 'tests', scope, None)
    return {'Authorization': f'Bearer {plaintext}'}


def person(role: Role = Role.MANAGER, scope: TokenScope = TokenScope.READ_WRITE, **fields) -> tuple[Actor, dict]:
    """A user of `role` and the header of a token of theirs."""
    actor = make_user(role, **fields)
    return actor, auth(actor, scope)


def assert_problem(response: httpx.Response, status: int, *phrases: str) -> dict:
    """A problem+json refusal with this status whose detail holds each phrase; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers['content-type'].startswith('application/problem+json')
    body = response.json()
    assert body['status'] == status and body['title'] and body['type']
    for phrase in phrases:
        assert phrase in body['detail'], body
    return body
