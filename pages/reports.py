"""Finance reports (/finance/reports): P/L over time and by dimension, stock value and aged stock for a period,
each table downloadable as CSV and XLSX, and the stored monthly reports.

The figures follow the ledger: bookings anywhere re-read them, at most once every few seconds (a sale books
several rows at once, a reconciliation many). `?report=<id>` (the monthly notification's link) opens a stored
report. Those who see the ledger produce a month's report with the job's progress in a dialog; managers read.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nicegui import ui

from components import field_errors, format, live, theme
from components.job_panel import job_dialog
from components.live_screen import Coalescer, Subscriptions
from components.offload import call
from components.paged_table import PagedTable
from components.report_table import ReportTable, chart_value
from services import report_export, reports, stored_reports
from services.errors import ServiceError
from services.permissions import Actor, Permission
from services.report_export import Table

KINDS = {'month': 'Month', 'quarter': 'Quarter', 'year': 'Year', 'custom': 'Custom'}
STOCK_KEYS = ('stock-stage', 'stock-location', 'aged')
STORED_COLUMNS = [
    {'name': 'title', 'label': 'Report', 'field': 'title', 'align': 'left'},
    {'name': 'period', 'label': 'Period', 'field': 'period', 'align': 'left'},
    {'name': 'by', 'label': 'Produced', 'field': 'by', 'align': 'left', 'classes': 'gt-sm', 'headerClasses': 'gt-sm'},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'},
]
_STORED_ACTIONS = """<q-td :props="props" class="whitespace-nowrap">
  <q-btn flat dense no-caps icon="visibility" label="Open" @click="() => $parent.$emit('open', props.row.id)"/>
  <q-btn flat dense no-caps icon="download" label="XLSX" @click="() => $parent.$emit('download', props.row.id)"/>
