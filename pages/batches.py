"""Batches: the list with a status filter and a "new batch" dialog, and one batch with its journey and watches.

Watches join a batch from the inventory's bulk bar; here they can only be taken out again.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import bulk_bar, format, theme, watch_table
from components.batch_form import STATUS_SLOT, create_batch_dialog, status_chip
from components.dialogs import confirm
from components.notices import empty_state
from components.offload import call
from components.paged_table import PagedTable
from components.tiles import stat_tile
from db.enums import BatchStatus
from services import places
from services.errors import NotFound, ServiceError
from services.permissions import Actor, Permission

LIST_COLUMNS = [
    {'name': 'batch_number', 'label': 'Batch', 'field': 'batch_number', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'route', 'label': 'Route', 'field': 'route', 'align': 'left', 'classes': 'whitespace-normal'},
    {'name': 'watches', 'label': 'Watches', 'field': 'watches', 'align': 'right'},
    {'name': 'created', 'label': 'Created (UTC)', 'field': 'created', 'align': 'left'},
]
_NUMBER_SLOT = """<q-td :props="props">
  <a :href="'/batches/' + props.row.id" class="font-mono font-medium text-amber-900 dark:text-amber-300
     no-underline hover:underline">{{ props.value }}</a>
</q-td>"""
DETAIL_COLUMNS = ['primary_photo_id', 'sku', 'brand', 'model', 'reference', 'stage', 'location', 'purchase_cost_base']
_STATUSES = {'all': 'All', **{status.value: status.value.title() for status in BatchStatus}}


def _route(batch: places.BatchRead) -> str:
    return f'{batch.origin or "—"} → {batch.destination or "—"}'


async def list_view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('batches'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Batches').classes(theme.TITLE)
                ui.label('Watches travelling together, from packing to delivery.').classes(theme.SUBTITLE)
            with ui.row().classes('items-center gap-2'):
                status = ui.toggle(_STATUSES, value='all').props('dense no-caps unelevated').mark('batch-status')
                if actor.can(Permission.BATCHES_MANAGE):
                    ui.button('New batch', icon='add', on_click=lambda: create_batch_dialog(actor, opened)).mark(
                        'new-batch'
                    )

        async def loader(offset: int, limit: int, _sort: str, _descending: bool) -> tuple[int, list[dict]]:
            wanted = None if status.value == 'all' else status.value
            page = await call(places.list_batches, actor, offset, limit, wanted)
            return page.total, [_list_row(batch) for batch in page.items]

        def opened(batch: places.BatchRead) -> None:
            ui.navigate.to(f'/batches/{batch.id}')

        table = PagedTable(LIST_COLUMNS, loader, sort_by='', no_data='No batches yet.')
        table.table.mark('batch-table').add_slot('body-cell-batch_number', _NUMBER_SLOT)
        table.table.add_slot('body-cell-status', STATUS_SLOT)
        status.on_value_change(table.first_page)
        await table.first_page()


def _list_row(batch: places.BatchRead) -> dict[str, Any]:
    return {
        'id': batch.id,
        'batch_number': batch.batch_number,
        'status': batch.status.value,
        'route': _route(batch),
        'watches': format.count(batch.watches),
        'created': format.when(batch.created_at).removesuffix(' UTC'),
    }


async def detail_view(actor: Actor, batch_id: str) -> None:
    """One batch; a malformed or unknown id shows a not-found state rather than an error."""
    with ui.column().classes(theme.PAGE + ' gap-4').mark('batch'):
        try:
            detail = await call(places.batch_detail, actor, int(batch_id), limit=1)
        except (ValueError, NotFound):
            empty_state('search_off', 'No such batch.', 'It may have been mistyped; see all batches.').mark(
                'batch-not-found'
            )
            ui.button('All batches', icon='arrow_back', on_click=lambda: ui.navigate.to('/batches')).props('outline')
            return
        await BatchScreen(actor, detail, ui.column().classes('w-full gap-4')).build()


class BatchScreen:
    """Header with the next step, totals, and the batch's watches (removable while it has not left)."""

    def __init__(self, actor: Actor, detail: places.BatchDetail, frame: ui.column) -> None:
        self.actor = actor
        self.detail = detail
        self.batch = detail.batch
        self.frame = frame

    async def _rebuild(self) -> None:
        """After a status step what may be done changes (no more removing once shipped): draw it all again."""
        self.frame.clear()
        await self.build()

    async def build(self) -> None:
        with self.frame:
            self.header = ui.column().classes('w-full gap-2')
            self._header()
            self.totals = ui.row().classes('w-full gap-4')
            self._totals()
            self._watches_card()
        await self.paged.load()

    def _watches_card(self) -> None:
        with ui.card().classes(theme.CARD):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Watches').classes(theme.CARD_TITLE)
                if self._editable():
                    self.remove = ui.button('Remove from batch', icon='remove_circle_outline', on_click=self._remove)
                    self.remove.props('flat color=negative').mark('remove-watches')
            self.paged = PagedTable(
                watch_table.column_defs(self._columns()),
                self._load,
                sort_by='created_at',
                no_data='No watches in this batch yet. Add them from the inventory list.',
                selection='multiple' if self._editable() else None,
            )
            self.paged.table.mark('batch-watches').props('dense')
            watch_table.decorate(self.paged.table)

    def _columns(self) -> list[str]:
        shown = DETAIL_COLUMNS
        return shown if self.detail.total_cost is not None else [c for c in shown if c != 'purchase_cost_base']

    def _editable(self) -> bool:
        return self.actor.can(Permission.BATCHES_MANAGE) and self.batch.status in places.EDITABLE

    def _header(self) -> None:
        b = self.batch
        self.header.clear()
        with self.header:
            with ui.row().classes('w-full items-center gap-3'):
                ui.link('Batches', '/batches').classes(f'text-sm {theme.MUTED}')
                ui.icon('chevron_right').classes(theme.MUTED)
            with ui.row().classes('w-full items-center gap-3'):
                ui.label(f'Batch {b.batch_number}').classes(theme.TITLE + ' font-mono').mark('batch-number')
                status_chip(b.status.value).mark('batch-status-chip')
                ui.space()
                following = places.NEXT_STATUS.get(b.status)
                if following and self.actor.can(Permission.BATCHES_MANAGE):
                    ui.button(f'Mark as {following.value}', icon='arrow_forward', on_click=self._advance).mark(
                        'advance'
                    )
            details = [_route(b)]
            if b.carrier or b.tracking_number:
                details.append(f'{b.carrier or ""} {b.tracking_number or ""}'.strip())
            if b.shipped_at:
                details.append(f'shipped {format.when(b.shipped_at)}')
            if b.delivered_at:
                details.append(f'delivered {format.when(b.delivered_at)}')
            ui.label(' · '.join(details)).classes(theme.SUBTITLE).mark('batch-route')
            if b.notes:
                ui.label(b.notes).classes('text-sm whitespace-pre-line')

    def _totals(self) -> None:
        self.totals.clear()
        with self.totals:
            stat_tile('Watches', format.count(self.detail.count), icon='watch', mark='batch-count')
            if self.detail.total_cost is not None:
                cost = format.money(self.detail.total_cost, self.detail.base_currency)
                stat_tile('Cost', cost, icon='account_balance', mark='batch-cost')

    async def _load(self, offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
        self.detail = await call(
            places.batch_detail, self.actor, self.batch.id, offset=offset, limit=limit, sort=sort, descending=descending
        )
        self.batch = self.detail.batch
        currency = self.detail.base_currency
        return self.detail.watches.total, [watch_table.row(item, currency) for item in self.detail.watches.items]

    async def _refresh(self) -> None:
        await self.paged.load()
        self._header()
        self._totals()

    async def _advance(self) -> None:
        """One step on: shipping asks for carrier and tracking; delivery says where the watches will be."""
        following = places.NEXT_STATUS[self.batch.status]
        answer = await _advance_dialog(self.batch, following)
        if answer is None:
            return
        try:
            self.batch = await call(places.advance_batch, self.actor, self.batch.id, following, **answer)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        ui.notify(f'Batch {self.batch.batch_number} is {following.value}.', type='positive')
        await self._rebuild()

    async def _remove(self) -> None:
        chosen = [row['id'] for row in self.paged.table.selected]
        if not chosen:
            ui.notify('Tick the watches to take out of the batch first.', type='warning')
            return
        if not await confirm(f'Take {len(chosen)} watch{"es" if len(chosen) > 1 else ""} out of this batch?', 'Remove'):
            return
        try:
            result = await call(places.remove_watches, self.actor, self.batch.id, chosen)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        bulk_bar.report('taken out of the batch', result)
        self.paged.table.selected = []
        await self._refresh()


async def _advance_dialog(batch: places.BatchRead, following: BatchStatus) -> dict[str, str | None] | None:
    """The extra answers the step needs (carrier and tracking for shipping), or None when cancelled."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('advance-dialog'):
        ui.label(f'Mark batch {batch.batch_number} as {following.value}?').classes(theme.CARD_TITLE)
        carrier = tracking = None
        if following is BatchStatus.SHIPPED:
            carrier = ui.input('Carrier', value=batch.carrier or '').props('outlined dense maxlength=40')
            carrier.classes('w-full').mark('carrier')
            tracking = ui.input('Tracking number', value=batch.tracking_number or '').props(
                'outlined dense maxlength=60'
            )
            tracking.classes('w-full').mark('tracking')
        elif following is BatchStatus.DELIVERED:
            ui.label(
                f'All {format.count(batch.watches)} watches of the batch will be at {batch.destination} from now on.'
            ).classes('text-sm')
        else:
            ui.label('Watches can still be added or taken out while the batch is packed.').classes('text-sm')

        def submit() -> None:
            if carrier is None or tracking is None:
                dialog.submit({})
                return
            if not (carrier.value or '').strip():
                carrier.error = 'Required to ship.'
                return
            dialog.submit({'carrier': carrier.value.strip(), 'tracking_number': (tracking.value or '').strip() or None})

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
            ui.button(f'Mark as {following.value}', on_click=submit).mark('advance-confirm')
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:  # the screen may have been redrawn meanwhile
            dialog.delete()
