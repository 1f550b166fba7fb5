"""What a kind of job is: how it checks its parameters, plans its items, does one batch of them, and finishes.

The runner in `services.jobs` knows nothing of exports or imports. It asks the kind for the item keys once, at
start (they are stored, so a resume or a retry knows them), then hands the kind batches of keys in order and
counts what comes back. A kind whose items write something to assemble at the end (an export's rows, a
label's data) saves it as a *part* named after the batch: redoing a batch after a resume overwrites its part,
so a second run never duplicates anything.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlmodel import Session

from config import get_settings
from services.errors import ServiceError, ValidationFailed
from services.permissions import Actor, Permission

_TOKEN = re.compile(r'[0-9a-f]{32}')
# Failed items: the message of a refusal as it is; anything else with its type, so a bug is recognisable.
Failures = dict[str, str]


@dataclass(frozen=True)
class Plan:
    """What `start` stores: the checked parameters, the item keys in order and the job's title."""

    params: dict[str, Any]
    keys: list[str]
    title: str


@dataclass(frozen=True)
class Output:
    """A file a job produced, in its directory."""

    name: str
    path: Path
    media_type: str


@dataclass
class RunContext:
    """One run of one job, as a kind sees it: who started it, with what, and where its files go.

    `state` holds what a kind prepares once per run (a parsed upload); the runner never looks inside.
    """

    job_id: int
    actor: Actor
    params: dict[str, Any]
    directory: Path
    state: dict[str, Any] = field(default_factory=dict)
    note: Callable[[str], None] = lambda _text: None  # how far a long single item has come, for the screens
    outcome: str | None = None  # what the run achieved in words ("5 rates added"): the finished job says it
    check_soon: bool = False  # set by a kind that saw a cancel: the runner reads it after this batch, not later

    def save_part(self, name: str, value: Any) -> None:
        """Keep a batch's output until the end; written whole or not at all, so a crash leaves no half part."""
        parts = self.directory / 'parts'
        parts.mkdir(parents=True, exist_ok=True)
        partial = parts / f'{name}.tmp'
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(parts / f'{name}.part')

    def part_name(self, keys: list[str]) -> str:
        """A name that is the same whenever the same keys are done again, and differs for any other batch."""
        return hashlib.sha256('\n'.join(keys).encode()).hexdigest()[:24]

    def parts(self) -> Iterator[Any]:
        """Every saved part, in the order of their names (the runner's own files, never a user's)."""
        for path in sorted((self.directory / 'parts').glob('*.part')):
            yield pickle.loads(path.read_bytes())  # written by save_part above, never uploaded


class JobKind:
    """The base of every kind: a name, a label for screens, the permission it needs, and four steps.

    `batch` is how many keys one `run` call gets: 1 for kinds whose items stand alone (an import row is its
    own transaction), more for kinds that read or write many items at once (an export reads 500 rows a query).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    permission: ClassVar[Permission]
    batch: ClassVar[int] = 1

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        """Check the parameters (ValidationFailed when wrong) and list the items; `directory` is the job's."""
        raise NotImplementedError

    def prepare(self, ctx: RunContext) -> None:
        """Load what every batch of this run needs (called once per run, also after a resume)."""

    def run(self, ctx: RunContext, keys: list[str]) -> Failures:
        """Do these items; returns the failed ones with their messages. Raising fails the whole batch."""
        failures: Failures = {}
        for key in keys:
            try:
                self.item(ctx, key)
            except Exception as error:  # one item's fault, whatever it is, never stops the others
                failures[key] = failure_message(error)
        return failures

    def item(self, ctx: RunContext, key: str) -> None:
        """Do one item (for kinds with the default `run`)."""
        raise NotImplementedError

    def item_label(self, key: str) -> str:
        """How an item is named in the job's errors and as its current item."""
        return key

    def finish(self, ctx: RunContext, done: int) -> Output | None:
        """After the last item: assemble the result (a file) and audit what was done; raising fails the job."""
        return None


def failure_message(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return str(error)
    return f'{type(error).__name__}: {error}'


def jobs_root() -> Path:
    return get_settings().var_dir / 'jobs'


def job_directory(job_id: int) -> Path:
    """Where a job keeps its upload, its parts and its result; removed with the job."""
    return jobs_root() / str(job_id)


def upload_path(token: str) -> Path:
    """A stashed upload waiting for its import job; refuses anything that is not a token we handed out."""
    if not _TOKEN.fullmatch(token):
        raise ValidationFailed('The uploaded file is missing; upload it again.')
    return jobs_root() / 'uploads' / token
