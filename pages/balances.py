"""Balances: what the business owes each agent and seller (/finance/balances), one person's account with its
running balance and the advance and payout dialogs (/finance/balances/{user_id}), and one's own (/my/balance).

Every figure follows the ledger live: a booking anywhere (a sale's commission, a payout from a colleague's
browser) reloads the list or the account on screen.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui

from components import field_errors, format, theme
from components.currencies import CURRENCY_CHOICES
from components.dialogs import answer
from components.live_screen import follow_ledger
from components.notices import dead_end
from components.offload import call
from components.paged_table import PagedTable
from components.tiles import stat_tile
from config import get_settings
from db.enums import Role, TransactionType
from services import balances
from services.errors import NotFound, ServiceError
from services.permissions import Actor, Permission

_ROLES = {'all': 'All', Role.AGENT.value: 'Agents', Role.SELLER.value: 'Sellers'}
_WIDE = {'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'}  # left out below 1024 px (a tablet)
_FIGURE = {'align': 'right', 'sortable': True, 'classes': 'whitespace-nowrap'}
LIST_COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'role', 'label': 'Role', 'field': 'role_label', 'align': 'left', 'sortable': True, **_WIDE},
    *(
        {'name': name, 'label': name.title(), 'field': f'{name}_text', **_FIGURE, **_WIDE}
        for name in balances.CATEGORIES
    ),
    {'name': 'balance', 'label': 'Balance', 'field': 'balance_text', **_FIGURE},
]
MOVEMENT_COLUMNS = [
    {'name': 'value_date', 'label': 'Date', 'field': 'value_date', 'align': 'left', 'sortable': True},
    {'name': 'what', 'label': 'What', 'field': 'what', 'align': 'left'},
    {
        'name': 'detail',
        'label': 'Watch · reference · memo',
        'field': 'detail',
        'align': 'left',
        'classes': 'gt-sm whitespace-normal',
        'headerClasses': 'gt-sm',
    },
    {'name': 'amount', 'label': 'Amount', 'field': 'amount_text', 'align': 'right', **_WIDE},
    {'name': 'effect', 'label': 'Effect', 'field': 'effect_text', 'align': 'right', 'classes': 'whitespace-nowrap'},
    {'name': 'running', 'label': 'Balance', 'field': 'running_text', 'align': 'right', 'classes': 'whitespace-nowrap'},
]
_NAME_SLOT = """<q-td :props="props">
  <a :href="'/finance/balances/' + props.row.id" class="font-medium text-inherit no-underline hover:underline"
     @click.prevent="() => $parent.$emit('open', props.row)">{{ props.value }}</a>
  <q-badge v-if="!props.row.active" class="q-ml-sm" color="grey-3" text-color="grey-8" label="Deactivated"/>
</q-td>"""
_SIGNED_SLOT = """<q-td :props="props">
  <span :class="props.row.{flag} ? 'text-red-700 dark:text-red-400' : ''">{{{{ props.value }}}}</span>
</q-td>"""
_WHAT = {
    TransactionType.AGENT_COMMISSION: 'Agent commission',
    TransactionType.SELLER_COMMISSION: 'Seller commission',
    TransactionType.PURCHASE: 'Purchase paid',
    TransactionType.ADVANCE: 'Advance',
    TransactionType.PAYOUT: 'Payout',
}


# --- everyone's balances -------------------------------------------------------------------------------------------


async def list_view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('balances'):
        with ui.column().classes('gap-0'):
            ui.label('Balances').classes(theme.TITLE)
            base = get_settings().base_currency
            ui.label(
                f'What the business owes each agent and seller, in {base}: commissions and purchases they paid, '
                'less advances and payouts. Below zero, they hold money of the business.'
            ).classes(theme.SUBTITLE)
        with ui.row().classes('w-full items-center gap-3'):
            search = ui.input(placeholder='Name or email').props('outlined dense clearable debounce=300')
            search.classes('w-full sm:w-72').mark('balance-search')
            with search.add_slot('prepend'):
                ui.icon('search')
            role = ui.toggle(_ROLES, value='all').props('dense no-caps unelevated').mark('balance-role')

        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            wanted = None if role.value == 'all' else role.value
            page = await call(balances.all_balances, actor, offset, limit, role=wanted, search=search.value,
                              sort=sort, descending=descending)  # fmt: skip
            return page.total, [_balance_row(row, base) for row in page.items]

        table = PagedTable(LIST_COLUMNS, loader, sort_by='name', descending=False, no_data='No agents or sellers.')
        table.table.props('dense').mark('balance-table')
        table.table.add_slot('body-cell-name', _NAME_SLOT)
        table.table.add_slot('body-cell-balance', _SIGNED_SLOT.format(flag='negative'))
        table.table.on('open', lambda e: ui.navigate.to(f'/finance/balances/{e.args["id"]}'))
        search.on_value_change(table.first_page)
        role.on_value_change(table.first_page)
        follow_ledger(table.load)
        await table.first_page()


def _balance_row(row: balances.BalanceRow, currency: str) -> dict[str, Any]:
    figures = {f'{name}_text': format.money(getattr(row, name), currency) for name in balances.CATEGORIES}
    return {'id': row.user_id, 'name': row.name, 'role_label': row.role.value.title(), 'active': row.active,
            'balance_text': format.money(row.balance, currency), 'negative': row.balance < 0, **figures}  # fmt: skip


# --- one person's account ------------------------------------------------------------------------------------------


async def detail_view(actor: Actor, user_id: str) -> None:
    """Anyone's account for finance: booking buttons for those who may book advances and payouts."""
    try:
        wanted = int(user_id)
    except ValueError:
        wanted = 0
    await _Account(actor, wanted, back='/finance/balances', books=actor.can(Permission.PAYOUTS_BOOK)).show()


