"""The ledger (/finance/ledger): every booking, filtered and paged on the server, live as anyone books; "Book…",
"Reverse…" on a row for those who may book, and for auditors a verification of the hash chain with progress.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import format, theme
from components.booking_dialog import TYPE_LABELS, open_booking
from components.contact_picker import ContactPicker
from components.currencies import CURRENCY_CHOICES
from components.dialogs import ask_reason
from components.live_screen import follow_ledger
from components.offload import call
from components.paged_table import PagedTable
from config import get_settings
from db.enums import Role, TransactionType
from services import accounts, bookings, ledger_verify
from services.errors import ServiceError
from services.permissions import Actor, Permission

T = TransactionType
_WIDE = {'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'}  # left out below 1024 px (a tablet)
_FIGURE = {'align': 'right', 'classes': 'whitespace-nowrap'}
COLUMNS = [
    {'name': 'id', 'label': '#', 'field': 'id', 'align': 'left', 'sortable': True, **_WIDE},
    {'name': 'value_date', 'label': 'Date', 'field': 'value_date', 'align': 'left', 'classes': 'whitespace-nowrap'},
    {'name': 'type', 'label': 'Type', 'field': 'type_label', 'align': 'left'},
    {'name': 'watch', 'label': 'Watch', 'field': 'watch_sku', 'align': 'left'},
    {'name': 'party', 'label': 'Person · contact', 'field': 'party', 'align': 'left', **_WIDE},
    {'name': 'detail', 'label': 'Reference · memo', 'field': 'detail', 'align': 'left',
     'classes': 'gt-md whitespace-normal', 'headerClasses': 'gt-md'},
    {'name': 'amount', 'label': 'Amount', 'field': 'amount_text', **_FIGURE},
    {'name': 'base', 'label': 'Base amount', 'field': 'base_text', **_FIGURE, **_WIDE},
]  # fmt: skip
_ACTIONS = {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'}
_CHIP = {T.SALE: 'positive', T.REFUND: 'negative', T.REVERSAL: 'grey-7', T.ADJUSTMENT: 'secondary'}
_TYPE_SLOT = """<q-td :props="props">
  <q-chip dense square outline :color="props.row.chip" :label="props.value" class="q-ma-none"/>
  <q-badge v-if="props.row.reversed_by_id" class="q-ml-xs" color="grey-3" text-color="grey-8"
           :label="'Reversed by #' + props.row.reversed_by_id"/>
  <q-badge v-if="props.row.reverses_id" class="q-ml-xs" color="grey-3" text-color="grey-8"
           :label="'Reverses #' + props.row.reverses_id"/>
</q-td>"""
_WATCH_SLOT = """<q-td :props="props">
  <a v-if="props.row.watch_id" :href="'/watches/' + props.row.watch_id"
     class="font-medium text-inherit no-underline hover:underline"
     @click.prevent="() => $parent.$emit('watch', props.row)">{{ props.value }}</a>
  <span v-else class="text-stone-400">—</span>
</q-td>"""
_AMOUNT_SLOT = """<q-td :props="props">
  <span :class="props.row.negative ? 'text-red-700 dark:text-red-400' : ''">{{ props.value }}</span>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props">
  <q-btn v-if="props.row.reversible" flat round icon="more_vert" aria-label="Actions">
    <q-menu auto-close>
      <q-list style="min-width: 12rem">
        <q-item clickable @click="() => $parent.$emit('reverse', props.row)">
          <q-item-section avatar><q-icon name="undo"/></q-item-section>
          <q-item-section>Reverse…</q-item-section>
        </q-item>
      </q-list>
    </q-menu>
  </q-btn>
