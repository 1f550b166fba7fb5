"""The descriptions job: planning from a selection or a filter, per-item failures with the provider's sentence,
retry, cancel, and approved texts left alone. The runner is called directly, as in tests/services/test_jobs.py;
the Make.com round trip through the served webhook is in tests/api/test_make_hook.py."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from db.descriptions import WatchDescription
from db.engine import session_scope
from db.enums import JobStatus, Role
from db.inventory import Watch
from db.system import Job
from db.types import utcnow
from services import ai_settings, descriptions, jobs
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from tests.background import until
from tests.factories import make_user, make_watch
from tests.fakes.openai_server import openai_server


def _texts(**where) -> list[WatchDescription]:
    with session_scope() as session:
        query = select(WatchDescription).where(*(getattr(WatchDescription, k) == v for k, v in where.items()))
        return list(session.exec(query.order_by(WatchDescription.id)))


def _jobs() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Job)).one()


def _use_openai(base_url: str, **openai) -> None:
    ai_settings.save(SYSTEM, {'provider': 'openai', 'openai': {'base_url': base_url, 'api_key': 'sk-test', **openai}})


def test_a_selection_gets_a_draft_per_watch_and_language(db):
    seller = make_user(Role.SELLER)
    ids = [make_watch(brand='Omega', model=f'Seamaster {n}') for n in range(5)]
    view = jobs.start(seller, 'descriptions', {'ids': ids, 'languages': ['en', 'sv']})
    assert view.total == 10 and 'Descriptions of 5 watches' in view.title and 'built-in writer' in view.title
    assert jobs.run(view.id) == 'succeeded'
    done = jobs.get(seller, view.id)
    assert (done.done, done.failed) == (10, 0)
    texts = _texts()
    assert {(text.watch_id, text.language) for text in texts} == {(i, lang) for i in ids for lang in ('en', 'sv')}
    assert all(text.provider == 'builtin' and text.created_by_id == seller.id for text in texts)


def test_the_whole_filtered_list_is_described_in_the_configured_languages(db):
    ai_settings.save(SYSTEM, {'languages': ['sv']})
    rolexes = [make_watch(brand='Rolex', model='Datejust') for _ in range(3)]
    make_watch(brand='Omega')
    view = jobs.start(make_user(Role.SELLER), 'descriptions', {'filter': {'brands': ['Rolex']}})
    assert jobs.run(view.id) == 'succeeded'
    assert sorted(text.watch_id for text in _texts()) == rolexes
    assert {text.language for text in _texts()} == {'sv'}


@pytest.mark.parametrize(
    ('params', 'says'),
    [
        ({'ids': [], 'languages': ['en']}, 'No watches to describe'),
        ({'ids': [999_999]}, 'No watches to describe'),
        ({'ids': [1], 'languages': ['de']}, 'language'),
        ({'ids': [1], 'tone': 'witty'}, 'tone'),
        ({'filter': {'stage_ids': ['x']}}, 'stage'),
    ],
)
def test_bad_parameters_are_refused_and_nothing_is_started(db, params, says):
    make_watch()
    with pytest.raises(ValidationFailed, match=says):
        jobs.start(make_user(Role.SELLER), 'descriptions', params)
    assert _jobs() == 0


@pytest.mark.parametrize('role', [Role.AGENT, Role.FINANCE])
def test_starting_needs_the_descriptions_permission(db, role):
    actor = make_user(role)
    with pytest.raises(PermissionDenied):
        jobs.start(actor, 'descriptions', {'ids': [make_watch(agent=actor)]})
    assert _jobs() == 0


def test_an_approved_text_is_never_overwritten_by_a_batch(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch()
    approved = descriptions.approve(seller, descriptions.generate(seller, watch_id, ['en']).drafts[0].id)
    view = jobs.start(seller, 'descriptions', {'ids': [watch_id], 'languages': ['en']})
    assert jobs.run(view.id) == 'succeeded'
    texts = _texts(watch_id=watch_id)
    assert [(text.id, text.status) for text in texts] == [(approved.id, 'approved'), (texts[1].id, 'draft')]
    assert (approved.title, approved.body) == (texts[0].title, texts[0].body)


def test_a_provider_that_is_down_fails_each_item_with_its_sentence_and_a_retry_later_succeeds(db):
    seller = make_user(Role.SELLER)
    ids = [make_watch() for _ in range(4)]
    with openai_server(api_key='sk-test') as fake:
        _use_openai(fake.base_url, max_retries=0, concurrency=2)
        fake.down = True
        view = jobs.start(seller, 'descriptions', {'ids': ids, 'languages': ['en']})
        assert jobs.run(view.id) == 'failed'
        failed = jobs.get(seller, view.id)
        assert failed.failed == 4 and len(failed.errors) == 4
        assert all(error.message.endswith('.') and 'Error:' not in error.message for error in failed.errors)
        assert failed.errors[0].label.startswith('Watch ') and 'English' in failed.errors[0].label
        assert _texts() == []
        fake.down = False
        jobs.retry_failed(seller, view.id)
        assert jobs.run(view.id) == 'succeeded'
    assert sorted(text.watch_id for text in _texts(provider='openai')) == ids
    assert jobs.get(seller, view.id).done == 4


def test_a_deleted_watch_is_one_failed_item(db):
    seller = make_user(Role.SELLER)
    kept, gone = make_watch(), make_watch()
    view = jobs.start(seller, 'descriptions', {'ids': [kept, gone], 'languages': ['en']})
    with session_scope() as session:
        session.get(Watch, gone).deleted_at = utcnow()
    assert jobs.run(view.id) == 'succeeded'
    ended = jobs.get(seller, view.id)
    assert (ended.done, ended.failed) == (1, 1)
    assert 'not one of yours' in ended.errors[0].message or 'No such watch' in ended.errors[0].message


def test_cancel_stops_a_running_batch_within_a_round_of_calls(db):
    seller = make_user(Role.SELLER)
    ids = [make_watch() for _ in range(20)]
    with openai_server(api_key='sk-test', latency=0.3) as fake:
        _use_openai(fake.base_url, concurrency=2)
        view = jobs.start(seller, 'descriptions', {'ids': ids, 'languages': ['en']})
        outcome: list[str] = []
        runner = threading.Thread(target=lambda: outcome.append(jobs.run(view.id)))
        runner.start()
        assert until(lambda: len(_texts()) >= 2)
        jobs.cancel(seller, view.id)
        runner.join(30)
    assert outcome == [JobStatus.CANCELLED.value]
    ended = jobs.get(seller, view.id)
    assert ended.done < 20 and ended.can_resume
    assert len(_texts()) == ended.done
