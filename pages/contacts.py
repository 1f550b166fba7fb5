"""Contacts: the people and firms we buy from, consign for, or sell to; searched, filtered and paged on the server."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import theme
from components.contact_form import KINDS, contact_dialog
from components.offload import call
from components.paged_table import PagedTable
from services import contacts
from services.errors import ServiceError
from services.permissions import Actor, Permission

_WIDE = {'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'}  # left out below 1024 px (a tablet)
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind_label', 'align': 'left', 'sortable': True, **_WIDE},
    {'name': 'company', 'label': 'Company', 'field': 'company', 'align': 'left', 'sortable': True},
    {'name': 'email', 'label': 'Email', 'field': 'email', 'align': 'left'},
    {'name': 'phone', 'label': 'Phone', 'field': 'phone', 'align': 'left', **_WIDE},
    {'name': 'city', 'label': 'City', 'field': 'city', 'align': 'left', 'sortable': True},
    {'name': 'country', 'label': 'Country', 'field': 'country', 'align': 'left', 'sortable': True},
]
_ACTIONS = {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right', 'classes': 'whitespace-nowrap'}
_NAME_SLOT = """<q-td :props="props">
  <span v-if="props.row.erased" class="italic text-stone-400">{{ props.value }}</span>
  <span v-else class="font-medium">{{ props.value }}</span>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props">
  <q-btn v-if="!props.row.erased" flat dense no-caps icon="edit" :label="$q.screen.gt.sm ? 'Edit' : ''"
         aria-label="Edit" @click="() => $parent.$emit('edit', props.row)"/>
</q-td>"""
_KINDS = {'all': 'All', **KINDS}


async def view(actor: Actor) -> None:
    manages = actor.can(Permission.CONTACTS_MANAGE)
    with ui.column().classes(theme.PAGE + ' gap-4').mark('contacts'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Contacts').classes(theme.TITLE)
                ui.label('People and firms we buy from, consign for, or sell to.').classes(theme.SUBTITLE)
            if manages:
                ui.button('New contact', icon='person_add', on_click=lambda: _create(actor, table)).props(
                    'unelevated'
                ).mark('new-contact')
        with ui.row().classes('w-full items-center gap-3'):
            search = ui.input(placeholder='Name, company or email').props('outlined dense clearable debounce=300')
            search.classes('w-full sm:w-80').mark('contact-search')
            with search.add_slot('prepend'):
                ui.icon('search')
            kind = ui.toggle(_KINDS, value='all').props('dense no-caps unelevated').mark('contact-kind')

        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            wanted = None if kind.value == 'all' else kind.value
            page = await call(
                contacts.list_contacts, actor, search.value, wanted, offset, limit, sort=sort, descending=descending
            )
            return page.total, [_row(contact) for contact in page.items]

        table = PagedTable(
            COLUMNS + ([_ACTIONS] if manages else []),
            loader,
            sort_by='name',
            descending=False,
            no_data='No contacts found.',
        )
        table.table.props('dense').mark('contact-table').add_slot('body-cell-name', _NAME_SLOT)
        if manages:
            table.table.add_slot('body-cell-actions', _ACTIONS_SLOT)
            table.table.on('edit', lambda e: _edit(actor, e.args['id'], table))
        search.on_value_change(table.first_page)
        kind.on_value_change(table.first_page)
        await table.first_page()


def _row(contact: contacts.ContactRead) -> dict[str, Any]:
    return {**contact.model_dump(mode='json'), 'kind_label': KINDS[contact.kind.value], 'erased': contact.erased}


async def _create(actor: Actor, table: PagedTable) -> None:
    if await contact_dialog(actor):
        await table.load()


async def _edit(actor: Actor, contact_id: int, table: PagedTable) -> None:
    """Edit the contact as it is now (someone may have changed it since the page was loaded)."""
    try:
        contact = await call(contacts.get_contact, actor, contact_id)
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    if await contact_dialog(actor, contact):
        await table.load()