</q-td>"""
_REVERSED = {'any': 'All', 'not_reversed': 'Standing', 'reversed': 'Reversed'}


async def view(actor: Actor) -> None:
    books = actor.can(Permission.LEDGER_BOOK) or actor.can(Permission.PAYOUTS_BOOK)
    with ui.column().classes(theme.PAGE + ' gap-4').mark('ledger'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Ledger').classes(theme.TITLE)
                ui.label(
                    f'Every booking in order, priced in {get_settings().base_currency} at its day’s rate. '
                    'A correction is a reversal, never an edit.'
                ).classes(theme.SUBTITLE)
            with ui.row().classes('gap-2'):
                verify_button = ui.button('Verify chain', icon='verified').props('outline').mark('verify-chain')
                verify_button.set_visibility(actor.can(Permission.AUDIT_VIEW))
                book_button = ui.button('Book…', icon='add').props('unelevated').mark('book')
                book_button.set_visibility(books)
        checker = _Verifier(actor)
        filters = await _Filters.build(actor)
        table = PagedTable(
            COLUMNS + ([_ACTIONS] if books else []),
            lambda offset, limit, _sort, descending: _load(actor, filters, table, offset, limit, descending),
            sort_by='id',
            no_data='No bookings match.',
        )
        table.table.props('dense').mark('ledger-table')
        for name, slot in (('type', _TYPE_SLOT), ('watch', _WATCH_SLOT), ('amount', _AMOUNT_SLOT)):
            table.table.add_slot(f'body-cell-{name}', slot)
        table.table.on('watch', lambda e: ui.navigate.to(f'/watches/{e.args["watch_id"]}'))
        if books:
            table.table.add_slot('body-cell-actions', _ACTIONS_SLOT)
            table.table.on('reverse', lambda e: reverse_dialog(actor, e.args))
        book_button.on_click(lambda: open_booking(actor))
        verify_button.on_click(checker.run)
        checker.on_broken = filters.show_up_to
        filters.on_change = table.first_page
        follow_ledger(table.load)
        await table.first_page()


async def _load(
    actor: Actor, filters: _Filters, table: PagedTable, offset: int, limit: int, descending: bool
) -> tuple[int, list[dict]]:
    """A page for the table; a filter the service refuses shows its sentence and an empty list."""
    try:
        page = await call(bookings.list_transactions, actor, filters.values(), offset=offset, limit=limit,
                          descending=descending)  # fmt: skip
    except ServiceError as error:
        filters.error.text = str(error)
        return 0, []
    filters.error.text = ''
    table.show_total_as(format.count(page.total) + '+' if page.total_capped else None)
    return page.total, [_row(item) for item in page.items]


def _row(item: bookings.TransactionRead) -> dict[str, Any]:
    party = ' · '.join(name for name in (item.user_name, item.contact_name) if name)
    detail = ' · '.join(text for text in (item.reference, item.memo) if text)
    return {
        **item.model_dump(mode='json', include={'id', 'value_date', 'watch_id', 'watch_sku', 'reverses_id',
                                                'reversed_by_id', 'memo'}),
        'type_label': TYPE_LABELS[item.type],
        'chip': _CHIP.get(item.type, 'primary'),
        'party': party or '—',
        'detail': detail or '—',
        'amount_text': format.money(item.amount, item.currency),
        'base_text': format.money(item.base_amount, item.base_currency),
        'negative': item.amount < 0,
        'reversible': item.reversible,
    }  # fmt: skip


# --- filters -------------------------------------------------------------------------------------------------------


class _Filters:
    """The filter fields in a grid; `values()` is what is set, as `LedgerFilter` input the service validates."""

    def __init__(self, actor: Actor, people: dict[int, str] | None) -> None:
        self.on_change: Any = None
        self.up_to: int | None = None
        with ui.card().classes(theme.CARD).mark('ledger-filters'):
            with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-4 gap-x-3 gap-y-1'):
                self.fields: dict[str, Any] = {
                    'types': ui.select({kind.value: label for kind, label in TYPE_LABELS.items()}, label='Types',
                                       multiple=True, clearable=True).props('use-chips'),
                    'date_from': ui.input('From').props('type=date stack-label clearable'),
                    'date_to': ui.input('To').props('type=date stack-label clearable'),
                    'currency': ui.select(CURRENCY_CHOICES, label='Currency', with_input=True, clearable=True),
                    'sku': ui.input('Watch (SKU)').props('clearable debounce=400'),
                    'reference': ui.input('Reference starts with').props('clearable debounce=400'),
                    'contact_id': ContactPicker(actor, 'Contact').select,
                    'reversed': ui.toggle(_REVERSED, value='any').props('no-caps unelevated'),
                }  # fmt: skip
                if people is not None:
                    self.fields['user_id'] = ui.select(people, label='Agent or seller', clearable=True)
            with ui.row().classes('w-full items-center gap-2'):
                self.error = ui.label().classes('text-sm text-red-700 dark:text-red-400').mark('ledger-filter-error')
                self.up_to_chip = ui.chip('', icon='vertical_align_top', removable=True).props('outline')
                self.up_to_chip.on('remove', lambda: self.show_up_to(None)).mark('ledger-up-to')
                self.up_to_chip.set_visibility(False)
        for name, field in self.fields.items():
            field.props('dense outlined' if name != 'reversed' else 'dense').mark(f'ledger-filter-{name}')
            field.on_value_change(self._changed)

    @classmethod
    async def build(cls, actor: Actor) -> _Filters:
        """With the names for the person filter, when the actor may see them."""
        people = None
        if actor.can(Permission.INVENTORY_VIEW):
            people = dict(await call(accounts.names, actor, [Role.AGENT, Role.SELLER, Role.FINANCE]))
        return cls(actor, people)

    def values(self) -> dict[str, Any]:
        found = {name: field.value for name, field in self.fields.items() if field.value not in (None, '', [])}
        return found | ({'to_id': self.up_to} if self.up_to is not None else {})

    async def show_up_to(self, row_id: int | None) -> None:
        """The list from one row down (the broken row on top), or from the newest again."""
        self.up_to = row_id
        self.up_to_chip.text = f'From row {row_id} down' if row_id else ''
        self.up_to_chip.set_visibility(row_id is not None)
        await self._changed()

    async def _changed(self) -> None:
        if self.on_change:
            await self.on_change()


# --- reversing -----------------------------------------------------------------------------------------------------


async def reverse_dialog(actor: Actor, row: dict[str, Any]) -> bookings.TransactionRead | None:
    """Ask why, then book the reversal; the reason is checked inline, a refusal shows under it."""

    async def reverse(reason: str) -> bookings.TransactionRead:
        undone = await call(bookings.reverse, actor, row['id'], reason)
        ui.notify(f'Transaction {row["id"]} reversed by transaction {undone.id}.', type='positive')
        return undone

    return await ask_reason(
        f'Reverse transaction {row["id"]}', reverse, mark='reverse', action='Reverse', icon='undo',
        subtitle=f'{row["type_label"]} of {row["amount_text"]} on {row["value_date"]}',
        note='A reversal books the opposite amount at the same rate, dated today.',
    )  # fmt: skip


# --- verification --------------------------------------------------------------------------------------------------


class _Verifier:
    """Runs the chain verification off the event loop with a progress bar, then says intact or where it broke.

    The walk reports progress from a worker thread; the bar reads it on the event loop a few times a second.
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.on_broken: Any = None
        self.broken: int | None = None
        self.done = (0, 0)
        with ui.card().classes(theme.CARD).mark('verify-panel') as self.panel:
            self.bar = ui.linear_progress(value=0, show_value=False).props('rounded size=10px').mark('verify-bar')
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                self.icon = ui.icon('hourglass_top').classes('text-xl')
                self.result = ui.label('Verifying the chain…').mark('verify-result')
                self.show = ui.button('Show that row', icon='vertical_align_top', on_click=self._show_broken)
                self.show.props('flat dense')
                self.show.mark('verify-show').set_visibility(False)
        self.panel.set_visibility(False)

    async def run(self) -> None:
        self.panel.set_visibility(True)
        self.bar.value, self.done = 0, (0, 0)
        self.icon.name, self.result.text = 'hourglass_top', 'Verifying the chain…'
        self.show.set_visibility(False)
        timer = ui.timer(0.2, self._tick)
        try:
            found = await call(ledger_verify.verify_as, self.actor, self._heard)
        except ServiceError as error:
            self.result.text = str(error)
            return
        finally:
            timer.delete()
        self._report(found)

    def _heard(self, done: int, total: int) -> None:
        """Called in the worker thread: only remembers, the timer draws."""
        self.done = (done, total)

    def _tick(self) -> None:
        done, total = self.done
        self.bar.value = done / total if total else 0

    def _report(self, found: ledger_verify.Verification) -> None:
        self.bar.value = 1
        self.result.text = found.summary
        self.icon.name = 'verified' if found.ok else 'gpp_bad'
        self.icon.classes(replace='text-xl ' + ('text-green-700' if found.ok else 'text-red-700'))
        self.broken = found.broken_id
        self.show.set_visibility(found.broken_id is not None)

    async def _show_broken(self) -> None:
        if self.on_broken and self.broken is not None:
            await self.on_broken(self.broken)
