"""The "new batch" dialog, shared by the batches list and the inventory's "assign to batch" action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components import field_errors, theme
from components.offload import call
from services import places
from services.errors import ServiceError
from services.permissions import Actor


async def create_batch_dialog(actor: Actor, on_created: Callable[[places.BatchRead], Awaitable[None] | None]) -> None:
    """Ask for origin, destination and notes; the number is given by the service. Open locations only."""
    locations = {loc.id: loc.name for loc in await call(places.list_locations, actor)}
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('batch-dialog'):
        ui.label('New batch').classes(theme.CARD_TITLE)
        ui.label('The batch number is given automatically.').classes(theme.SUBTITLE)
        fields = {
            'origin_id': ui.select(locations, label='Origin').props('outlined dense').classes('w-full'),
            'destination_id': ui.select(locations, label='Destination').props('outlined dense').classes('w-full'),
            'notes': ui.textarea('Notes').props('outlined dense autogrow maxlength=2000').classes('w-full'),
        }
        for key, field in fields.items():
            field.mark(f'batch-{key}')

        async def submit() -> None:
            if not field_errors.require(fields, 'origin_id', 'destination_id'):
                return
            if fields['origin_id'].value == fields['destination_id'].value:
                fields['destination_id'].error = 'Must differ from the origin.'
                return
            data = {key: field.value for key, field in fields.items()}
            try:
                batch = await call(places.create_batch, actor, data)
            except ServiceError as error:
                field_errors.show(error, fields)
                return
            dialog.close()
            ui.notify(f'Batch {batch.batch_number} created.', type='positive')
            result = on_created(batch)
            if result is not None:
                await result

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Create batch', on_click=submit).mark('batch-create')
    dialog.open()


STATUS_COLOURS = {'open': 'grey-7', 'packed': 'amber-9', 'shipped': 'blue-8', 'delivered': 'green-8'}
STATUS_SLOT = """<q-td :props="props">
  <q-chip dense square text-color="white" :color="{open: 'grey-7', packed: 'amber-9', shipped: 'blue-8',
          delivered: 'green-8'}[props.value]" :label="props.value"/>
</q-td>"""


def status_chip(status: str) -> ui.chip:
    """The batch status as a small coloured chip, the same colours in the list and on the batch."""
    return ui.chip(status.title(), color=STATUS_COLOURS.get(status, 'grey-7'), text_color='white').props('dense square')
