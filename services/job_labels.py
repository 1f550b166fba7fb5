"""The label job: labels for up to a thousand watches in one of the three layouts, a hundred a batch.

Each batch looks its watches up (a deleted one, or one out of the starter's reach, is a failed item) and keeps
what their labels show as a part; the file is drawn at the end, in the order the watches were chosen.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from db.engine import session_scope
from services import labels
from services.job_kinds import Failures, JobKind, Output, Plan, RunContext
from services.permissions import Actor, Permission
from services.validation import validated

LAYOUT_NAMES = {'brother': 'Brother 62 × 29 mm', 'a4': 'A4 sheet', 'zpl': 'Zebra ZPL'}


class LabelParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    layout: labels.Layout
    ids: list[int]


class LabelKind(JobKind):
    name = 'labels'
    label = 'Labels'
    permission = Permission.LABELS_PRINT
    batch = 100

    def plan(self, session: Session, actor: Actor, params: dict[str, Any], directory: Path) -> Plan:
        wanted = validated(LabelParams, params)
        ids = labels.check_selection(actor, wanted.ids)
        noun = 'label' if len(ids) == 1 else 'labels'
        title = f'{len(ids):,} {noun} ({LAYOUT_NAMES[wanted.layout]})'
        return Plan(params={'layout': wanted.layout, 'ids': ids}, keys=[str(watch_id) for watch_id in ids], title=title)

    def run(self, ctx: RunContext, keys: list[str]) -> Failures:
        with session_scope() as session:
            found = labels.load_labels(session, ctx.actor, [int(key) for key in keys])
        if found:
            ctx.save_part(ctx.part_name(keys), list(found.values()))
        gone = 'This watch was deleted or is no longer within your reach.'
        return {key: gone for key in keys if int(key) not in found}

    def item_label(self, key: str) -> str:
        return f'Watch {key}'

    def finish(self, ctx: RunContext, done: int) -> Output:
        order = {watch_id: index for index, watch_id in enumerate(ctx.params['ids'])}
        by_id = {label.watch_id: label for label in chain.from_iterable(ctx.parts())}
        chosen = sorted(by_id.values(), key=lambda label: order[label.watch_id])
        name, media_type = labels.FILES[ctx.params['layout']]
        path = ctx.directory / name
        path.write_bytes(labels.render(ctx.params['layout'], chosen))
        return Output(name=name, path=path, media_type=media_type)
