"""Listing texts: generate them with the configured provider, edit them, approve one per language, keep them all.

Every text is a version: generating or editing adds a draft and never touches an approved text; approving one
supersedes the language's previous approved version. A person (DESCRIPTIONS_WRITE) writes and approves; whoever
may see the watch may read its versions. After each commit the bus carries `{'watch_id': id}` on topic
`descriptions`, so an open watch page shows the new version at once.

Providers are called outside any transaction (a language model may take seconds). The built-in writer and an
OpenAI-compatible server answer at once; a Make.com scenario answers later through `receive_make_callback`,
so asking it stores a pending `DescriptionRequest` first (committed before the request leaves, so even a
callback faster than our own commit finds it) and `expire_requests` fails the ones never answered.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from db.accounts import User
from db.descriptions import DescriptionRequest, WatchDescription
from db.engine import session_scope
from db.inventory import Watch
from db.types import utcnow
from services import ai_settings, audit, bus, reference, workflow
from services.ai_settings import AiConfig
from services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from services.integrations import make, openai_chat, writer
from services.integrations.ai import LANGUAGES, Draft, ProviderError, Usage, WatchFacts
from services.permissions import SYSTEM, Actor, Permission, require
from services.scope import watch_in_scope
from services.validation import validated

TOPIC = 'descriptions'  # bus topic; the message is {'watch_id': id}
TITLE_MAX = 200
BODY_MAX = 10_000
POLL_SECONDS = 0.5
MAKE = replace(SYSTEM, email='make.com', name='Make.com', permissions=frozenset())  # the author of callbacks
log = logging.getLogger(__name__)


class ProviderFailed(ServiceError):
    """The provider gave no text; the message is its sentence. `retryable`: the same request may work later."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class DescriptionRead(BaseModel):
    """One version as screens show it. `stage_note` (after an approval only) says whether the watch moved."""

    id: int
    watch_id: int
    language: str
    title: str
    body: str
    provider: str
    model: str | None
    status: str
    edited_from_id: int | None
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime
    created_by_name: str | None
    approved_at: datetime | None
    approved_by_name: str | None
    stage_note: str | None = None


class GenerateResult(BaseModel):
    drafts: list[DescriptionRead]
    pending: list[str]  # languages a Make.com scenario is writing; they arrive on the bus topic


class TextInput(BaseModel):
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)

    @field_validator('title', 'body', mode='before')
    @classmethod
    def _filled(cls, value: object) -> object:
        text = value.strip() if isinstance(value, str) else value
        if text == '':
            raise ValueError('Write something here.')
        return text


@dataclass(frozen=True)
class Writer:
    """A provider that answers at once, opened for one call or one batch of a job (one HTTP client, kept alive)."""

    provider: str
    model: str | None
    describe: Callable[[WatchFacts, str], tuple[Draft, Usage]]


# --- reading -----------------------------------------------------------------------------------------------------


def versions(actor: Actor, watch_id: int) -> list[DescriptionRead]:
    """Every version of the watch's texts, newest first, for whoever may see the watch."""
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        return _reads(session, WatchDescription.watch_id == watch_id)


def pending(actor: Actor, watch_id: int) -> list[str]:
    """Languages of the watch still waiting for a Make.com callback, so a page opened meanwhile says so too."""
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        query = select(DescriptionRequest.language).where(
            DescriptionRequest.watch_id == watch_id, DescriptionRequest.status == 'pending'
        )
        return sorted(set(session.exec(query).all()))


def approved_text(watch_id: int, language: str) -> DescriptionRead | None:
    """The approved text in a language, for the platform exports (which check their own permissions)."""
    with session_scope() as session:
        found = _reads(
            session,
            WatchDescription.watch_id == watch_id,
            WatchDescription.language == language,
            WatchDescription.status == 'approved',
        )
        return found[0] if found else None


def facts_of(actor: Actor, watch_id: int) -> WatchFacts:
    """The facts a provider gets about a watch the actor may see."""
    with session_scope() as session:
        return facts_for(session, watch_in_scope(session, actor, watch_id))


def facts_for(session: Session, watch: Watch) -> WatchFacts:
    """What the record says, nothing more: unknown stays None. Box and papers are columns that default to
    False, so only a ticked box is a fact; the brand's and reference's background come from services/reference.py."""
    brand = next((known for known in reference.brands() if known.name.casefold() == watch.brand.casefold()), None)
    return WatchFacts(
        sku=watch.sku,
        brand=watch.brand,
        model=watch.model,
        reference=watch.reference,
        calibre=watch.calibre,
        movement=watch.movement.value if watch.movement else None,
        year=watch.year,
        period=watch.period,
        case_material=watch.case_material,
        case_diameter_mm=watch.case_diameter_mm,
        dial=watch.dial,
        strap=watch.strap,
        gender=watch.gender.value if watch.gender else None,
        condition=dict(watch.condition or {}),
        overall_grade=watch.condition_grade,
        box=True if watch.box else None,
        papers=True if watch.papers else None,
        service_history=_service_lines(watch.service_history or []),
        brand_background=brand.background if brand else None,
        model_background=_model_background(watch),
    )


