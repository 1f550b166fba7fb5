"""A watch's sale in force on its page: price, channel, buyer, date, what was booked, and "Reverse sale…".

The watch page draws it from what it read; recording or reversing a sale moves the watch, so the page's own
live redraw (watch changed) brings the card up to date in every open browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components import format, theme
from components.dialogs import ask_reason
from components.offload import call
from components.sale_dialog import record_sale_dialog
from config import get_settings
from services import sales
from services.permissions import Actor, Permission
from services.watches import WatchRead

Redraw = Callable[[], Awaitable[None]]


def record_sale_button(actor: Actor, watch: WatchRead, sale: sales.SaleRead | None, redraw: Redraw) -> None:
    """ "Record sale…" in the watch's header, for those who book, while the watch has no sale in force."""
    if sale is not None or not actor.can(Permission.LEDGER_BOOK):
        return

    async def record() -> None:
        if await record_sale_dialog(actor, watch) is not None:
            await redraw()

    ui.button('Record sale…', icon='sell', on_click=record).props('unelevated').mark('record-sale')


def sale_card(actor: Actor, sale: sales.SaleRead | None, redraw: Redraw) -> None:
    """The sale in force, with its bookings for those who see the ledger; nothing when the watch is unsold."""
    if sale is None:
        return
    with ui.card().classes(theme.CARD).mark('sale-card'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Sale').classes(theme.CARD_TITLE)
            if actor.can(Permission.LEDGER_BOOK):
                ui.button('Reverse sale…', icon='undo', on_click=lambda: _reverse(actor, sale, redraw)).props(
                    'flat color=negative'
                ).mark('reverse-sale')
        ui.label(format.money(sale.price, sale.currency)).classes('text-2xl font-semibold').mark('sale-price-shown')
        with ui.grid(columns='auto 1fr').classes('w-full gap-x-6 gap-y-1 text-sm'):
            for label, value in (('Channel', sale.channel_label), ('Sold on', sale.sold_on.isoformat()),
                                 ('Buyer', sale.buyer_name), ('Reference', sale.reference),
                                 ('Recorded by', sale.created_by_name)):  # fmt: skip
                ui.label(label).classes(theme.MUTED)
                ui.label(value or '—')
        if sale.bookings:
            _bookings(sale)


def _bookings(sale: sales.SaleRead) -> None:
    with ui.column().classes('w-full gap-0 pt-2 border-t border-stone-200 dark:border-stone-700 text-sm'):
        for booking in sale.bookings:
            with ui.row().classes('w-full no-wrap justify-between gap-3'):
                who = f' · {booking.user_name}' if booking.user_name else ''
                ui.label(f'{booking.label}{who}').classes('truncate').tooltip(booking.memo or '')
                ui.label(format.money(booking.amount, booking.currency)).classes('whitespace-nowrap')
        with ui.row().classes('w-full no-wrap justify-between gap-3 font-medium pt-1').mark('sale-net'):
            ui.label('Net of fees and commissions')
            ui.label(format.money(sale.net_base, get_settings().base_currency)).classes('whitespace-nowrap')


async def _reverse(actor: Actor, sale: sales.SaleRead, redraw: Redraw) -> None:
    """Ask why, then reverse; the reason is required and shown under its field when missing."""

    async def reverse(reason: str) -> bool:
        await call(sales.reverse_sale, actor, sale.id, reason)
        ui.notify('Sale reversed.', type='positive')
        return True

    note = ('Every booking of the sale is reversed, its commissions included, and the watch goes back to the stage '
            'it was sold from.')  # fmt: skip
    if await ask_reason('Reverse this sale?', reverse, mark='reverse', action='Reverse sale', note=note,
                        cancel='Keep the sale', action_mark='confirm'):  # fmt: skip
        await redraw()
