"""A watch's Finance section: sale, costs, profit, margin and FX difference, and every booking behind them.

It loads and follows its figures by itself: a booking on this watch (`live.watch_booked`) re-reads the watch's P/L
through `offload.call` (one indexed query, a few milliseconds), coalesced, so a burst of bookings is one reload;
bookings on other watches leave it alone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from components import format, theme
from components.booking_dialog import open_booking
from components.live_screen import follow_bookings_of
from components.memory_pages import SORT, MemoryPages
from components.offload import call
from components.paged_table import PagedTable
from db.enums import TransactionType
from services.errors import ServiceError
from services.permissions import Actor, Permission
from services.pnl import CATEGORIES, CurrencyTotal, WaitingPurchase, WatchPnl, watch_pnl

FX_HELP = (
    'Realised FX difference: the purchase converted at the exchange rate of the sale date, minus the purchase as '
    'booked at the rate of its own date. Positive: the purchase currency lost value against the base currency '
    'while the watch was in stock, so the same purchase would have cost that much less on the day of the sale. '
    'Shown only when the watch was bought in one currency and sold in another.'
)
COST_TYPES = (TransactionType.SERVICE, TransactionType.SHIPPING, TransactionType.PLATFORM_FEE,
              TransactionType.REFUND, TransactionType.ADJUSTMENT)  # fmt: skip
LABELS = {category.key: category.label for category in CATEGORIES}
# Four columns, so the table fits the page's left column at 1280 px: what counts as what, the reference and the
# memo sit under the booking, the rate under the amount.
COLUMNS = [
    {'name': 'value_date', 'label': 'Date', 'field': 'value_date', 'align': 'left', 'sortable': True},
    {'name': 'type', 'label': 'Booking', 'field': 'type_text', 'align': 'left', 'sortable': True},
    {'name': 'amount', 'label': 'Amount', 'field': 'amount_text', 'align': 'right', 'sortable': True},
    {'name': 'base_amount', 'label': 'Base amount', 'field': 'base_text', 'align': 'right', 'sortable': True,
     'classes': 'whitespace-nowrap'},
]  # fmt: skip


class FinanceTab:
    """The "Finance" card of a watch's page."""

    def __init__(self, actor: Actor, watch_id: int) -> None:
        self.actor = actor
        self.watch_id = watch_id
        self.lines = MemoryPages()
        with ui.card().classes(theme.CARD).mark('finance-tab'):
            with ui.row().classes('w-full items-center justify-between'):
                with ui.column().classes('gap-0'):
                    ui.label('Finance').classes(theme.CARD_TITLE)
                    self.currency = ui.label().classes(f'text-xs {theme.MUTED}')
                if actor.can(Permission.LEDGER_BOOK):
                    add = ui.button('Add a cost…', icon='add', on_click=self._add_cost).props('outline')
                    add.mark('finance-add-cost')
            self.summary = ui.row().classes('w-full gap-3')
            with self.summary, ui.row().classes(f'items-center gap-2 text-sm {theme.MUTED}'):
                ui.spinner(size='1.2em')
                ui.label('Loading the figures…')
            self.subtotals = ui.label().classes(f'text-xs {theme.MUTED}').mark('finance-currencies')
            self.waiting, self.waiting_text = _waiting_note(actor)
            self.table = PagedTable(COLUMNS, self.lines.loader, sort_by='value_date', descending=False, per_page=10,
                                    no_data='Nothing booked on this watch yet.')  # fmt: skip
            self.table.table.mark('finance-lines')
            self.table.table.add_slot('body-cell-type', _TYPE_SLOT)
            self.table.table.add_slot('body-cell-amount', _AMOUNT_SLOT)
            self.reloads = follow_bookings_of(self.watch_id, self.reload, pause=1.0)
        self.reloads.poke()

    async def _add_cost(self) -> None:
        """The booking dialog, fixed on this watch, offering the costs; the new row arrives by `watch_booked`."""
        await open_booking(self.actor, watch_id=self.watch_id, types=COST_TYPES)

    async def reload(self) -> None:
        try:
            result = await call(watch_pnl, self.actor, self.watch_id)
        except ServiceError as error:
            self.summary.clear()
            with self.summary:
                ui.label(str(error)).classes(f'text-sm {theme.MUTED}')
            return
        self.currency.text = f'All figures in {result.base_currency}'
        self._summary(result)
        self.subtotals.text = 'Booked in ' + ' · '.join(
            _subtotal(total, result.base_currency) for total in result.by_currency
        )
        self._waiting(result.waiting_purchase)
        self.lines.rows = [_row(line, result.base_currency) for line in result.lines]
        await self.table.load()

    def _waiting(self, waiting: WaitingPurchase | None) -> None:
        """The purchase cost on the watch that no rate lets the ledger book yet (it is booked when one comes)."""
        self.waiting.visible = waiting is not None
        if waiting is not None:
            amount, day = format.money(waiting.amount, waiting.currency), waiting.day.isoformat()
            self.waiting_text.text = f'Purchase of {amount} waits for a {waiting.currency} rate for {day}'

    def _summary(self, result: WatchPnl) -> None:
        base = result.base_currency
        self.summary.clear()
        with self.summary:
            _figure('Sale', format.money(result.revenue, base), 'finance-revenue')
            _figure('Costs', format.money(result.costs, base), 'finance-costs')
            _figure('Gross profit', format.money(result.gross_profit, base), 'finance-profit',
                    tone=_tone(result.gross_profit))  # fmt: skip
            _figure('Margin', '—' if result.margin is None else f'{result.margin} %', 'finance-margin')
            fx = '—' if result.fx_difference is None else format.money(result.fx_difference, base)
            _figure('FX difference', fx, 'finance-fx', help_text=FX_HELP)