# --- writing -----------------------------------------------------------------------------------------------------


def generate(actor: Actor, watch_id: int, languages: list[str] | None = None) -> GenerateResult:
    """New drafts from the configured provider (approved texts stay as they are); Make.com's come later."""
    require(actor, Permission.DESCRIPTIONS_WRITE)
    config = ai_settings.current()
    wanted = check_languages(languages, config)
    facts = facts_of(actor, watch_id)
    if config.provider == 'make':
        for language in wanted:
            request_make(actor, config, watch_id, facts, language)
        return GenerateResult(drafts=[], pending=wanted)
    with open_writer(config) as provider:
        texts = [write(provider, facts, language) for language in wanted]
    drafts = [store_draft(actor, watch_id, provider, draft, usage) for draft, usage in texts]
    return GenerateResult(drafts=drafts, pending=[])


def edit(actor: Actor, description_id: int, title: str, body: str) -> DescriptionRead:
    """A person's change to a version, saved as a new draft that remembers where it started."""
    require(actor, Permission.DESCRIPTIONS_WRITE)
    text = validated(TextInput, {'title': title, 'body': body})
    with session_scope() as session:
        source = _in_scope(session, actor, description_id)
        row = WatchDescription(
            watch_id=source.watch_id,
            language=source.language,
            title=text.title,
            body=text.body,
            provider='manual',
            edited_from_id=source.id,
            created_by_id=actor.id,
        )
        _insert(session, actor, row, 'description.edited', edited_from_id=source.id)
        read = _reads(session, WatchDescription.id == row.id)[0]
    announce(read.watch_id)
    return read


def approve(actor: Actor, description_id: int) -> DescriptionRead:
    """Make this version the one in use for its language; the one approved before becomes superseded.

    With "move approved watches to Described" set, the watch then moves there through the workflow as this
    person. When it may not (it is not in a stage that leads there, or the person's role may not make that
    move) the approval stands, the watch stays where it is, and `stage_note` says why.
    """
    require(actor, Permission.DESCRIPTIONS_WRITE)
    with session_scope() as session:
        row = _in_scope(session, actor, description_id, lock=True)
        if row.status != 'approved':
            _approve(session, actor, row)
        read = _reads(session, WatchDescription.id == row.id)[0]
    announce(read.watch_id)
    if ai_settings.current().settings.move_to_described:
        read.stage_note = _move_to_described(actor, read.watch_id)
    return read


def check_languages(languages: list[str] | None, config: AiConfig) -> list[str]:
    """The languages asked for (the configured ones when None), each known and once."""
    if languages is None:
        return list(config.settings.languages)
    wanted = list(dict.fromkeys(languages))
    if not wanted or any(code not in LANGUAGES for code in wanted):
        choices = ', '.join(f'{code} ({name})' for code, name in LANGUAGES.items())
        raise ValidationFailed(f'Choose at least one language of {choices}.', {'languages': f'Choose from {choices}.'})
    return wanted


@contextmanager
def open_writer(config: AiConfig) -> Iterator[Writer]:
    """The configured provider, if it answers at once (not Make.com): one client for every call made with it."""
    if config.provider == 'openai':
        client = openai_chat.ChatClient(config.chat_config())
        try:
            yield Writer('openai', config.settings.openai.model, client.describe)
        finally:
            client.close()
    else:
        yield Writer('builtin', None, lambda facts, language: (writer.write(facts, language), Usage()))


def write(provider: Writer, facts: WatchFacts, language: str) -> tuple[Draft, Usage]:
    """One text from the provider; its failure as our refusal, with its sentence."""
    try:
        return provider.describe(facts, language)
    except ProviderError as error:
        raise ProviderFailed(str(error), retryable=error.retryable) from None


def store_draft(actor: Actor, watch_id: int, provider: Writer, draft: Draft, usage: Usage) -> DescriptionRead:
    """Keep a provider's text as a new draft (the watch must still exist and be within the actor's reach)."""
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        row = _add_draft(session, actor, watch_id, draft, provider.provider, provider.model, usage)
        read = _reads(session, WatchDescription.id == row.id)[0]
    announce(watch_id)
    return read


# --- Make.com ----------------------------------------------------------------------------------------------------


