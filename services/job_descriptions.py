"""The descriptions job: new drafts for the chosen (or matching) watches in the chosen languages.

Each item is one watch in one language, its own unit of work, so a failed item (with the provider's sentence)
is retried alone and never duplicates a text that succeeded. A batch holds a few waves of the provider's
concurrency and its items run side by side in a thread pool; each item looks for a cancel before asking the
provider, so a cancel waits for at most one round of provider calls (the items not asked are failed items, for
"retry failed"). A Make.com item waits for its callback, polling its request row;
it gives up when the request expires, and withdraws it when the job is cancelled (a withdrawn item is a failed
item: once a resumed job has ended, "retry failed" asks for it again). Approved texts stay untouched:
a watch that has one gets a new draft beside it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlmodel import Session

from db.engine import session_scope
from db.enums import JobStatus
from db.system import Job
from services import ai_settings, descriptions, spreadsheets
from services.ai_settings import AiConfig
from services.errors import ValidationFailed
from services.integrations.ai import LANGUAGES
from services.job_kinds import Failures, JobKind, Plan, RunContext, failure_message
from services.permissions import Actor, Permission, require
from services.validation import validated
from services.watch_filter import WatchFilter

BUILTIN_BATCH = 25
WAVES = 8  # items per pool thread in one batch of a provider that is asked over the network
CANCELLED = 'Not written: the job was cancelled before this text was asked for.'
PROVIDER_NAMES = {'builtin': 'built-in writer', 'openai': 'OpenAI-compatible', 'make': 'Make.com'}


class DescribeParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    ids: list[int] | None = Field(default=None, max_length=spreadsheets.MAX_SELECTION)
    filters: WatchFilter | None = Field(default=None, validation_alias=AliasChoices('filters', 'filter'))
    languages: list[str] | None = None


class DescriptionsKind(JobKind):
    name = 'descriptions'
    label = 'Descriptions'
    permission = Permission.DESCRIPTIONS_WRITE

    @property
    def batch(self) -> int:  # type: ignore[override]
        """Several waves of as many items as the provider may be asked at once (read per batch: a change applies at
        the next). A batch only as large as the pool would wait for its slowest reply before the next could start;
        with a few waves the pool stays full between the runner's checkpoints. The built-in writer takes a few
        milliseconds an item, so its batches are larger and run one after another."""
        config = ai_settings.current()
        return BUILTIN_BATCH if config.provider == 'builtin' else config.concurrency * WAVES

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        require(actor, Permission.DESCRIPTIONS_WRITE, Permission.INVENTORY_VIEW)
        wanted = validated(DescribeParams, params)
        config = ai_settings.load(session)
        languages = descriptions.check_languages(wanted.languages, config)
        ids = spreadsheets.export_ids(session, actor, wanted.filters or WatchFilter(), wanted.ids)
        if not ids:
            raise ValidationFailed('No watches to describe: none is selected or matches the filters.')
        noun = 'watch' if len(ids) == 1 else 'watches'
        title = f'Descriptions of {len(ids):,} {noun} ({", ".join(languages)}, {PROVIDER_NAMES[config.provider]})'
        keys = [f'{watch_id}:{language}' for watch_id in ids for language in languages]
        stored = {**wanted.model_dump(mode='json', exclude={'languages'}), 'languages': languages}
        return Plan(params=stored, keys=keys, title=title)

    def prepare(self, ctx: RunContext) -> None:
        ctx.state['config'] = ai_settings.current()

    def run(self, ctx: RunContext, keys: list[str]) -> Failures:
        config: AiConfig = ctx.state['config']
        workers = max(1, min(config.concurrency, len(keys)))
        with descriptions.open_writer(config) as provider, ThreadPoolExecutor(workers) as pool:
            failures = dict(pool.map(lambda key: (key, self._attempt(ctx, config, provider, key)), keys))
        ctx.check_soon = _cancel_requested(ctx.job_id)  # the job then ends cancelled, not with failed items
        return {key: message for key, message in failures.items() if message}

    def _attempt(self, ctx: RunContext, config: AiConfig, provider: descriptions.Writer, key: str) -> str | None:
        """One item; its failure's message, or None when it worked."""
        try:
            watch_id, language = _split(key)
            facts = descriptions.facts_of(ctx.actor, watch_id)
            ctx.note(self.item_label(key))
            if _cancel_requested(ctx.job_id):  # a batch holds several waves: the later ones are not sent at all
                return CANCELLED
            if config.provider == 'make':
                request_id = descriptions.request_make(ctx.actor, config, watch_id, facts, language, job_id=ctx.job_id)
                descriptions.wait_for_callback(request_id, lambda: _cancel_requested(ctx.job_id))
            else:
                draft, usage = descriptions.write(provider, facts, language)
                descriptions.store_draft(ctx.actor, watch_id, provider, draft, usage)
        except Exception as error:  # one item's fault, whatever it is, never stops the others
            return failure_message(error)
        return None

    def item_label(self, key: str) -> str:
        watch_id, _, language = key.partition(':')
        return f'Watch {watch_id}, {LANGUAGES.get(language, language)}'


def _split(key: str) -> tuple[int, str]:
    watch_id, _, language = key.partition(':')
    return int(watch_id), language


def _cancel_requested(job_id: int) -> bool:
    """Someone asked the job to stop, or it is no longer running (taken from this worker)."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        return job is None or job.cancel_requested or job.status != JobStatus.RUNNING
