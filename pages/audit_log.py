"""The audit log: every change, by whom and when, with before and after values (admins)."""

from __future__ import annotations

from nicegui import ui

from components import format, theme
from components.offload import call
from components.paged_table import PagedTable
from services import audit
from services.permissions import Actor

COLUMNS = [
    {'name': 'at', 'label': 'When (UTC)', 'field': 'at', 'sortable': True, 'align': 'left'},
    {'name': 'actor_label', 'label': 'Who', 'field': 'actor_label', 'sortable': True, 'align': 'left'},
    {'name': 'action', 'label': 'Action', 'field': 'action', 'sortable': True, 'align': 'left'},
    {'name': 'entity_type', 'label': 'Entity', 'field': 'entity', 'sortable': True, 'align': 'left'},
    {
        'name': 'change',
        'label': 'Change',
        'field': 'change',
        'align': 'left',
        'classes': 'whitespace-normal',
        'style': 'overflow-wrap: anywhere; min-width: 10rem',
    },
]


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE).mark('audit'):
        with ui.row().classes('w-full items-end justify-between gap-4'):
            with ui.column().classes('gap-0'):
                ui.label('Audit log').classes(theme.TITLE)
                ui.label('Append-only: entries cannot be changed or deleted.').classes(theme.SUBTITLE)
            search = ui.input(placeholder='Filter by person, action or entity').props(
                'outlined dense clearable debounce=300'
            )
            search.classes('w-full sm:w-72').mark('audit-filter')
            with search.add_slot('prepend'):
                ui.icon('search')

        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            page = await call(
                audit.list_entries,
                actor,
                offset=offset,
                limit=limit,
                sort=sort,
                descending=descending,
                query=search.value or '',
            )
            return page.total, [_row(entry) for entry in page.items]

        table = PagedTable(COLUMNS, loader, sort_by='at', no_data='No entries match this filter.')
        search.on_value_change(table.first_page)
        await table.first_page()


def _row(entry: audit.EntryRead) -> dict:
    return {
        'id': entry.id,
        'at': format.log_time(entry.at),
        'actor_label': entry.actor_label,
        'action': entry.action,
        'entity': f'{entry.entity_type} {entry.entity_id or ""}'.strip(),
        'change': format.change(entry.before, entry.after),
    }