def request_make(
    actor: Actor, config: AiConfig, watch_id: int, facts: WatchFacts, language: str, *, job_id: int | None = None
) -> str:
    """Ask the Make.com scenario for a text; returns the request id its callback will name."""
    request_id = uuid.uuid4().hex
    expires = utcnow() + timedelta(minutes=config.settings.make.callback_timeout_minutes)
    with session_scope() as session:
        session.add(
            DescriptionRequest(
                request_id=request_id,
                watch_id=watch_id,
                language=language,
                job_id=job_id,
                created_by_id=actor.id,
                expires_at=expires,
            )
        )
        audit.record(
            session,
            actor,
            'description.requested',
            'watch',
            watch_id,
            after={'language': language, 'provider': 'make', 'request_id': request_id},
        )
    client = make.MakeClient(config.settings.make.webhook_url, config.make_api_key)
    try:
        client.request(request_id, ai_settings.callback_url(), facts, language)
    except ProviderError as error:
        _close_request(request_id, f'Make.com refused the request: {error}')
        raise ProviderFailed(str(error), retryable=error.retryable) from None
    return request_id


def wait_for_callback(request_id: str, cancelled: Callable[[], bool]) -> None:
    """Block until the request is answered; raises ProviderFailed when it failed, expired or was withdrawn."""
    while True:
        with session_scope() as session:
            request = session.exec(select(DescriptionRequest).where(DescriptionRequest.request_id == request_id)).one()
            status, error, expired = request.status, request.error, request.expires_at <= utcnow()
        if status == 'done':
            return
        if status == 'failed':
            raise ProviderFailed(error or 'Make.com could not write this text.')
        if expired:
            expire_requests()
            continue
        if cancelled():
            _close_request(request_id, 'Withdrawn: the job was cancelled before Make.com answered.')
            continue
        time.sleep(POLL_SECONDS)


def receive_make_callback(timestamp: str | None, signature: str | None, raw_body: bytes) -> None:
    """Store the text a Make.com scenario sends back for a pending request.

    Refused (make.CallbackRefused, NotFound, Conflict) without a valid signature, for an unknown request id, or
    for a request that has failed or expired. A second delivery of an answered request is accepted and ignored,
    so Make.com's own retries are harmless.
    """
    config = ai_settings.current()
    if not config.make_secret:
        raise make.CallbackRefused('No Make.com signing secret is set, so no callback can be trusted.', 401)
    payload = make.verify(config.make_secret, timestamp, signature, raw_body, time.time())
    with session_scope() as session:
        request = session.exec(
            select(DescriptionRequest).where(DescriptionRequest.request_id == payload['request_id']).with_for_update()
        ).first()
        if request is None:
            raise NotFound('No description request has this id.')
        if request.status == 'done':
            log.info('Make.com delivered request %s again; it was answered already', request.request_id)
            return
        if request.status == 'failed' or request.expires_at <= utcnow():
            raise Conflict(f'This request is no longer waiting for an answer: {request.error or "it expired"}')
        _answer(session, request, payload)
        watch_id = request.watch_id
    announce(watch_id)


def expire_requests() -> int:
    """Fail the Make.com requests whose callback did not come in time; returns how many."""
    with session_scope() as session:
        stale = session.exec(
            select(DescriptionRequest)
            .where(DescriptionRequest.status == 'pending', DescriptionRequest.expires_at <= utcnow())
            .with_for_update()
        ).all()
        for request in stale:
            minutes = round((request.expires_at - request.created_at).total_seconds() / 60)
            _fail(session, request, f'Make.com did not answer within {minutes} minutes.')
        watch_ids = {request.watch_id for request in stale}
    for watch_id in watch_ids:
        announce(watch_id)
    return len(stale)


def announce(watch_id: int) -> None:
    """Tell the screens showing this watch that its texts changed (after the commit)."""
    bus.get_bus().publish(TOPIC, {'watch_id': watch_id})


# --- helpers -----------------------------------------------------------------------------------------------------


def _reads(session: Session, *conditions: object) -> list[DescriptionRead]:
    creator, approver = aliased(User), aliased(User)
    rows = session.exec(
        select(WatchDescription, creator.name, approver.name)
        .outerjoin(creator, creator.id == WatchDescription.created_by_id)
        .outerjoin(approver, approver.id == WatchDescription.approved_by_id)
        .where(*conditions)
        .order_by(WatchDescription.created_at.desc(), WatchDescription.id.desc())
    ).all()
    return [
        DescriptionRead(
            **row.model_dump(exclude={'created_by_id', 'approved_by_id'}),
            created_by_name=created_by,
            approved_by_name=approved_by,
        )
        for row, created_by, approved_by in rows
    ]


def _in_scope(session: Session, actor: Actor, description_id: int, *, lock: bool = False) -> WatchDescription:
    row = session.get(WatchDescription, description_id, with_for_update=lock)
    if row is None:
        raise NotFound('No such description; it may have been removed with its watch.')
    watch_in_scope(session, actor, row.watch_id)
    return row


