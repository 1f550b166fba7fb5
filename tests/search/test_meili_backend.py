"""What the Meilisearch backend decides before it sends anything, and how an unreachable server reads.

Port 9 (discard) on loopback has no server: every request is refused at once, as by a server that is down.
"""

from __future__ import annotations

import pytest

from db.engine import session_scope
from db.enums import Role
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import Actor
from services.search.base import SearchRequest, SearchResult
from services.search.meili import MeiliBackend, MeiliError
from tests.factories import make_user, make_watch

DOWN = 'http://127.0.0.1:9'


@pytest.fixture
def backend(db) -> MeiliBackend:
    return MeiliBackend(DOWN, index_uid='watches_test')


def _search(backend: MeiliBackend, actor, **request) -> SearchResult:
    with session_scope() as session:
        return backend.search(session, actor, SearchRequest(**request))


def test_a_role_that_may_not_see_costs_may_not_sort_by_them(backend):
    with pytest.raises(PermissionDenied, match='may not see purchase costs'):
        _search(backend, make_user(Role.SELLER), text='rolex', sort='purchase_cost_base')


def test_a_role_without_inventory_access_may_not_search(backend):
    nobody = Actor(id=1, email='x@example.com', name='X', role=Role.FINANCE, permissions=frozenset())
    with pytest.raises(PermissionDenied, match='may not see watches'):
        _search(backend, nobody, text='rolex')


def test_an_unknown_sort_is_refused_in_a_sentence(backend):
    with pytest.raises(ValidationFailed, match='cannot be sorted by "colour"'):
        _search(backend, make_user(Role.MANAGER), text='rolex', sort='colour')


def test_no_words_is_no_matches_without_asking_the_server(backend):
    assert _search(backend, make_user(Role.MANAGER), text=' -- ') == SearchResult()


def test_an_unreachable_server_is_one_sentence_for_search_index_and_rebuild(backend):
    manager, watch_id = make_user(Role.MANAGER), make_watch()
    expected = f'Cannot reach Meilisearch at {DOWN}'
    with pytest.raises(MeiliError, match=expected):
        _search(backend, manager, text='rolex')
    with pytest.raises(MeiliError, match=expected), session_scope() as session:
        backend.index(session, [watch_id])
    with pytest.raises(MeiliError, match=expected), session_scope() as session:
        backend.rebuild(session)
