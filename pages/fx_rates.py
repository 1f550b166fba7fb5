"""Exchange rates (/finance/rates): the latest rate of every currency, one currency's history as a chart and a
paged table, a converter, and (for those who manage rates) a rate set by hand and "Fetch now".

Everything on the screen follows the rates live: an import by the schedule or a colleague's rate set by hand
reloads the tables and the chart.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nicegui import ui

from components import field_errors, live, theme
from components.currencies import CURRENCY_CHOICES
from components.job_panel import start_with_panel
from components.live_screen import follow
from components.offload import call
from components.paged_table import PagedTable
from config import get_settings
from services import fx
from services.errors import ServiceError
from services.job_fx import KIND
from services.permissions import Actor, Permission

LATEST_COLUMNS = [
    {'name': 'currency', 'label': 'Currency', 'field': 'currency', 'align': 'left', 'sortable': True},
    {'name': 'rate', 'label': 'Rate', 'field': 'rate', 'align': 'right'},
    {'name': 'rate_date', 'label': 'Date', 'field': 'rate_date', 'align': 'left', 'sortable': True},
    {'name': 'source', 'label': 'Source', 'field': 'source', 'align': 'left', 'sortable': True},
    {'name': 'change', 'label': 'Change', 'field': 'change', 'align': 'right', 'classes': 'whitespace-nowrap'},
]
HISTORY_COLUMNS = [
    {'name': 'rate_date', 'label': 'Date', 'field': 'rate_date', 'align': 'left', 'sortable': True},
    {'name': 'rate', 'label': 'Rate', 'field': 'rate', 'align': 'right'},
    {'name': 'source', 'label': 'Source', 'field': 'source', 'align': 'left'},
]
_SOURCE_SLOT = """<q-td :props="props">
  <q-badge :color="props.value === 'manual' ? 'amber-2' : 'grey-3'"
           :text-color="props.value === 'manual' ? 'amber-10' : 'grey-8'" :label="props.value"/>
</q-td>"""
_CHANGE_SLOT = """<q-td :props="props">
  <span :class="props.row.falling ? 'text-red-700 dark:text-red-400' : ''">{{ props.value }}</span>
