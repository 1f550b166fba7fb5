"""Whatever a client sends to a write endpoint, the API answers with a sentence, never a 500, and a refusal writes
nothing: generated bodies, from plausible field values to raw bytes."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from db.engine import session_scope
from db.inventory import Watch, WatchImage
from db.system import AuditEntry
from db.workflow import StageEvent
from services import watches
from tests.api.conftest import person
from tests.factories import make_watch

FIELDS = [*watches.EDITABLE, 'version', 'to_stage_id', 'note', 'image_ids', 'colour', '']
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
OBJECTS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)
BODIES = (
    OBJECTS.map(json.dumps) | VALUES.map(json.dumps) | st.binary(max_size=60).map(bytes.hex) | st.binary(max_size=60)
)
ENDPOINTS = st.sampled_from([('POST', '/watches'), ('PATCH', '/watches/{id}'), ('POST', '/watches/{id}/stage'),
                             ('PUT', '/watches/{id}/images/order')])  # fmt: skip
TIGHT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def target(db: str) -> tuple[dict[str, str], int]:
    """A manager's read-write token header and a watch, shared by the examples (a refusal leaves both as they are)."""
    _, headers = person()
    return headers, make_watch()


def _footprint() -> tuple:
    with session_scope() as session:
        return tuple(
            len(session.exec(select(table.id)).all()) for table in (Watch, WatchImage, StageEvent, AuditEntry)
        ) + tuple(session.exec(select(Watch.version)).all())


@TIGHT
@given(endpoint=ENDPOINTS, body=BODIES)
async def test_odd_bodies_never_give_a_500_and_a_refusal_writes_nothing(
    client: httpx.AsyncClient, target: tuple[dict[str, str], int], endpoint: tuple[str, str], body: str | bytes
):
    headers, watch_id = target
    before = _footprint()
    method, path = endpoint
    response = await client.request(
        method, path.format(id=watch_id), headers={**headers, 'Content-Type': 'application/json'}, content=body
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers['content-type'] == 'application/problem+json'
        assert response.json()['detail'].strip()
        assert _footprint() == before


@TIGHT
@given(files=st.lists(st.tuples(st.text(max_size=20), st.binary(max_size=200)), min_size=1, max_size=3))
async def test_odd_uploads_never_give_a_500_and_write_nothing(
    client: httpx.AsyncClient, media, target: tuple[dict[str, str], int], files: list[tuple[str, bytes]]
):
    headers, watch_id = target
    before = _footprint()
    parts = [('files', (name or 'unnamed', data, 'image/jpeg')) for name, data in files]
    response = await client.post(f'/watches/{watch_id}/images', headers=headers, files=parts)
    assert response.status_code == 422, response.text
    assert response.json()['errors']
    assert _footprint() == before
