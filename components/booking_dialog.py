"""The dialog that books one transaction by hand, shared by the ledger screen and a watch's Finance tab.

The amount is typed as a person reads it (positive; the type gives the sign). When no exchange rate is known for
the day, the service says so under the rate, and the dialog shows the rate input so it can be typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from nicegui import ui

from components import field_errors, format, theme
from components.contact_picker import ContactPicker
from components.currencies import CURRENCY_CHOICES
from components.dialogs import answer
from components.offload import call
from components.pickers import TOUCH
from config import get_settings
from db.enums import TransactionType
from services import bookings, watches
from services.bookings import TransactionRead
from services.errors import ServiceError, ValidationFailed
from services.permissions import Actor

T = TransactionType
TYPE_LABELS = {
    T.PURCHASE: 'Purchase',
    T.SALE: 'Sale',
    T.PLATFORM_FEE: 'Platform fee',
    T.SHIPPING: 'Shipping',
    T.SERVICE: 'Service',
    T.AGENT_COMMISSION: 'Agent commission',
    T.SELLER_COMMISSION: 'Seller commission',
    T.ADVANCE: 'Advance',
    T.PAYOUT: 'Payout',
    T.REFUND: 'Refund',
    T.ADJUSTMENT: 'Adjustment',
    T.REVERSAL: 'Reversal',
}
# What is booked by hand here. Sales, commissions, advances and payouts are booked by their own screens, which
# record the sale or the person with them.
BY_HAND = (T.PURCHASE, T.SERVICE, T.SHIPPING, T.PLATFORM_FEE, T.REFUND, T.ADJUSTMENT)
_REQUIRED = ('type', 'amount', 'currency', 'value_date')


async def open_booking(
    actor: Actor,
    *,
    watch_id: int | None = None,
    types: Iterable[TransactionType] | None = None,
    on_done: Callable[[TransactionRead], object] | None = None,
) -> TransactionRead | None:
    """Book one transaction (on the watch `watch_id` when given, fixed); the booked row, or None when cancelled.

    `types` limits the type select (default `BY_HAND`), further to what the actor may book.
    """
    offered = {kind: TYPE_LABELS[kind] for kind in (types or BY_HAND) if actor.can(bookings.permission_for(kind))}
    sku = (await call(watches.get_watch, actor, watch_id)).sku if watch_id is not None else None
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-xl gap-3').mark('booking-dialog'):
        ui.label(f'Book on {sku}' if sku else 'Book a transaction').classes(theme.CARD_TITLE)
        fields = _fields(actor, offered, sku)

        async def save() -> None:
            if not field_errors.require(fields, *_REQUIRED):
                return
            try:
                data = await _data(actor, fields, watch_id)
                booked = await call(bookings.book, actor, data)
            except ServiceError as error:
                field_errors.show(error, fields)  # reveals the rate when it is the one missing
                return
            what = f'{TYPE_LABELS[booked.type]} of {format.money(abs(booked.amount), booked.currency)}'
            ui.notify(f'{what} booked (transaction {booked.id}).', type='positive')
            if on_done:
                on_done(booked)
            dialog.submit(booked)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').classes(TOUCH).mark(
                'booking-cancel'
            )
            ui.button('Book', icon='check', on_click=save).props('unelevated').classes(TOUCH).mark('booking-save')
    return await answer(dialog)


def _fields(actor: Actor, offered: dict[TransactionType, str], sku: str | None) -> dict[str, Any]:
    """Type, amount and currency, date, watch and contact, reference and memo; the rate hidden until it is asked
    for. Inputs are outlined and tall enough for a finger on the intake tablet."""
    base = get_settings().base_currency
    first = next(iter(offered), None)
    with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1'):
        fields: dict[str, Any] = {
            'type': ui.select({kind.value: label for kind, label in offered.items()}, label='Type *',
                              value=first.value if first else None),
            'value_date': ui.input('Date *', value=date.today().isoformat()).props('type=date stack-label'),
            'amount': ui.input('Amount *').props('inputmode=decimal autofocus'),
            'currency': ui.select(CURRENCY_CHOICES, label='Currency *', value=base, with_input=True),
            'watch_id': ui.input('Watch (SKU)', value=sku or '').props('readonly' if sku else 'clearable'),
            'contact_id': ContactPicker(actor, 'Contact').select,
            'reference': ui.input('Reference').props('maxlength=80 clearable'),
        }  # fmt: skip
    fields['memo'] = ui.textarea('Memo').props('autogrow maxlength=500')
    fields['fx_rate'] = ui.input(f'Rate (units per 1 {base})').props('inputmode=decimal')
    fields['fx_rate'].set_visibility(False)
    for name, field in fields.items():
        field.props('outlined').classes('w-full text-base').mark(f'booking-{name.replace("_", "-")}')
    return fields


async def _data(actor: Actor, fields: dict[str, Any], watch_id: int | None) -> dict[str, Any]:
    """The form as the service reads it; a typed SKU becomes its watch's id (or a refusal under the field)."""
    data = {name: field.value for name, field in fields.items()}
    typed = (data.pop('watch_id') or '').strip()
    if watch_id is None and typed:
        watch_id = await call(watches.find_by_sku, actor, typed)
        if watch_id is None:
            raise ValidationFailed(f'No watch has the SKU {typed.upper()}.', {'watch_id': 'Unknown SKU.'})
    return data | {'watch_id': watch_id}
