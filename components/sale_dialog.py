"""The "Record sale" dialog: price, channel, date, buyer, reference, fee and shipping, large enough for a tablet.

The manual exchange-rate field stays hidden until the service says it has no rate for the sale's currency on
that day; then it appears under the currency with the service's message, and saving again books at that rate.
"""

from __future__ import annotations

from datetime import date

from nicegui import ui

from components import field_errors, theme
from components.contact_picker import ContactPicker
from components.currencies import CURRENCY_CHOICES
from components.dialogs import answer
from components.offload import call
from config import get_settings
from services import sales
from services.errors import ServiceError
from services.permissions import Actor
from services.watches import WatchRead

_FIELD = 'outlined'  # not dense: fingers on a tablet


async def record_sale_dialog(actor: Actor, watch: WatchRead) -> sales.SaleRead | None:
    """The dialog; returns the sale once recorded, None when cancelled."""
    base = get_settings().base_currency
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-xl gap-3').mark('sale-dialog'):
        ui.label(f'Record sale of {watch.sku}').classes(theme.CARD_TITLE)
        ui.label(f'{watch.brand} {watch.model}: the watch moves to Sold, and the sale, its fees and the '
                 'commissions are booked.').classes(theme.SUBTITLE)  # fmt: skip
        with ui.grid(columns='1fr 8rem').classes('w-full gap-3'):
            price = ui.number('Price *', min=0, step=1, format='%.2f').mark('sale-price')
            currency = ui.select(CURRENCY_CHOICES, label='Currency', with_input=True,
                                 value=watch.price_currency or base).mark('sale-currency')  # fmt: skip
        with ui.grid(columns='1fr 1fr').classes('w-full gap-3'):
            channel = ui.select(sales.channels(), label='Channel *', value='catawiki').mark('sale-channel')
            sold_on = ui.input('Sold on *', value=date.today().isoformat()).props('type=date stack-label')
            sold_on.mark('sale-date')
        buyer = ContactPicker(actor, 'Buyer').select
        buyer.mark('sale-buyer')
        reference = ui.input('Platform order number').props('maxlength=80').mark('sale-reference')
        with ui.grid(columns='1fr 1fr').classes('w-full gap-3'):
            fee = ui.number('Platform fee', min=0, step=1, format='%.2f').mark('sale-fee')
            shipping = ui.number('Shipping cost', min=0, step=1, format='%.2f').mark('sale-shipping')
        rate = ui.number(f'Exchange rate: units of the sale currency per 1 {base}', min=0).mark('sale-rate')
        rate.visible = False
        memo = ui.input('Note').props('maxlength=500').mark('sale-memo')
        fields = {'price': price, 'currency': currency, 'channel': channel, 'sold_on': sold_on, 'buyer_id': buyer,
                  'reference': reference, 'platform_fee': fee, 'shipping_cost': shipping, 'fx_rate': rate,
                  'memo': memo}  # fmt: skip
        for field in fields.values():
            field.props(_FIELD).classes('w-full')

        async def save() -> None:
            if not field_errors.require(fields, 'price', 'currency', 'channel', 'sold_on'):
                return
            data = {key: as_text(field.value) for key, field in fields.items()}
            data = {key: value for key, value in data.items() if value not in (None, '')}
            try:
                sale = await call(sales.record_sale, actor, watch.id, data)
            except ServiceError as error:
                field_errors.show(error, fields)  # reveals the rate when it is the one missing
                return
            ui.notify(f'Sale of {watch.sku} recorded.', type='positive')
            dialog.submit(sale)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').mark('sale-cancel')
            ui.button('Record sale', icon='sell', on_click=save).props('unelevated').mark('sale-save')
    return await answer(dialog)


def as_text(value: object) -> object:
    """A number input's value as text, so it reaches a service as an exact decimal (never a float)."""
    return str(value) if isinstance(value, float) else value