async def my_view(actor: Actor) -> None:
    """One's own account, to read only."""
    await _Account(actor, actor.id or 0, back=None, books=False).show()


class _Account:
    """Summary tiles and the movements with their running balance, reloaded together on every ledger change."""

    def __init__(self, actor: Actor, user_id: int, *, back: str | None, books: bool) -> None:
        self.actor, self.user_id, self.back, self.books = actor, user_id, back, books
        self.page = ui.column().classes(theme.PAGE + ' gap-4')
        self.base = get_settings().base_currency

    async def show(self) -> None:
        try:
            summary = await call(balances.balance, self.actor, self.user_id)
        except NotFound:
            with self.page:
                dead_end('person_off', 'No such person.', 'It may have been mistyped.',
                         back=('Back to balances', self.back or '/'), mark='no-person')  # fmt: skip
            return
        with self.page:
            self.header = ui.row().classes('w-full items-center gap-3')
            # the balance beside the four figures it is made of, two by two (five in a row do not fit at 1280 px)
            self.tiles = ui.element('div').classes('w-full grid grid-cols-2 md:grid-cols-3 gap-4 *:min-w-0')
            self._draw(summary)
            self.table = self._movements()
            follow_ledger(self.reload)
        self.page.mark('balance-account')
        await self.table.first_page()

    def _draw(self, summary: balances.Balance) -> None:
        self.header.clear()
        with self.header:
            if self.back:
                ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to(self.back)).props(
                    'flat round aria-label="Back to balances"'
                )
            with ui.column().classes('gap-0 flex-1 min-w-0'):
                title = summary.name if self.back else 'My balance'
                ui.label(title).classes(theme.TITLE + ' truncate').mark('balance-title')
                role = summary.role.value.title() + ('' if summary.active else ' · deactivated')
                ui.label(f'{role} · as of {summary.as_of.isoformat()} · in {summary.currency}').classes(theme.SUBTITLE)
            if self.books:
                ui.button('Advance…', icon='savings', on_click=lambda: self._book('advance', summary)).props(
                    'outline'
                ).mark('book-advance')
                ui.button('Payout…', icon='payments', on_click=lambda: self._book('payout', summary)).props(
                    'unelevated'
                ).mark('book-payout')
        self.tiles.clear()
        with self.tiles:
            _balance_tile(summary, own=self.back is None)
            for name, icon in (('commissions', 'percent'), ('purchases', 'shopping_bag'), ('advances', 'savings'),
                               ('payouts', 'payments')):  # fmt: skip
                stat_tile(name.title(), format.money(getattr(summary, name), summary.currency), icon=icon,
                          mark=f'tile-{name}')  # fmt: skip

    def _movements(self) -> PagedTable:
        with ui.card().classes(theme.CARD):
            with ui.row().classes('w-full items-center justify-between gap-3'):
                ui.label('Movements').classes(theme.CARD_TITLE)
                with ui.row().classes('items-center gap-2'):
                    self.start = ui.input('From').props('type=date stack-label dense outlined clearable')
                    self.end = ui.input('To').props('type=date stack-label dense outlined clearable')
                    self.start.mark('movements-from')
                    self.end.mark('movements-to')
            table = PagedTable(MOVEMENT_COLUMNS, self._load, sort_by='value_date', no_data='No movements yet.')
            table.table.props('dense').mark('movement-table')
            for name, flag in (('effect', 'lowers'), ('running', 'negative')):
                table.table.add_slot(f'body-cell-{name}', _SIGNED_SLOT.format(flag=flag))
        for field in (self.start, self.end):
            field.on_value_change(table.first_page)
        return table

    async def _load(self, offset: int, limit: int, _sort: str, descending: bool) -> tuple[int, list[dict]]:
        start, end = _day(self.start.value), _day(self.end.value)
        page = await call(balances.movements, self.actor, self.user_id, offset, limit, start=start, end=end,
                          descending=descending)  # fmt: skip
        return page.total, [_movement_row(line, self.base) for line in page.items]

    async def reload(self) -> None:
        self._draw(await call(balances.balance, self.actor, self.user_id))
        await self.table.load()

    async def _book(self, kind: str, summary: balances.Balance) -> None:
        with self.page:  # not in the header, which a live reload redraws while the dialog may still be open
            booked = await payment_dialog(self.actor, kind, summary)
        if booked is not None:
            await self.reload()


