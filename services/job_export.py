"""The export job: the chosen (or matching) watches as a CSV or XLSX file, 500 rows a batch.

The columns and their rules (costs only with cost access, serials only with serial access, an agent only
their own watches) are the spreadsheet export's own. Each batch keeps its rows as a part; the file is written
from the parts at the end, in id order. A watch deleted (or taken out of the starter's reach) between the
start and its batch is a failed item, so the file says exactly what it holds.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from db.engine import session_scope
from services import spreadsheets
from services.errors import ValidationFailed
from services.job_kinds import Failures, JobKind, Output, Plan, RunContext
from services.permissions import Actor, Permission
from services.validation import validated
from services.watch_filter import WatchFilter

MEDIA_TYPES = {
    'csv': 'text/csv',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}


class ExportParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    fmt: Literal['csv', 'xlsx'] = 'csv'
    ids: list[int] | None = None
    filters: WatchFilter | None = None


class ExportKind(JobKind):
    name = 'export'
    label = 'Export'
    permission = Permission.INVENTORY_EXPORT
    batch = 500

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        wanted = validated(ExportParams, params)
        filters = spreadsheets.check_export(actor, ids=wanted.ids, filters=wanted.filters, fmt=wanted.fmt)
        ids = spreadsheets.export_ids(session, actor, filters, wanted.ids)
        if not ids:
            raise ValidationFailed('No watches to export: none is selected or matches the filters.')
        noun = 'watch' if len(ids) == 1 else 'watches'
        title = f'Export of {len(ids):,} {noun} ({wanted.fmt.upper()})'
        return Plan(params=wanted.model_dump(mode='json'), keys=[str(watch_id) for watch_id in ids], title=title)

    def prepare(self, ctx: RunContext) -> None:
        ctx.state['columns'] = spreadsheets.export_columns(ctx.actor)

    def run(self, ctx: RunContext, keys: list[str]) -> Failures:
        columns = ctx.state['columns']
        with session_scope() as session:
            ids = [int(key) for key in keys]
            rows = list(spreadsheets.export_rows(session, ctx.actor, WatchFilter(), ids, columns))
        if rows:
            ctx.save_part(ctx.part_name(keys), rows)
        written = {str(row[-1]) for row in rows}  # the Id column comes last, whatever else the actor may see
        gone = 'This watch was deleted or is no longer within your reach.'
        return {key: gone for key in keys if key not in written}

    def item_label(self, key: str) -> str:
        return f'Watch {key}'

    def finish(self, ctx: RunContext, done: int) -> Output:
        fmt = ctx.params['fmt']
        columns = ctx.state['columns']
        by_id = {row[-1]: row for row in chain.from_iterable(ctx.parts())}  # a watch in two parts is written once
        rows = [by_id[watch_id] for watch_id in sorted(by_id)]
        data, count = spreadsheets.write_table(fmt, [column.heading for column in columns], rows)
        name = spreadsheets.export_name(fmt)
        path = ctx.directory / name
        path.write_bytes(data)
        with session_scope() as session:
            selection = ctx.params['ids'] is not None
            spreadsheets.record_export(session, ctx.actor, fmt=fmt, count=count, selection=selection)
        return Output(name=name, path=path, media_type=MEDIA_TYPES[fmt])
