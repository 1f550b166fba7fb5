"""Condition grading: one big A–E picker per component and aspect, with the overall grade worked out live.

Self-contained so the desk form and the tablet intake use the same widget: it needs nothing but the grades
already given, and hands back a getter for what is picked now.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components import theme
from services import grading

Condition = dict[str, dict[str, str]]
_ASPECT_LABELS = {'optical': 'Optical', 'technical': 'Technical'}


def grade_pickers(condition: Condition | None = None, *, mark: str = 'grading') -> Callable[[], Condition]:
    """Build the pickers (a grade can be unpicked again) and return a getter for the grades picked."""
    condition = condition or {}
    pickers: dict[tuple[str, str], ui.toggle] = {}
    with ui.column().classes('w-full gap-3').mark(mark):
        with ui.row().classes('items-baseline gap-2'):
            ui.label('Overall').classes(f'text-sm {theme.MUTED}')
            overall = ui.label().classes('text-2xl font-semibold').mark('overall-grade')
            meaning = ui.label().classes(f'text-sm {theme.MUTED}')
        with ui.grid(columns='minmax(6rem,auto) 1fr').classes('w-full items-center gap-x-4 gap-y-2'):
            for component, aspects in grading.COMPONENTS.items():
                ui.label(component.title()).classes('text-sm font-medium')
                with ui.row().classes('gap-x-6 gap-y-2 items-center'):
                    for aspect in aspects:
                        pickers[component, aspect] = _picker(
                            component, aspect, condition.get(component, {}).get(aspect)
                        )
        ui.label(' · '.join(f'{grade} {text.split(":")[0]}' for grade, text in grading.GRADES.items())).classes(
            f'text-xs {theme.MUTED}'
        )

    def picked() -> Condition:
        chosen: Condition = {}
        for (component, aspect), picker in pickers.items():
            if picker.value:
                chosen.setdefault(component, {})[aspect] = picker.value
        return chosen

    def show_overall() -> None:
        grade = grading.overall(picked())
        overall.text = grade or '—'
        meaning.text = grading.GRADES[grade] if grade else 'Pick grades below; the overall grade follows from them.'

    for picker in pickers.values():
        picker.on_value_change(show_overall)
    show_overall()
    return picked


def _picker(component: str, aspect: str, value: str | None) -> ui.toggle:
    """Five large buttons (touch targets of about 44 px); pressing the chosen one again clears it."""
    with ui.column().classes('gap-0'):
        ui.label(_ASPECT_LABELS[aspect]).classes(f'text-xs {theme.MUTED}')
        return (
            ui.toggle(list(grading.GRADES), value=value, clearable=True)
            .props('unelevated toggle-color=primary padding="10px 16px" no-caps')
            .classes('border border-stone-300 dark:border-stone-700')
            .mark(f'grade-{component}-{aspect}')
        )