</q-td>"""
HISTORY_DAYS = 90
SYMBOLS_BELOW = 20


async def view(actor: Actor) -> None:
    await _RatesScreen(actor).show()


class _RatesScreen:
    """The tables, chart and forms of the screen, reloaded together when rates change."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.base = get_settings().base_currency
        self.currencies = [code for code in CURRENCY_CHOICES if code != self.base]
        self.manages = actor.can(Permission.FX_MANAGE)

    async def show(self) -> None:
        with ui.column().classes(theme.PAGE + ' gap-4').mark('fx-rates'):
            self._header()
            with ui.row().classes('w-full gap-4 items-start no-wrap max-lg:flex-wrap'):
                with ui.card().classes(theme.CARD + ' lg:flex-[3]'):
                    ui.label('Latest rates').classes(theme.CARD_TITLE)
                    self.latest = self._latest_table()
                with ui.column().classes('w-full lg:flex-[2] gap-4'):
                    self._converter()
                    if self.manages:
                        self._manual_form()
            self._history()
            follow(live.fx_changed, self.reload)
        await self.latest.first_page()
        await self._load_history()

    async def reload(self) -> None:
        await self.latest.load()
        await self._load_history()

    # --- header and "Fetch now" ------------------------------------------------------------------------------------

    def _header(self) -> None:
        with ui.row().classes('w-full items-center gap-3'):
            with ui.column().classes('gap-0 flex-1 min-w-0'):
                ui.label('Exchange rates').classes(theme.TITLE)
                ui.label(
                    f'Units of each currency per 1 {self.base}. The ECB reference rates are fetched on business days '
                    'after publication; a rate set by hand wins over the ECB rate of its day.'
                ).classes(theme.SUBTITLE)
            if self.manages:
                ui.button('Fetch 90 days', icon='history', on_click=lambda: self._fetch('90d')).props('outline').mark(
                    'fx-fetch-90d'
                )
                ui.button('Fetch now', icon='cloud_download', on_click=lambda: self._fetch('daily')).props(
                    'unelevated'
                ).mark('fx-fetch')

    async def _fetch(self, feed: str) -> None:
        await start_with_panel(self.actor, KIND, {'feed': feed})

    # --- latest ----------------------------------------------------------------------------------------------------

    def _latest_table(self) -> PagedTable:
        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            page = await call(fx.latest, self.actor, offset=offset, limit=limit, sort=sort, descending=descending)
            return page.total, [_latest_row(item) for item in page.items]

        table = PagedTable(LATEST_COLUMNS, loader, sort_by='currency', descending=False,
                           no_data='No rates yet: fetch them from the ECB or set one by hand.')  # fmt: skip
        table.table.props('dense').mark('fx-latest')
        table.table.add_slot('body-cell-source', _SOURCE_SLOT)
        table.table.add_slot('body-cell-change', _CHANGE_SLOT)
        table.table.on('rowClick', lambda e: self._pick(e.args[1]['currency']))
        return table

    def _pick(self, currency: str) -> None:
        self.history_currency.value = currency  # its change handler reloads the history

    # --- converter -------------------------------------------------------------------------------------------------

    def _converter(self) -> None:
        with ui.card().classes(theme.CARD).mark('fx-converter'):
            ui.label('Converter').classes(theme.CARD_TITLE)
            with ui.row().classes('w-full gap-2 no-wrap'):
                amount = ui.input('Amount', value='100').props('inputmode=decimal').classes('flex-1')
                source = ui.select(self.currencies, label='From', value='USD', with_input=True).classes('w-28')
                target = ui.select(CURRENCY_CHOICES, label='To', value=self.base, with_input=True).classes('w-28')
            day = ui.input('On', value=date.today().isoformat()).props('type=date stack-label')
            fields = {'amount': amount, 'from_currency': source, 'to_currency': target, 'day': day}
            for name, field in fields.items():
                field.props('outlined dense').mark(f'fx-convert-{name.replace("_", "-")}')
            result = ui.label().classes('text-xl font-semibold tracking-tight').mark('fx-convert-result')
            used = ui.label().classes(theme.SUBTITLE).mark('fx-convert-rates')

            async def convert() -> None:
                if not field_errors.require(fields, *fields):
                    return
                values = {name: field.value for name, field in fields.items()}
                try:
                    done = await call(fx.conversion, self.actor, **values)
                except ServiceError as error:
                    result.text, used.text = '', ''
                    field_errors.show(error, fields)
                    return
                field_errors.clear(fields)
                result.text = f'{_amount(done.amount)} {done.from_currency} = {_amount(done.result)} {done.to_currency}'
                used.text = (
                    f'1 {done.from_currency} = {_figure(done.cross_rate)} {done.to_currency} · per 1 '
                    f'{done.base_currency}: {_figure(done.from_rate)} {done.from_currency}, '
                    f'{_figure(done.to_rate)} {done.to_currency} (latest rates up to {done.day.isoformat()})'
                )

            ui.button('Convert', icon='currency_exchange', on_click=convert).props('unelevated').mark('fx-convert')

    # --- a rate by hand --------------------------------------------------------------------------------------------

    def _manual_form(self) -> None:
        with ui.card().classes(theme.CARD).mark('fx-manual'):
            ui.label('Set a rate by hand').classes(theme.CARD_TITLE)
            ui.label(f'For a currency the ECB does not publish, or to correct a day. Units per 1 {self.base}.').classes(
                theme.SUBTITLE
            )
            with ui.row().classes('w-full gap-2 no-wrap'):
                currency = ui.select(self.currencies, label='Currency *', with_input=True).classes('w-40')
                rate = ui.input('Rate *').props('inputmode=decimal').classes('flex-1')
            day = ui.input('Day *', value=date.today().isoformat()).props('type=date stack-label')
            fields = {'currency': currency, 'rate': rate, 'day': day}
            for name, field in fields.items():
                field.props('outlined dense').mark(f'fx-manual-{name}')

            async def save() -> None:
                if not field_errors.require(fields, *fields):
                    return
                values = {name: field.value for name, field in fields.items()}
                try:
                    saved = await call(fx.set_manual_rate, self.actor, **values)
                except ServiceError as error:
                    field_errors.show(error, fields)
                    return
                field_errors.clear(fields)
                rate.value = ''
                when = saved.rate_date.isoformat()
                ui.notify(f'{saved.currency} set to {_figure(saved.rate)} per {self.base} on {when}.', type='positive')

            ui.button('Save rate', icon='save', on_click=save).props('unelevated').mark('fx-manual-save')

    # --- history ---------------------------------------------------------------------------------------------------

    def _history(self) -> None:
        with ui.card().classes(theme.CARD).mark('fx-history'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('History').classes(theme.CARD_TITLE + ' flex-1')
                self.history_currency = ui.select(self.currencies, value='USD', with_input=True, label='Currency')
                today = date.today()
                self.history_start = ui.input('From', value=(today - timedelta(days=HISTORY_DAYS)).isoformat())
                self.history_end = ui.input('To', value=today.isoformat())
            for name, field in (('currency', self.history_currency), ('from', self.history_start),
                                ('to', self.history_end)):  # fmt: skip
                field.props('outlined dense' + (' type=date stack-label' if name != 'currency' else ''))
                field.mark(f'fx-history-{name}')
                field.on_value_change(self._load_history)
            self.chart = ui.echart(_chart([], '')).classes('w-full h-64').mark('fx-chart')
            self.history_table = PagedTable(HISTORY_COLUMNS, self._history_page, sort_by='rate_date',
                                            no_data='No rates of this currency in the period.')  # fmt: skip
            self.history_table.table.props('dense').mark('fx-history-table')
            self.history_table.table.add_slot('body-cell-source', _SOURCE_SLOT)

    def _period(self) -> tuple[date, date] | None:
        try:
            return date.fromisoformat(self.history_start.value), date.fromisoformat(self.history_end.value)
        except (TypeError, ValueError):
            return None

    async def _load_history(self) -> None:
        period, currency = self._period(), self.history_currency.value
        points: list[tuple[date, Decimal]] = []
        if period and currency:
            try:
                points = await call(fx.series, self.actor, currency, *period)
            except ServiceError as error:
                ui.notify(str(error), type='warning')
        self.chart.options.update(_chart(points, currency or ''))
        self.chart.update()
        await self.history_table.first_page()

    async def _history_page(self, offset: int, limit: int, _sort: str, descending: bool) -> tuple[int, list[dict]]:
        period, currency = self._period(), self.history_currency.value
        if not (period and currency):
            return 0, []
        page = await call(fx.history, self.actor, currency, *period, offset=offset, limit=limit, descending=descending)
        rows = [{'id': item.rate_date.isoformat(), 'rate_date': item.rate_date.isoformat(),
                 'rate': _figure(item.rate), 'source': item.source} for item in page.items]  # fmt: skip
        return page.total, rows


def _latest_row(item: fx.LatestRate) -> dict[str, Any]:
    change = '—'
    if item.change is not None:
        sign = '+' if item.change > 0 else ''
        change = f'{sign}{_figure(item.change)} ({sign}{item.change_percent} %)'
    return {'id': item.currency, 'currency': item.currency, 'rate': _figure(item.rate),
            'rate_date': item.rate_date.isoformat(), 'source': item.source, 'change': change,
            'falling': item.change is not None and item.change < 0}  # fmt: skip


def _chart(points: list[tuple[date, Decimal]], currency: str) -> dict[str, Any]:
    """A line of the rate over the days (figures as text: ECharts reads them, and no float is made here)."""
    return {
        'grid': {'left': 56, 'right': 16, 'top': 16, 'bottom': 32},
        'tooltip': {'trigger': 'axis'},
        'xAxis': {'type': 'time'},
        'yAxis': {'type': 'value', 'scale': True},
        'series': [
            {
                'name': currency,
                'type': 'line',
                'showSymbol': len(points) < SYMBOLS_BELOW,  # a point or a few are dots, not an invisible line
                'color': theme.ACCENT,
                'data': [[day.isoformat(), _figure(value)] for day, value in points],
            }
        ],
    }


def _figure(value: Decimal) -> str:
    """A rate without the column's trailing zeros (1.04860000 is 1.0486), never in exponent notation."""
    return format(value.normalize(), 'f')


def _amount(value: Decimal) -> str:
    return f'{value:,.2f}'