</q-td>"""
REFRESH_PAUSE = 3.0
BAR_WIDTH = 56  # px: one month's bars would otherwise fill the whole chart


async def view(actor: Actor, report: str | None = None) -> None:
    screen = _Reports(actor)
    await screen.reload()
    if report and report.isdigit():
        await screen.open_stored(int(report))


def periods(kind: str, today: date) -> dict[str, str]:
    """The choices of a period kind, newest first: value "start/end" -> label."""
    if kind == 'year':
        return {f'{y}-01-01/{y}-12-31': str(y) for y in range(today.year, today.year - 6, -1)}
    step = 3 if kind == 'quarter' else 1
    first = date(today.year, (today.month - 1) // step * step + 1, 1)
    choices = {}
    for _ in range(24 if step == 1 else 12):
        following = _add_months(first, step)
        label = f'{first.year} Q{(first.month - 1) // 3 + 1}' if step == 3 else f'{first:%B %Y}'
        choices[f'{first.isoformat()}/{(following - timedelta(days=1)).isoformat()}'] = label
        first = _add_months(first, -step)
    return choices


def _add_months(day: date, months: int) -> date:
    number = day.year * 12 + day.month - 1 + months
    return date(number // 12, number % 12 + 1, 1)


class _Reports:
    """The screen: the period, the tabs of figures, the stored reports; everything re-read on `reload`."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.today = date.today()
        self.reads = 0  # reads may overlap (the viewer's choice and a booking): only the latest one is shown
        with ui.column().classes(theme.PAGE).mark('reports'):
            self._heading()
            self._period_picker()
            with ui.tabs().classes('w-full').props('align=left') as tabs:
                ui.tab('pnl', 'Profit and loss').mark('tab-pnl')
                ui.tab('dimension', 'By dimension').mark('tab-dimension')
                ui.tab('stock', 'Stock value').mark('tab-stock')
                ui.tab('aged', 'Aged stock').mark('tab-aged')
                ui.tab('stored', 'Stored reports').mark('tab-stored')
            with ui.tab_panels(tabs, value='pnl').classes('w-full bg-transparent'):
                with ui.tab_panel('pnl').classes('p-0 gap-4'):
                    self._pnl_tab()
                with ui.tab_panel('dimension').classes('p-0 gap-4'):
                    self._dimension_tab()
                with ui.tab_panel('stock').classes('p-0 gap-4'):
                    self.stock_stage = ReportTable('stock-stage', 'Stock value by stage', download=self.download)
                    self.stock_location = ReportTable(
                        'stock-location', 'Stock value by location', download=self.download
                    )
                with ui.tab_panel('aged').classes('p-0 gap-4'):
                    self.aged = ReportTable('aged', 'Aged stock', download=self.download)
                with ui.tab_panel('stored').classes('p-0 gap-4'):
                    self._stored_tab()
            subscriptions = Subscriptions()
        self.changes = Coalescer(self.reload, subscriptions, pause=0.1)  # the viewer's own choices: at once
        self.refreshes = Coalescer(self.reload, subscriptions, pause=REFRESH_PAUSE)  # bookings: debounced
        subscriptions.follow(live.ledger_changed, lambda _ids: self.refreshes.poke())
        subscriptions.follow(live.reconnected, self.refreshes.poke)

    # --- layout -------------------------------------------------------------------------------------------------

    def _heading(self) -> None:
        with ui.row().classes('w-full items-end justify-between gap-4'):
            with ui.column().classes('gap-1'):
                ui.label('Finance reports').classes(theme.TITLE)
                ui.label(
                    'Purchase and service costs count when the watch sells; unsold watches are stock at cost.'
                ).classes(theme.SUBTITLE)
            if self.actor.can(Permission.LEDGER_VIEW):
                self.produce_button = ui.button(icon='summarize', on_click=self.produce).props('unelevated')
                self.produce_button.mark('produce-report')

    def _period_picker(self) -> None:
        with ui.row().classes('w-full items-start gap-3 flex-wrap').mark('period'):
            self.kind = ui.toggle(KINDS, value='month', on_change=self._kind_changed).mark('period-kind')
            months = periods('month', self.today)
            self.choice = ui.select(months, value=next(iter(months)), on_change=lambda: self.changes.poke())
            self.choice.classes('min-w-[12rem]').props('dense outlined').mark('period-choice')
            self.start = ui.input('From', on_change=lambda: self.changes.poke()).props('type=date dense outlined')
            self.end = ui.input('To', on_change=lambda: self.changes.poke()).props('type=date dense outlined')
            for field, mark in ((self.start, 'period-start'), (self.end, 'period-end')):
                field.without_auto_validation().mark(mark)  # the service checks the period; its message stays
        self._show_custom(False)

    def _pnl_tab(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Revenue, costs and gross profit').classes(theme.CARD_TITLE)
            self.grain = ui.toggle({'months': 'By month', 'quarters': 'By quarter'}, value='months')
            self.grain.on_value_change(lambda: self.changes.poke())
            self.grain.props('dense no-caps').mark('pnl-grain')
        self.pnl_chart = ui.echart(_chart_options()).classes('w-full h-80').mark('pnl-chart')
        self.pnl_table = ReportTable('pnl', 'Profit and loss by month', download=self.download)

    def _dimension_tab(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Profit and loss by').classes(theme.CARD_TITLE)
            self.dimension = ui.select(reports.DIMENSIONS, value='brand', on_change=lambda: self.changes.poke())
            self.dimension.props('dense outlined').classes('min-w-[10rem]').mark('dimension')
        self.dimension_chart = ui.echart(_chart_options(line=False)).classes('w-full h-80').mark('dimension-chart')
        self.dimension_table = ReportTable('dimension', 'Profit and loss by brand', download=self.download)

    def _stored_tab(self) -> None:
        with ui.card().classes(theme.CARD):
            ui.label('Reports produced each month (and on request), as they stood then').classes(theme.CARD_TITLE)
            self.stored = PagedTable(STORED_COLUMNS, self._stored_page, sort_by='', per_page=10,
                                     no_data='No report has been produced yet.')  # fmt: skip
            self.stored.table.add_slot('body-cell-actions', _STORED_ACTIONS)
            self.stored.table.on('open', lambda e: self.open_stored(int(e.args)))
            self.stored.table.on('download', lambda e: self._download_stored(int(e.args)))
            self.stored.table.mark('stored-reports')

    # --- reading ------------------------------------------------------------------------------------------------

    def period(self) -> dict[str, str] | None:
        """The chosen period as the service takes it; None while none is chosen (or a custom one is incomplete)."""
        if self.kind.value == 'custom':
            if not (self.start.value and self.end.value):
                return None
            return {'start': self.start.value, 'end': self.end.value}
        if not self.choice.value:
            return None
        start, end = str(self.choice.value).split('/')
        return {'start': start, 'end': end}

    async def reload(self) -> None:
        """Every tab's figures for the chosen period, in one trip off the event loop."""
        self._label_produce()
        period = self.period()
        if period is None:
            return
        keys = [self.grain.value, f'by-{self.dimension.value}', *STOCK_KEYS]
        self.reads += 1
        mine = self.reads
        try:
            tables = await call(report_export.tables, self.actor, period, keys)
        except ServiceError as error:
            if mine == self.reads:
                field_errors.show(error, {'start': self.start, 'end': self.end, 'input': self.end})
            return
        if mine != self.reads:  # a later read (another period, a booking) started meanwhile: it shows its own
            return
        field_errors.clear({'start': self.start, 'end': self.end})
        self._chart(self.pnl_chart, tables[0], line=True)
        self._chart(self.dimension_chart, tables[1], line=False)
        for shown, table in zip(
            (self.pnl_table, self.dimension_table, self.stock_stage, self.stock_location, self.aged),
            tables,
            strict=True,
        ):
            shown.key = table.key
            await shown.show(table)
        await self.stored.load()

    def _chart(self, chart: ui.echart, table: Table, *, line: bool) -> None:
        rows = table.rows[:20] if not line else table.rows  # the 20 largest groups; the table has them all
        chart.options['xAxis']['data'] = [row['label'] for row in rows]
        chart.options['series'][0]['data'] = [chart_value(row['revenue']) for row in rows]
        chart.options['series'][1]['data'] = [chart_value(row['total_costs']) for row in rows]
        chart.options['series'][2]['data'] = [chart_value(row['gross_profit']) for row in rows]
        chart.update()

    async def _stored_page(self, offset: int, limit: int, _sort: str, _desc: bool) -> tuple[int, list[dict[str, Any]]]:
        page = await call(stored_reports.list_reports, self.actor, offset=offset, limit=limit)
        return page.total, [
            {'id': item.id, 'title': item.title, 'period': f'{item.period_start} – {item.period_end}',
             'by': f'{item.created_by_name or "Schedule"} · {format.when(item.created_at)}'}
            for item in page.items
        ]  # fmt: skip

    # --- acting -------------------------------------------------------------------------------------------------

    async def download(self, key: str, fmt: str) -> None:
        period = self.period()
        if period is None:
            ui.notify('Choose both dates of the period first.', type='warning')
            return
        try:
            name, data = await call(report_export.export_table, self.actor, period, key, fmt)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        ui.download.content(data, name, report_export.MEDIA_TYPES[fmt])

    async def _download_stored(self, report_id: int) -> None:
        try:
            name, data = await call(stored_reports.report_file, self.actor, report_id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        ui.download.content(data, name, report_export.MEDIA_TYPES['xlsx'])

    async def open_stored(self, report_id: int) -> None:
        """A stored report's tables in a dialog, as they stood when it was produced."""
        try:
            report = await call(stored_reports.get_report, self.actor, report_id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        with ui.dialog().props('maximized') as dialog, ui.card().classes('w-full gap-4 p-5').mark('stored-report'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label(report.title).classes(theme.TITLE).mark('stored-title')
                with ui.row().classes('gap-2'):
                    ui.button('XLSX', icon='download', on_click=lambda: self._download_stored(report_id)).props('flat')
                    ui.button('Close', on_click=dialog.close).props('unelevated').mark('stored-close')
            with ui.column().classes('w-full gap-4 overflow-auto'):
                shown = [ReportTable(f'stored-{table.key}', table.title, per_page=10) for table in report.tables]
        dialog.open()
        for table, holder in zip(report.tables, shown, strict=True):
            await holder.show(table)
        await dialog
        dialog.delete()

    async def produce(self) -> None:
        month = self._month_to_produce()
        try:
            job = await call(stored_reports.produce, self.actor, month)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        await job_dialog(self.actor, job, auto_download=False)
        await self.stored.load()

    def _month_to_produce(self) -> str:
        """The chosen month, or the month before this one for any other kind of period."""
        if self.kind.value == 'month' and self.choice.value:
            return str(self.choice.value)[:7]
        return stored_reports.previous_month(self.today)

    def _label_produce(self) -> None:
        if hasattr(self, 'produce_button'):
            month = date.fromisoformat(f'{self._month_to_produce()}-01')
            self.produce_button.text = f'Produce report for {month:%B %Y}'

    def _kind_changed(self) -> None:
        custom = self.kind.value == 'custom'
        self._show_custom(custom)
        if not custom:
            choices = periods(self.kind.value, self.today)
            self.choice.set_options(choices, value=next(iter(choices)))
        self.changes.poke()

    def _show_custom(self, custom: bool) -> None:
        self.choice.set_visibility(not custom)
        self.start.set_visibility(custom)
        self.end.set_visibility(custom)


def _chart_options(*, line: bool = True) -> dict[str, Any]:
    """Revenue and costs as bars, gross profit as a line (over time) or a third bar (by dimension)."""
    profit = {'name': 'Gross profit', 'type': 'line' if line else 'bar', 'data': [], 'smooth': True,
              'barMaxWidth': BAR_WIDTH, 'itemStyle': {'color': theme.ACCENT}}  # fmt: skip
    return {
        'tooltip': {'trigger': 'axis'},
        'legend': {'data': ['Revenue', 'Costs', 'Gross profit'], 'top': 0},
        'grid': {'left': 60, 'right': 20, 'bottom': 40, 'top': 40},
        'xAxis': {'type': 'category', 'data': []},
        'yAxis': {'type': 'value'},
        'series': [
            {
                'name': 'Revenue',
                'type': 'bar',
                'data': [],
                'barMaxWidth': BAR_WIDTH,
                'itemStyle': {'color': theme.POSITIVE},
            },
            {
                'name': 'Costs',
                'type': 'bar',
                'data': [],
                'barMaxWidth': BAR_WIDTH,
                'itemStyle': {'color': theme.NEGATIVE},
            },
            profit,
        ],
    }