def _balance_tile(summary: balances.Balance, *, own: bool) -> None:
    """The headline: what is owed to the person, or (below zero) what of the business's money they hold."""
    owed = summary.balance >= 0
    classes = ' col-span-2 md:col-span-1 md:row-span-2 justify-center border-l-4'
    with ui.card().classes(theme.CARD + classes).mark('tile-balance') as card:
        card.classes('border-green-700' if owed else 'border-amber-600')
        who = ('Owed to you', 'You hold') if own else ('Owed to them', 'They hold')
        ui.label(who[0] if owed else who[1]).classes(f'text-sm {theme.MUTED}')
        ui.label(format.money(summary.balance, summary.currency)).classes(
            'text-2xl xl:text-3xl font-semibold tracking-tight break-words'
        ).mark('tile-balance-value')


def _movement_row(line: balances.Movement, base: str) -> dict[str, Any]:
    what = f'Reversal of #{line.reverses_id}' if line.type is TransactionType.REVERSAL else _WHAT[line.type]
    detail = ' · '.join(part for part in (line.sku, line.reference, line.memo) if part)
    return {
        'id': line.id,
        'value_date': line.value_date.isoformat(),
        'what': what,
        'detail': detail or '—',
        'amount_text': format.money(abs(line.amount), line.currency),
        'effect_text': ('+' if line.effect > 0 else '') + format.money(line.effect, base),
        'lowers': line.effect < 0,
        'running_text': format.money(line.running, base),
        'negative': line.running < 0,
    }


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- the advance and payout dialog ---------------------------------------------------------------------------------


async def payment_dialog(actor: Actor, kind: str, summary: balances.Balance) -> balances.Booked | None:
    """Book an advance or a payout to the person; refusals show under their fields, and a missing exchange rate
    reveals the rate input. Returns the booking, or None when cancelled."""
    payout = kind == 'payout'
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('payment-dialog'):
        ui.label(f'{"Payout to" if payout else "Advance to"} {summary.name}').classes(theme.CARD_TITLE)
        owed = format.money(summary.balance, summary.currency)
        ui.label(f'Balance now: {owed}').classes(theme.SUBTITLE).mark('payment-balance')
        fields = _payment_fields(summary.currency)
        overdraw = ui.checkbox('Pay more than is owed (say why in the memo)').mark('payment-overdraw')
        overdraw.set_visibility(payout)

        async def save() -> None:
            if not field_errors.require(fields, 'amount', 'currency', 'value_date'):
                return
            values = {name: field.value for name, field in fields.items()}
            args = (actor, summary.user_id, values['amount'], values['currency'], values['value_date'], values['memo'])
            extra = {'allow_overdraw': overdraw.value} if payout else {}
            service = balances.book_payout if payout else balances.book_advance
            try:
                booked = await call(service, *args, fx_rate=values['fx_rate'] or None, **extra)
            except ServiceError as error:
                field_errors.show(error, fields)  # reveals the rate when it is the one missing
                return
            done = f'{"Payout" if payout else "Advance"} of {format.money(abs(booked.amount), booked.currency)} booked'
            ui.notify(f'{done}; balance now {format.money(booked.balance, summary.currency)}.', type='positive')
            dialog.submit(booked)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').mark('payment-cancel')
            ui.button(f'Book {kind}', icon='check', on_click=save).props('unelevated').mark('payment-save')
    return await answer(dialog)


def _payment_fields(base: str) -> dict[str, Any]:
    """Amount and currency side by side, the date (today), the memo, and the rate (hidden until one is missing)."""
    with ui.row().classes('w-full gap-3 no-wrap'):
        amount = ui.input('Amount *').props('inputmode=decimal autofocus').classes('flex-1')
        currency = ui.select(CURRENCY_CHOICES, label='Currency *', value=base, with_input=True).classes('w-32')
    fields = {
        'amount': amount,
        'currency': currency,
        'value_date': ui.input('Date *', value=date.today().isoformat()).props('type=date stack-label'),
        'memo': ui.textarea('Memo').props('autogrow maxlength=500'),
        'fx_rate': ui.input(f'Rate (units per 1 {base})').props('inputmode=decimal'),
    }
    fields['fx_rate'].set_visibility(False)
    for name, field in fields.items():
        field.props('outlined').classes('w-full' if name not in ('amount', 'currency') else '')
        field.mark(f'payment-{name.replace("_", "-")}')
    return fields
