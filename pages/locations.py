"""Locations (offices, warehouses, agents, watchmakers): list, create, edit, and take out of or back into use."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import field_errors, theme
from components.dialogs import confirm
from components.offload import call
from db.enums import LocationKind
from services import places
from services.errors import ServiceError
from services.permissions import Actor

KINDS = {kind.value: kind.value.replace('_', ' ').capitalize() for kind in LocationKind}
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind_label', 'align': 'left', 'sortable': True},
    {'name': 'address', 'label': 'Address', 'field': 'address', 'align': 'left', 'classes': 'whitespace-normal'},
    {'name': 'country', 'label': 'Country', 'field': 'country', 'align': 'left'},
    {'name': 'active', 'label': 'In use', 'field': 'active', 'align': 'left'},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'},
]
_ACTIVE_SLOT = """<q-td :props="props">
  <q-chip dense square :color="props.value ? 'green-8' : 'grey-6'" text-color="white"
          :label="props.value ? 'In use' : 'Retired'"/>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props" class="whitespace-nowrap">
  <q-btn flat dense no-caps icon="edit" label="Edit" @click="() => $parent.$emit('edit', props.row)"/>
  <q-btn flat dense no-caps :icon="props.row.active ? 'block' : 'check_circle'"
         :label="props.row.active ? 'Deactivate' : 'Activate'"
         @click="() => $parent.$emit('toggle', props.row)"/>
</q-td>"""


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('locations'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Locations').classes(theme.TITLE)
                ui.label('Where watches can be: a location in use cannot be retired while watches are there.').classes(
                    theme.SUBTITLE
                )
            ui.button('New location', icon='add', on_click=lambda: _edit_dialog(actor, None, reload)).mark(
                'new-location'
            )
        table = ui.table(columns=COLUMNS, rows=[], row_key='id').props('flat bordered').classes('w-full')
        table.mark('location-table').props['no-data-label'] = 'No locations yet.'
        table.add_slot('body-cell-active', _ACTIVE_SLOT)
        table.add_slot('body-cell-actions', _ACTIONS_SLOT)

        async def reload() -> None:
            locations = await call(places.list_locations, actor, include_inactive=True)
            table.rows = [_row(location) for location in locations]

        table.on('edit', lambda e: _edit_dialog(actor, e.args, reload))
        table.on('toggle', lambda e: _toggle(actor, e.args, reload))
        await reload()


def _row(location: places.LocationRead) -> dict[str, Any]:
    return {**location.model_dump(mode='json'), 'kind_label': KINDS[location.kind.value]}


async def _toggle(actor: Actor, row: dict[str, Any], reload: Any) -> None:
    """Retire (asking first) or bring back a location; the service refuses while watches are still there."""
    detail = 'It will no longer be offered for watches or batches.'
    if row['active'] and not await confirm(f'Deactivate {row["name"]}?', 'Deactivate', detail=detail):
        return
    change = places.deactivate_location if row['active'] else places.activate_location
    try:
        location = await call(change, actor, row['id'])
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    ui.notify(f'{location.name} is {"in use" if location.active else "retired"}.', type='positive')
    await reload()


def _edit_dialog(actor: Actor, row: dict[str, Any] | None, reload: Any) -> None:
    """Create (row None) or edit a location; required fields and the service's refusals show under the fields."""
    row = row or {}
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('location-dialog'):
        ui.label('Edit location' if row else 'New location').classes(theme.CARD_TITLE)
        fields = {
            'name': ui.input('Name', value=row.get('name', '')).props('outlined dense maxlength=120'),
            'kind': ui.select(KINDS, label='Kind', value=row.get('kind')).props('outlined dense'),
            'address': ui.textarea('Address', value=row.get('address') or '').props('outlined dense autogrow'),
            'country': ui.input('Country (two letters, e.g. SE)', value=row.get('country') or '').props(
                'outlined dense maxlength=2'
            ),
        }
        for key, field in fields.items():
            field.classes('w-full').mark(f'location-{key}')

        async def save() -> None:
            if not field_errors.require(fields, 'name', 'kind'):
                return
            data = {key: (field.value or None) for key, field in fields.items()}
            try:
                if row:
                    await call(places.update_location, actor, row['id'], data)
                else:
                    await call(places.create_location, actor, data)
            except ServiceError as error:
                field_errors.show(error, fields, conflict='name')
                return
            dialog.close()
            ui.notify(f'{data["name"]} saved.', type='positive')
            await reload()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Save', on_click=save).mark('location-save')
    dialog.open()