def _approve(session: Session, actor: Actor, row: WatchDescription) -> None:
    previous = session.exec(
        select(WatchDescription)
        .where(
            WatchDescription.watch_id == row.watch_id,
            WatchDescription.language == row.language,
            WatchDescription.status == 'approved',
        )
        .with_for_update()
    ).first()
    if previous is not None:
        previous.status = 'superseded'
        session.flush()  # the approved slot is free before it is taken
    row.status, row.approved_at, row.approved_by_id = 'approved', utcnow(), actor.id
    try:
        session.flush()
    except IntegrityError:
        raise Conflict('Someone approved another text in this language just now; reload to see it.') from None
    audit.record(
        session,
        actor,
        'description.approved',
        'watch',
        row.watch_id,
        before={'approved_id': previous.id if previous else None},
        after={'approved_id': row.id, 'language': row.language},
    )


def _move_to_described(actor: Actor, watch_id: int) -> str:
    described = next((stage for stage in workflow.stages() if stage.key == 'described' and stage.active), None)
    if described is None:
        return 'The watch stays where it is: there is no stage called Described.'
    try:
        workflow.move_watch(actor, watch_id, described.id)
    except ServiceError as error:
        return f'The watch stays where it is: {error}'
    return f'The watch moved to {described.name}.'


def _add_draft(
    session: Session, actor: Actor, watch_id: int, draft: Draft, provider: str, model: str | None, usage: Usage
) -> WatchDescription:
    title = ' '.join(draft.title.split())[:TITLE_MAX]
    body = draft.body.strip()[:BODY_MAX]
    if not title or not body:
        raise ProviderFailed('The provider sent an empty title or text.', retryable=True)
    row = WatchDescription(
        watch_id=watch_id,
        language=draft.language,
        title=title,
        body=body,
        provider=provider,
        model=model,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        created_by_id=actor.id,
    )
    return _insert(session, actor, row, 'description.generated', provider=provider, model=model)


def _insert(session: Session, actor: Actor, row: WatchDescription, action: str, **how: object) -> WatchDescription:
    """Store a new version with its audit entry: which text, in which language, and how it came about."""
    session.add(row)
    session.flush()
    about = {'description_id': row.id, 'language': row.language, 'title': row.title, **how}
    audit.record(session, actor, action, 'watch', row.watch_id, after=about)
    return row


def _answer(session: Session, request: DescriptionRequest, payload: dict) -> None:
    """Keep a callback's text as a draft of whoever asked, or its error as the request's failure."""
    if payload.get('status') != 'ok':
        _fail(session, request, f'Make.com could not write this text: {payload.get("error") or "no reason given"}')
        return
    result = payload.get('result') or {}
    draft = Draft(request.language, str(result.get('title') or ''), str(result.get('description') or ''))
    author = replace(MAKE, id=request.created_by_id)
    try:
        _add_draft(session, author, request.watch_id, draft, 'make', None, Usage())
    except ProviderFailed as error:
        _fail(session, request, str(error))
        return
    request.status, request.completed_at = 'done', utcnow()


def _fail(session: Session, request: DescriptionRequest, message: str) -> None:
    request.status, request.error, request.completed_at = 'failed', message[:500], utcnow()
    audit.record(
        session,
        MAKE,
        'description.failed',
        'watch',
        request.watch_id,
        after={'language': request.language, 'request_id': request.request_id, 'error': request.error},
    )


def _close_request(request_id: str, message: str) -> None:
    with session_scope() as session:
        request = session.exec(
            select(DescriptionRequest).where(DescriptionRequest.request_id == request_id).with_for_update()
        ).one()
        if request.status == 'pending':
            _fail(session, request, message)


def _service_lines(history: list[dict]) -> tuple[str, ...]:
    """Service visits newest first, as "2019-05-01: Full service (Atelier Nord)"; undated ones last."""
    visits = sorted(history, key=lambda visit: visit.get('date') or '', reverse=True)
    lines = []
    for visit in visits:
        who = f' ({visit["watchmaker"]})' if visit.get('watchmaker') else ''
        when = f'{visit["date"]}: ' if visit.get('date') else ''
        lines.append(f'{when}{visit["work"]}{who}')
    return tuple(lines)


def _model_background(watch: Watch) -> str | None:
    """What the reference table knows of this reference, when it is the same brand's."""
    model = reference.by_reference(watch.reference) if watch.reference else None
    if model is None or model.brand.casefold() != watch.brand.casefold():
        return None
    years = str(model.year_from) if model.year_from == model.year_to else f'{model.year_from} to {model.year_to}'
    return f'The {model.brand} {model.model} {model.reference} was made from {years} with calibre {model.calibre}.'
