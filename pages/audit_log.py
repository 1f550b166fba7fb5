"""The audit log: every change, by whom and when, with before and after values (admins)."""

from __future__ import annotations

import json

from nicegui import run, ui

from components import format, theme
from components.paged_table import PagedTable
from services import audit
from services.permissions import Actor

COLUMNS = [
    {'name': 'at', 'label': 'When', 'field': 'at', 'sortable': True, 'align': 'left'},
    {'name': 'actor_label', 'label': 'Who', 'field': 'actor_label', 'sortable': True, 'align': 'left'},
    {'name': 'action', 'label': 'Action', 'field': 'action', 'sortable': True, 'align': 'left'},
    {'name': 'entity_type', 'label': 'Entity', 'field': 'entity', 'sortable': True, 'align': 'left'},
    {'name': 'change', 'label': 'Change', 'field': 'change', 'align': 'left', 'classes': 'max-w-md truncate'},
]


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE).mark('audit'):
        with ui.row().classes('w-full items-end justify-between'):
            with ui.column().classes('gap-0'):
                ui.label('Audit log').classes(theme.TITLE)
                ui.label('Append-only: entries cannot be changed or deleted.').classes(theme.SUBTITLE)
            search = ui.input(placeholder='Filter by person, action or entity').props(
                'outlined dense clearable debounce=300'
            )
            search.classes('w-72').mark('audit-filter')

        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            page = await run.io_bound(
                lambda: audit.list_entries(
                    actor, offset=offset, limit=limit, sort=sort, descending=descending, query=search.value or ''
                )
            )
            return page.total, [_row(entry) for entry in page.items]

        table = PagedTable(COLUMNS, loader, sort_by='at')
        search.on_value_change(table.first_page)
        await table.first_page()


def _row(entry: audit.EntryRead) -> dict:
    change = ', '.join(
        f'{key}: {json.dumps((entry.before or {}).get(key))} → {json.dumps(value)}'
        for key, value in (entry.after or {}).items()
    )
    return {
        'id': entry.id,
        'at': format.when(entry.at),
        'actor_label': entry.actor_label,
        'action': entry.action,
        'entity': f'{entry.entity_type} {entry.entity_id or ""}'.strip(),
        'change': change or '—',
    }
