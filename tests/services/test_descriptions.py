"""Descriptions as a service: drafts from each provider, edits, approval, Make.com callbacks and their refusals."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from sqlmodel import func, select

from db.descriptions import DescriptionRequest, WatchDescription
from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.system import AuditEntry
from db.types import utcnow
from services import ai_settings, bus, descriptions
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.integrations import make
from services.permissions import SYSTEM
from tests.factories import make_user, make_watch
from tests.fakes.openai_server import openai_server

SECRET = 'hook-secret'


def _counts() -> tuple[int, int]:
    with session_scope() as session:
        texts = session.exec(select(func.count()).select_from(WatchDescription)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
        return texts, audits


def _use_make(webhook_url: str = 'http://127.0.0.1:9/hook', minutes: int = 30) -> None:
    ai_settings.save(
        SYSTEM,
        {
            'provider': 'make',
            'make': {
                'webhook_url': webhook_url,
                'api_key': 'make-key',
                'secret': SECRET,
                'callback_timeout_minutes': minutes,
            },
        },
    )


def _pending(watch_id: int, language: str = 'en', *, expires_in: timedelta = timedelta(minutes=30)) -> str:
    request_id = f'req-{watch_id}-{language}-{time.monotonic_ns()}'
    with session_scope() as session:
        session.add(
            DescriptionRequest(
                request_id=request_id, watch_id=watch_id, language=language, expires_at=utcnow() + expires_in
            )
        )
    return request_id


def _callback(
    request_id: str,
    *,
    status: str = 'ok',
    title: str = 'Omega Seamaster 166.010',
    secret: str = SECRET,
    at: float | None = None,
) -> tuple[str, str, bytes]:
    body = json.dumps(
        {
            'request_id': request_id,
            'status': status,
            'error': None if status == 'ok' else 'Quota hit',
            'result': {'title': title, 'description': 'A fine Seamaster from 1968.'},
        }
    ).encode()
    timestamp = int(at if at is not None else time.time())
    return str(timestamp), make.sign(secret, timestamp, body), body


# --- facts ---------------------------------------------------------------------------------------------------------


def test_facts_hold_what_the_record_says_and_nothing_more(db):
    seller = make_user(Role.SELLER)
    known = make_watch(
        brand='Rolex',
        model='Submariner',
        reference='5512',
        year=1966,
        box=True,
        service_history=[
            {'date': '2015-03-01', 'work': 'Full service'},
            {'date': '2021-06-10', 'work': 'New crystal', 'watchmaker': 'Atelier Nord'},
        ],
    )
    facts = descriptions.facts_of(seller, known)
    assert (facts.brand, facts.model, facts.reference, facts.year) == ('Rolex', 'Submariner', '5512', 1966)
    assert facts.box is True and facts.papers is None  # an unticked box is unknown, not "no papers"
    assert facts.service_history == ('2021-06-10: New crystal (Atelier Nord)', '2015-03-01: Full service')
    assert facts.brand_background and '1959 to 1978' in facts.model_background
    bare = descriptions.facts_of(seller, make_watch(brand='Unknown Maker', model='Dress watch'))
    assert (bare.reference, bare.year, bare.calibre, bare.box, bare.brand_background, bare.model_background) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )
    assert bare.service_history == () and bare.condition == {}


# --- the built-in writer -----------------------------------------------------------------------------------------


def test_generate_writes_a_draft_per_language_with_the_built_in_writer(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch(brand='Omega', model='Seamaster', reference='166.010', year=1968)
    result = descriptions.generate(seller, watch_id)
    assert result.pending == []
    assert [draft.language for draft in result.drafts] == ['en', 'sv']
    assert all(draft.provider == 'builtin' and draft.status == 'draft' for draft in result.drafts)
    assert all('Seamaster' in draft.title for draft in result.drafts)
    assert result.drafts[0].created_by_name == seller.name
    shown = descriptions.versions(seller, watch_id)
    assert {version.id for version in shown} == {draft.id for draft in result.drafts}
    with session_scope() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity_id == str(watch_id))).all()
    assert actions.count('description.generated') == 2


def test_generate_only_the_languages_asked_for(db):
    result = descriptions.generate(make_user(Role.SELLER), make_watch(), ['sv'])
    assert [draft.language for draft in result.drafts] == ['sv']


@pytest.mark.parametrize('languages', [[], ['de'], ['en', 'xx']])
def test_unknown_languages_are_refused_and_nothing_is_written(db, languages):
    watch_id = make_watch()
    before = _counts()
    with pytest.raises(ValidationFailed, match='language'):
        descriptions.generate(make_user(Role.SELLER), watch_id, languages)
    assert _counts()[0] == before[0]


@pytest.mark.parametrize('role', [Role.AGENT, Role.FINANCE])
def test_writing_needs_the_descriptions_permission(db, role):
    actor = make_user(role)
    watch_id = make_watch(agent=actor)
    draft = descriptions.generate(make_user(Role.SELLER), watch_id, ['en']).drafts[0]
    before = _counts()
    with pytest.raises(PermissionDenied):
        descriptions.generate(actor, watch_id)
    with pytest.raises(PermissionDenied):
        descriptions.edit(actor, draft.id, 'A title', 'A text')
    with pytest.raises(PermissionDenied):
        descriptions.approve(actor, draft.id)
    assert _counts() == before


def test_an_agent_reads_only_the_texts_of_their_own_watches(db):
    agent = make_user(Role.AGENT)
    own, other = make_watch(agent=agent), make_watch()
    descriptions.generate(make_user(Role.SELLER), own, ['en'])
    assert len(descriptions.versions(agent, own)) == 1
    with pytest.raises(NotFound):
        descriptions.versions(agent, other)


def test_a_deleted_watch_gets_no_text(db):
    watch_id = make_watch(deleted_at=utcnow())
    with pytest.raises(NotFound):
        descriptions.generate(make_user(Role.SELLER), watch_id)


async def test_every_change_is_announced_on_the_bus_after_it_commits(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch()
    received: list[dict] = []
    arrived = asyncio.Event()

    def deliver(topic: str, message: dict) -> None:
        if topic == descriptions.TOPIC:
            received.append(message)
            arrived.set()

    listener = asyncio.create_task(bus.get_bus().listen(deliver))
    await asyncio.sleep(0.3)  # subscribed
    try:
        await asyncio.to_thread(descriptions.generate, seller, watch_id, ['en'])
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    assert received[0] == {'watch_id': watch_id}


# --- editing and approving ---------------------------------------------------------------------------------------


def test_an_edit_is_a_new_manual_version_that_remembers_its_source(db):
    seller = make_user(Role.SELLER)
    draft = descriptions.generate(seller, make_watch(), ['en']).drafts[0]
    edited = descriptions.edit(seller, draft.id, '  Omega Seamaster, 1968  ', 'Serviced and keeping time.')
    assert (edited.provider, edited.edited_from_id, edited.status) == ('manual', draft.id, 'draft')
    assert edited.title == 'Omega Seamaster, 1968'
    assert descriptions.versions(seller, draft.watch_id)[0].id == edited.id  # newest first


@pytest.mark.parametrize(
    ('title', 'body', 'field'),
    [
        ('', 'A text', 'title'),
        ('   ', 'A text', 'title'),
        ('x' * 201, 'A text', 'title'),
        ('A title', '', 'body'),
        ('A title', 'x' * 10_001, 'body'),
    ],
)
def test_edits_out_of_bounds_are_refused_per_field(db, title, body, field):
    seller = make_user(Role.SELLER)
    draft = descriptions.generate(seller, make_watch(), ['en']).drafts[0]
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        descriptions.edit(seller, draft.id, title, body)
    assert field in refused.value.fields
    assert _counts() == before


def test_approving_supersedes_the_previous_approved_text_and_new_drafts_leave_it_alone(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch()
    first = descriptions.generate(seller, watch_id, ['en']).drafts[0]
    second = descriptions.edit(seller, first.id, 'Better title', 'Better text')
    assert descriptions.approve(seller, first.id).status == 'approved'
    approved = descriptions.approve(seller, second.id)
    assert (approved.status, approved.approved_by_name) == ('approved', seller.name)
    descriptions.generate(seller, watch_id, ['en'])
    by_id = {version.id: version.status for version in descriptions.versions(seller, watch_id)}
    assert by_id[first.id] == 'superseded' and by_id[second.id] == 'approved'
    assert list(by_id.values()).count('approved') == 1
    assert descriptions.approved_text(watch_id, 'en').id == second.id
    assert descriptions.approved_text(watch_id, 'sv') is None
    assert descriptions.approve(seller, second.id).status == 'approved'  # approving again changes nothing


def test_approving_moves_the_watch_to_described_when_set_and_allowed(db):
    ai_settings.save(SYSTEM, {'move_to_described': True})
    manager = make_user(Role.MANAGER)
    ready = make_watch('photographed')
    draft = descriptions.generate(manager, ready, ['en']).drafts[0]
    assert 'moved to Described' in descriptions.approve(manager, draft.id).stage_note
    early = make_watch('intake')
    draft = descriptions.generate(manager, early, ['en']).drafts[0]
    approved = descriptions.approve(manager, draft.id)
    assert approved.status == 'approved'
    assert 'stays where it is' in approved.stage_note and 'Intake' in approved.stage_note
    with session_scope() as session:
        stages = {watch.id: watch.stage_id for watch in session.exec(select(Watch))}
    assert stages[ready] != stages[early]


def test_without_the_setting_an_approval_moves_nothing(db):
    seller = make_user(Role.SELLER)
    watch_id = make_watch('photographed')
    draft = descriptions.generate(seller, watch_id, ['en']).drafts[0]
    assert descriptions.approve(seller, draft.id).stage_note is None


# --- an OpenAI-compatible server ---------------------------------------------------------------------------------


def test_generate_with_an_openai_compatible_server_keeps_model_and_token_counts(db):
    with openai_server(api_key='sk-test') as fake:
        ai_settings.save(
            SYSTEM,
            {'provider': 'openai', 'openai': {'base_url': fake.base_url, 'api_key': 'sk-test', 'model': 'gpt-4o-mini'}},
        )
        result = descriptions.generate(make_user(Role.SELLER), make_watch(brand='Rolex', model='Datejust'), ['en'])
        assert len(fake.requests) == 1
    draft = result.drafts[0]
    assert (draft.provider, draft.model) == ('openai', 'gpt-4o-mini')
    assert draft.prompt_tokens > 0 and draft.completion_tokens > 0
    assert 'Datejust' in draft.title


def test_a_provider_that_is_down_gives_its_sentence_and_writes_nothing(db):
    with openai_server(api_key='sk-test') as fake:
        ai_settings.save(
            SYSTEM,
            {'provider': 'openai', 'openai': {'base_url': fake.base_url, 'api_key': 'sk-test', 'max_retries': 0}},
        )
        fake.down = True
        watch_id = make_watch()
        before = _counts()[0]
        with pytest.raises(descriptions.ProviderFailed) as failed:
            descriptions.generate(make_user(Role.SELLER), watch_id, ['en'])
    assert str(failed.value).endswith('.') and failed.value.retryable
    assert _counts()[0] == before


def test_a_wrong_api_key_is_refused_with_a_sentence(db):
    with openai_server(api_key='sk-test') as fake:
        ai_settings.save(SYSTEM, {'provider': 'openai', 'openai': {'base_url': fake.base_url, 'api_key': 'sk-wrong'}})
        with pytest.raises(descriptions.ProviderFailed) as failed:
            descriptions.generate(make_user(Role.SELLER), make_watch(), ['en'])
    assert not failed.value.retryable


# --- Make.com callbacks ------------------------------------------------------------------------------------------


def test_a_signed_callback_stores_a_make_draft_once(db):
    _use_make()
    watch_id = make_watch()
    request_id = _pending(watch_id)
    delivery = _callback(request_id)
    descriptions.receive_make_callback(*delivery)
    descriptions.receive_make_callback(*delivery)  # Make.com retried: accepted, ignored
    texts = descriptions.versions(make_user(Role.SELLER), watch_id)
    assert [(text.provider, text.title) for text in texts] == [('make', 'Omega Seamaster 166.010')]
    with session_scope() as session:
        request = session.exec(select(DescriptionRequest).where(DescriptionRequest.request_id == request_id)).one()
        generated = session.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == 'description.generated')
        ).one()
    assert request.status == 'done' and request.completed_at is not None
    assert generated == 1


def test_languages_waiting_for_make_are_listed_until_their_callback_comes(db):
    _use_make()
    agent = make_user(Role.AGENT)
    watch_id, other = make_watch(agent=agent), make_watch()
    english, _swedish = _pending(watch_id, 'en'), _pending(watch_id, 'sv')
    assert descriptions.pending(agent, watch_id) == ['en', 'sv']
    descriptions.receive_make_callback(*_callback(english))
    assert descriptions.pending(agent, watch_id) == ['sv']
    _pending(other)
    with pytest.raises(NotFound):  # another agent's watch: not even whether something is waiting
        descriptions.pending(agent, other)


@pytest.mark.parametrize(
    ('tamper', 'status'),
    [
        (lambda ts, sig, body: (ts, 'sha256=' + '0' * 64, body), 401),
        (lambda ts, sig, body: (ts, None, body), 401),
        (lambda ts, sig, body: (ts, sig, body + b' '), 401),
        (lambda ts, sig, body: _callback_at_skew(body), 401),
    ],
)
def test_a_callback_without_a_valid_signature_is_refused(db, tamper, status):
    _use_make()
    request_id = _pending(make_watch())
    with pytest.raises(make.CallbackRefused) as refused:
        descriptions.receive_make_callback(*tamper(*_callback(request_id)))
    assert refused.value.status_code == status
    assert _counts()[0] == 0


def _callback_at_skew(body: bytes) -> tuple[str, str, bytes]:
    old = int(time.time()) - 301
    return str(old), make.sign(SECRET, old, body), body


def test_a_malformed_callback_is_refused_as_bad_input(db):
    _use_make()
    body = b'{"request_id": '
    timestamp = int(time.time())
    with pytest.raises(make.CallbackRefused) as refused:
        descriptions.receive_make_callback(str(timestamp), make.sign(SECRET, timestamp, body), body)
    assert refused.value.status_code == 400


def test_unknown_expired_and_failed_requests_refuse_their_callback(db):
    _use_make()
    watch_id = make_watch()
    with pytest.raises(NotFound):
        descriptions.receive_make_callback(*_callback('no-such-request'))
    expired = _pending(watch_id, expires_in=timedelta(seconds=-1))
    with pytest.raises(Conflict):
        descriptions.receive_make_callback(*_callback(expired))
    assert descriptions.expire_requests() == 1
    with pytest.raises(Conflict, match='did not answer within'):
        descriptions.receive_make_callback(*_callback(expired))
    assert _counts()[0] == 0


def test_a_callback_reporting_an_error_fails_the_request_with_its_reason(db):
    _use_make()
    request_id = _pending(make_watch())
    descriptions.receive_make_callback(*_callback(request_id, status='error'))
    with session_scope() as session:
        request = session.exec(select(DescriptionRequest).where(DescriptionRequest.request_id == request_id)).one()
    assert request.status == 'failed' and 'Quota hit' in request.error


def test_without_a_signing_secret_no_callback_is_trusted(db):
    request_id = _pending(make_watch())
    with pytest.raises(make.CallbackRefused) as refused:
        descriptions.receive_make_callback(*_callback(request_id))
    assert refused.value.status_code == 401


def test_a_make_webhook_that_cannot_be_reached_fails_the_request(db):
    _use_make('http://127.0.0.1:9/unreachable')
    watch_id = make_watch()
    with pytest.raises(descriptions.ProviderFailed):
        descriptions.generate(make_user(Role.SELLER), watch_id, ['en'])
    with session_scope() as session:
        request = session.exec(select(DescriptionRequest)).one()
    assert request.status == 'failed' and 'Make.com' in request.error
