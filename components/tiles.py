"""Figure tiles and stage bars for overview screens."""

from __future__ import annotations

from nicegui import ui

from components import theme


def stat_tile(label: str, value: str, *, icon: str, hint: str = '', mark: str = '') -> None:
    with ui.card().classes(theme.CARD + ' min-w-[12rem] flex-1').mark(mark or label):
        with ui.row().classes('items-center justify-between w-full no-wrap'):
            ui.label(label).classes('text-sm text-stone-500 dark:text-stone-400')
            ui.icon(icon).classes('text-2xl text-amber-700')
        ui.label(value).classes('text-3xl font-semibold tracking-tight')
        if hint:
            ui.label(hint).classes('text-xs text-stone-500')


def stage_bars(items: list[tuple[str, str, int]]) -> None:
    """One bar per stage, scaled to the largest; (name, colour, count)."""
    largest = max((count for _, _, count in items), default=0) or 1
    with ui.column().classes('w-full gap-2'):
        for name, colour, count in items:
            with ui.row().classes('w-full items-center gap-3 no-wrap'):
                ui.label(name).classes('w-32 shrink-0 text-sm')
                with ui.element('div').classes('flex-1 h-3 rounded bg-stone-200 dark:bg-stone-800 overflow-hidden'):
                    ui.element('div').classes('h-3 rounded').style(
                        f'width:{max(count / largest * 100, 0.5 if count else 0):.1f}%;background:{colour}'
                    )
                ui.label(f'{count:,}').classes('w-16 text-right text-sm tabular-nums')