_TYPE_SLOT = f"""<q-td :props="props" class="whitespace-normal">
  <span :class="props.row.reversed ? 'line-through text-stone-400' : ''">{{{{ props.row.type_text }}}}</span>
  <q-badge v-if="props.row.reversed" color="grey-6" class="ml-2">reversed</q-badge>
  <div v-if="props.row.note" class="text-xs {theme.MUTED}">{{{{ props.row.note }}}}</div>
</q-td>"""
_AMOUNT_SLOT = f"""<q-td :props="props" class="whitespace-nowrap">
  <div>{{{{ props.row.amount_text }}}}</div>
  <div v-if="props.row.rate_text" class="text-xs {theme.MUTED}">{{{{ props.row.rate_text }}}}</div>
</q-td>"""


def _figure(label: str, value: str, mark: str, *, tone: str = '', help_text: str | None = None) -> None:
    with ui.column().classes('gap-0 min-w-[8rem] flex-1 rounded-lg bg-stone-50 dark:bg-stone-900 px-3 py-2'):
        with ui.row().classes('items-center gap-1 no-wrap'):
            ui.label(label).classes(f'text-xs {theme.MUTED}')
            if help_text:
                ui.icon('info_outline').classes(f'text-sm {theme.MUTED} cursor-help').tooltip(help_text).mark(
                    f'{mark}-help'
                )
        ui.label(value).classes(f'text-lg font-semibold tabular-nums {tone}').mark(mark)


def _waiting_note(actor: Actor) -> tuple[ui.row, ui.label]:
    """An amber line, hidden until a purchase waits for a rate; who manages rates gets the way to set one."""
    with ui.row().classes('w-full items-center gap-2 no-wrap rounded px-3 py-2 bg-amber-50 text-amber-900') as note:
        ui.icon('hourglass_empty').classes('text-lg shrink-0')
        text = ui.label().classes('text-sm flex-1').mark('finance-purchase-waiting')
        if actor.can(Permission.FX_MANAGE):
            ui.link('Exchange rates', '/finance/rates').classes('text-sm font-medium text-inherit whitespace-nowrap')
    note.visible = False
    return note, text


def _subtotal(total: CurrencyTotal, base: str) -> str:
    """What was booked in one currency, with what it came to in the base currency when that is another one."""
    booked = format.money(total.amount, total.currency)
    return booked if total.currency == base else f'{booked} = {format.money(total.base_amount, base)}'


def _tone(amount: Decimal) -> str:
    return (
        'text-green-700 dark:text-green-400' if amount > 0 else 'text-red-700 dark:text-red-400' if amount < 0 else ''
    )


def _row(line: Any, base: str) -> dict[str, Any]:
    kind = line.type.replace('_', ' ').capitalize()
    counted = f'counts as {LABELS[line.category]}' if line.reverses_id is not None else None
    rate = f'{line.fx_rate.normalize():f}'
    return {
        'id': line.id,
        'value_date': line.value_date.isoformat(),
        'type_text': kind if line.reverses_id is None else f'Reversal of #{line.reverses_id}',
        'note': ' · '.join(part for part in (counted, line.reference, line.memo) if part),
        'amount_text': format.money(line.amount, line.currency),
        'rate_text': '' if line.currency == base else f'1 {base} = {rate} {line.currency}',
        'base_text': format.money(line.base_amount, base),
        'reversed': line.reversed,
        SORT: {'type': kind, 'amount': line.amount, 'base_amount': line.base_amount},
    }
