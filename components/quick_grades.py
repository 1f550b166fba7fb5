"""Quick condition grading for intake: one row of big A–E buttons per component and aspect, the overall grade live.

The engineer of the watch form owns the full grade picker (components/grading.py); intake needs only this
compact form of it, which a practised hand fills in a few taps.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from services import grading


class QuickGrades:
    """`value` is the `condition` dict WatchCreate takes: {component: {aspect: grade}}, empty grades left out."""

    def __init__(self, on_change: Callable[[], object]) -> None:
        self._on_change = on_change
        self._toggles: dict[tuple[str, str], ui.toggle] = {}
        with ui.row().classes('w-full items-center gap-3'):
            ui.label('Overall').classes('text-base')
            self._overall = ui.label('—').classes('text-2xl font-semibold').mark('overall-grade')
            ui.label('Tap a grade again to clear it.').classes('text-sm text-stone-500')
        with ui.column().classes('w-full gap-2'):
            for component, aspects in grading.COMPONENTS.items():
                for aspect in aspects:
                    self._row(component, aspect, len(aspects) > 1)
        self.problem = ui.label().classes('text-sm text-red-700').mark('condition-error')
        self.problem.set_visibility(False)

    def _row(self, component: str, aspect: str, named: bool) -> None:
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            text = f'{component.title()} ({aspect})' if named else component.title()
            ui.label(text).classes('w-40 shrink-0 text-base')
            toggle = ui.toggle(list(grading.GRADES), value=None, clearable=True, on_change=lambda _: self._changed())
            toggle.props('spread no-caps unelevated toggle-color=primary color=grey-3 text-color=grey-9 size=lg')
            toggle.classes('flex-1 min-h-12').mark(f'grade-{component}-{aspect}')
            self._toggles[component, aspect] = toggle

    @property
    def value(self) -> dict[str, dict[str, str]]:
        condition: dict[str, dict[str, str]] = {}
        for (component, aspect), toggle in self._toggles.items():
            if toggle.value:
                condition.setdefault(component, {})[aspect] = toggle.value
        return condition

    def set_value(self, condition: dict[str, dict[str, str]] | None) -> None:
        for (component, aspect), toggle in self._toggles.items():
            toggle.value = ((condition or {}).get(component) or {}).get(aspect)
        self._show_overall()

    def set_error(self, message: str | None) -> None:
        self.problem.text = message or ''
        self.problem.set_visibility(bool(message))

    def _changed(self) -> None:
        self._show_overall()
        self._on_change()

    def _show_overall(self) -> None:
        self._overall.text = grading.overall(self.value) or '—'
