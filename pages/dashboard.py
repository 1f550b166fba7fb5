"""Home: stock per stage, stock value at cost, this week's intake, and the latest ten watches."""

from __future__ import annotations

from nicegui import ui

from components import format, theme
from components.live_screen import follow_watches
from components.notices import empty_state
from components.offload import call
from components.tiles import stage_bars, stat_tile
from services import dashboard
from services.permissions import Actor


async def view(actor: Actor) -> None:
    figures = await call(dashboard.figures, actor)
    with ui.column().classes(theme.PAGE).mark('dashboard'):
        with ui.column().classes('gap-0'):
            ui.label('Dashboard').classes(theme.TITLE)
            scope = 'all watches' if actor.sees_all_watches else 'the watches you sourced'
            ui.label(f'Stock and intake for {scope}').classes(theme.SUBTITLE)
        body = ui.column().classes('w-full gap-6 p-0')
        with body:
            _figures(figures)

        async def reread() -> None:
            """Any watch changed anywhere may move a figure: read them all again and redraw in place."""
            fresh = await call(dashboard.figures, actor)
            body.clear()
            with body:
                _figures(fresh)

        follow_watches(reread, pause=1.0)  # the figures are the costliest read here: at most one a second


def _figures(figures: dashboard.Figures) -> None:
    with ui.row().classes('w-full gap-4'):
        stat_tile('In stock', format.count(figures.in_stock), icon='inventory_2', mark='tile-in-stock')
        if figures.stock_value is not None:
            stat_tile(
                'Stock value at cost',
                format.money(figures.stock_value, figures.base_currency),
                icon='account_balance',
                mark='tile-stock-value',
            )
        stat_tile('Added this week', format.count(figures.added_this_week), icon='add_circle', mark='tile-week')
    with ui.row().classes('w-full gap-4 items-stretch flex-wrap lg:flex-nowrap'):
        with ui.card().classes(theme.CARD + ' lg:w-5/12').mark('per-stage'):
            ui.label('Watches per stage').classes(theme.CARD_TITLE)
            stage_bars([(s.key, s.name, s.colour, s.count) for s in figures.per_stage])
        with ui.card().classes(theme.CARD + ' lg:w-7/12'):
            ui.label('Latest watches').classes(theme.CARD_TITLE)
            _latest_table(figures)


def _latest_table(figures: dashboard.Figures) -> None:
    if not figures.latest:
        empty_state('watch', 'No watches yet.', 'Watches show up here as soon as they are taken in.').mark('no-watches')
        return
    columns = [
        {'name': 'sku', 'label': 'SKU', 'field': 'sku', 'align': 'left'},
        {'name': 'watch', 'label': 'Watch', 'field': 'watch', 'align': 'left', 'classes': 'whitespace-normal'},
        {'name': 'stage', 'label': 'Stage', 'field': 'stage', 'align': 'left'},
    ]
    if figures.stock_value is not None:
        columns.append({'name': 'cost', 'label': 'Cost', 'field': 'cost', 'align': 'right'})
    rows = [
        {
            'id': w.id,
            'sku': w.sku,
            'watch': f'{w.brand} {w.model}' + (f' · {w.reference}' if w.reference else ''),
            'stage': w.stage,
            'colour': w.stage_colour,
            'cost': format.money(w.cost, figures.base_currency),
        }
        for w in figures.latest
    ]
    table = ui.table(columns=columns, rows=rows, row_key='id').props('flat dense').classes('w-full').mark('latest')
    table.add_slot(
        'body-cell-stage',
        '<q-td :props="props"><q-badge :style="{background: props.row.colour}" :label="props.value"/></q-td>',
    )
