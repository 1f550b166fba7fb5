"""Figure tiles and stage bars for overview screens."""

from __future__ import annotations

from nicegui import ui

from components import format, theme


def stat_tile(label: str, value: str, *, icon: str, mark: str) -> None:
    """One headline figure; `mark` names it for tests."""
    with ui.card().classes(theme.CARD + ' min-w-[12rem] flex-1').mark(mark):
        with ui.row().classes('items-center justify-between w-full no-wrap'):
            ui.label(label).classes(f'text-sm {theme.MUTED}')
            ui.icon(icon).classes('text-2xl text-amber-700 dark:text-amber-500')
        ui.label(value).classes('text-2xl xl:text-3xl font-semibold tracking-tight break-words').mark(f'{mark}-value')


def stage_bars(items: list[tuple[str, str, str, int]]) -> None:
    """One bar per stage, scaled to the largest; (key, name, colour, count). Empty stages are dimmed, not hidden."""
    largest = max((count for *_, count in items), default=0) or 1
    with ui.column().classes('w-full gap-2'):
        for key, name, colour, count in items:
            with ui.row().classes('w-full items-center gap-3 no-wrap' + ('' if count else ' opacity-50')):
                ui.label(name).classes('w-32 shrink-0 text-sm')
                with ui.element('div').classes('flex-1 h-2.5 rounded-full bg-stone-200 dark:bg-stone-800'):
                    ui.element('div').classes('h-2.5 rounded-full').style(
                        f'width:{max(count / largest * 100, 0.5 if count else 0):.1f}%;background:{colour}'
                    )
                ui.label(format.count(count)).classes('w-12 text-right text-sm tabular-nums').mark(f'stage-{key}')
