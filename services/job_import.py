"""The import job: a stashed CSV or XLSX file of watches, one row an item, each row its own transaction.

The file is read and its columns mapped at start, so a file without Brand and Model columns is refused before
any job exists. Every row is then checked the way intake would check it (the spreadsheet import's own
`RowChecker`) and taken in on its own: a bad row is a failed item naming its columns' problems and the rest
come in. (The spreadsheet page's direct import is all or nothing; this one suits files too big to fix at once.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from db.engine import session_scope
from services import audit, spreadsheets, watches
from services.errors import ValidationFailed
from services.job_kinds import JobKind, Plan, RunContext, upload_path
from services.permissions import Actor, Permission
from services.validation import validated

UPLOAD_FILE = 'upload'


class ImportParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    upload: str
    filename: str = Field(min_length=1, max_length=200)


class ImportKind(JobKind):
    name = 'import'
    label = 'Import'
    permission = Permission.INVENTORY_IMPORT

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        wanted = validated(ImportParams, params)
        stashed = _stashed(actor, wanted.upload)
        table = spreadsheets.read_import(actor, wanted.filename, stashed.read_bytes())
        if not table.rows:
            raise ValidationFailed('The file has no rows below its column names.')
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stashed, directory / UPLOAD_FILE)
        noun = 'row' if len(table.rows) == 1 else 'rows'
        return Plan(
            params={'filename': wanted.filename},
            keys=[str(number) for number, _ in table.rows],
            title=f'Import of {len(table.rows):,} {noun} from {wanted.filename}',
        )

    def prepare(self, ctx: RunContext) -> None:
        data = (ctx.directory / UPLOAD_FILE).read_bytes()
        table = spreadsheets.read_import(ctx.actor, ctx.params['filename'], data)
        with session_scope() as session:
            ctx.state['checker'] = spreadsheets.RowChecker(session, table)
            ctx.state['stage_id'] = watches.initial_stage_id(session)
        ctx.state['rows'] = dict(table.rows)

    def item(self, ctx: RunContext, key: str) -> None:
        number = int(key)
        checker: spreadsheets.RowChecker = ctx.state['checker']
        row = ctx.state['rows'][number]
        with session_scope() as session:
            taken = spreadsheets.taken_skus(session, [sku] if (sku := checker.sku(row)) else [])
            checked = checker.check(ctx.actor, number, row, taken)
            if isinstance(checked, list):
                raise ValidationFailed('; '.join(f'{error.column}: {error.message}' for error in checked))
            values, given_sku = checked
            watch = watches.insert_watch(session, ctx.actor, values, ctx.state['stage_id'], given_sku=given_sku)
            after = {'sku': watch.sku, 'file': ctx.params['filename'], 'row': number}
            audit.record(session, ctx.actor, 'watch.imported', 'watch', watch.id, after=after)

    def item_label(self, key: str) -> str:
        return f'Row {key}'


def _stashed(actor: Actor, token: str) -> Path:
    """The stashed file behind `token`, which only the person who uploaded it may import."""
    directory = upload_path(token)
    owner = directory / 'owner'
    if not owner.exists() or owner.read_text() != str(actor.id):
        raise ValidationFailed('The uploaded file is missing; upload it again.')
    return directory / UPLOAD_FILE
