"""The header's search box: watches appear as you type, the keyboard moves through them, a scanned SKU opens at once.

Typing is debounced on the server: each keystroke bumps a counter, and a search runs only when the counter is
unchanged after a short pause, so a fast typist (or a barcode scanner) costs one query, not one per letter. An
answer that arrives after newer typing is dropped: only the latest query's answer is drawn. Enter never waits
for the pause: it opens the highlighted result, an exact SKU, or the inventory list searched for the text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlencode

from nicegui import ui

from components import format, theme
from components.offload import call
from services import suggestions, watches
from services.errors import ServiceError
from services.permissions import Actor

DEBOUNCE_SECONDS = 0.2
_MENU_WIDTH = 'width: min(30rem, calc(100vw - 1rem))'
# On a phone the box is narrow and near the right edge: the dropdown spans the screen instead of hanging from the
# box (Quasar would squeeze it into the space left of the box's edge). Quasar places the menu with inline styles.
_PHONE_CSS = """
@media (max-width: 639.98px) {
  .global-search-menu { left: 0.5rem !important; width: calc(100vw - 1rem) !important; max-width: none !important; }
}
"""
_ACTIVE = 'bg-amber-100 dark:bg-stone-700'
_THUMB = 'w-10 h-10 rounded object-cover shrink-0'


def all_results_path(text: str) -> str:
    """The inventory list searched for `text` (its search box shows the same text)."""
    return f'/watches?{urlencode({"q": text})}'


class GlobalSearch:
    """The box, its dropdown and the keyboard; `targets` are the paths of the rows the arrow keys move through."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.typed = 0  # bumped on every change of the text; a search whose number is behind it is stale
        self.active = -1
        self.targets: list[str] = []
        self.rows: list[ui.item] = []
        with ui.element('div').classes('relative shrink min-w-0'):  # the dropdown hangs from this, under the box
            self.box = ui.input(placeholder='Search or scan a SKU').props(
                'dense dark standout clearable autocomplete=off spellcheck=false maxlength=100 type=search'
            )
            self.box.classes('w-40 sm:w-64 md:w-72').mark('global-search')
            with self.box.add_slot('prepend'):
                ui.icon('search').classes('text-stone-400')
            self.menu = ui.menu().props('no-parent-event no-focus anchor="bottom right" self="top right"')
            self.menu.props['offset'] = [0, 6]  # a real list: the `:offset=[0,6]` string form leaves the menu unplaced
            self.menu.style(_MENU_WIDTH).classes('global-search-menu max-h-[70vh]').mark('search-menu')
            with self.menu:
                self.results = ui.list().classes('w-full py-1').mark('search-results')
        ui.add_css(_PHONE_CSS, shared=False)
        self.box.on_value_change(self._typed)
        self.box.on('keydown.enter', self._enter)
        self.box.on('keydown.down.prevent', lambda: self._move(1))
        self.box.on('keydown.up.prevent', lambda: self._move(-1))
        self.box.on('keydown.esc', self.close)
        self.box.on('click', self._reopen)

    # --- typing ----------------------------------------------------------------------------------------------

    async def _typed(self) -> None:
        """Wait for a pause in typing, then ask; draw the answer only if nothing was typed meanwhile."""
        self.typed += 1
        mine = self.typed
        self.active = -1
        text = self._text()
        if len(text) < suggestions.MIN_LENGTH:
            self._loading(False)
            self.close()
            return
        self._loading(True)
        await asyncio.sleep(DEBOUNCE_SECONDS)
        if mine != self.typed:
            return
        try:
            found, problem = await call(suggestions.suggest, self.actor, text), None
        except ServiceError as error:
            found, problem = suggestions.Suggestions(), str(error)
        if mine == self.typed:
            self._loading(False)
            self._draw(text, found, problem)

    def _text(self) -> str:
        return ' '.join((self.box.value or '').split())

    def _loading(self, waiting: bool) -> None:
        if waiting:
            self.box.props('loading')
        else:
            self.box.props(remove='loading')

    # --- the dropdown ----------------------------------------------------------------------------------------

    def _draw(self, text: str, found: suggestions.Suggestions, problem: str | None) -> None:
        self.results.clear()
        self.targets, self.rows = [], []
        with self.results:
            if problem or not found.items:
                _notice(text, problem)
            else:
                for item in found.items:
                    self._add_row(f'/watches/{item.id}', lambda i=item: _result(i)).mark(f'search-result-{item.id}')
                ui.separator().classes('my-1')
                total = format.count(found.total) + ('+' if found.capped else '')
                noun = 'result' if found.total == 1 and not found.capped else 'results'
                self._add_row(all_results_path(text), lambda: _see_all(f'See all {total} {noun}')).mark('search-all')
        self.results.props['data-query'] = text  # what this answer is for: lets a browser test tell answers apart
        self.results.update()
        self._highlight(0 if found.exact_id is not None and self.rows else -1)
        self.menu.open()

    def _add_row(self, path: str, fill: Callable[[], None]) -> ui.item:
        """A row the arrow keys can reach; `fill` draws what it shows."""
        row = ui.item(on_click=lambda: self._open(path)).classes('rounded mx-1 min-h-0 px-2 py-1')
        with row:
            fill()
        self.targets.append(path)
        self.rows.append(row)
        return row

    def _reopen(self) -> None:
        if self.rows and len(self._text()) >= suggestions.MIN_LENGTH:
            self.menu.open()

    def close(self) -> None:
        self.menu.close()
        self._highlight(-1)

    # --- keyboard --------------------------------------------------------------------------------------------

    def _move(self, step: int) -> None:
        """Arrow keys: down from the box onto the first row, up past the first row back into the box."""
        if not self.rows:
            return
        self.menu.open()
        self._highlight(max(-1, min(len(self.rows) - 1, self.active + step)))

    def _highlight(self, index: int) -> None:
        for number, row in enumerate(self.rows):
            if number == index:
                row.classes(add=_ACTIVE)
            else:
                row.classes(remove=_ACTIVE)
        self.active = index

    async def _enter(self) -> None:
        """The highlighted row; else an exact SKU (a scanner types it and Enter within any pause); else the list."""
        if self.menu.value and 0 <= self.active < len(self.targets):
            self._open(self.targets[self.active])
            return
        text = self._text()
        if not text:
            return
        self.typed += 1  # whatever is still pending is for text already dealt with
        watch_id = await call(watches.find_by_sku, self.actor, text)
        self._open(f'/watches/{watch_id}' if watch_id else all_results_path(text))

    def _open(self, path: str) -> None:
        self.close()
        self.box.value = ''
        ui.navigate.to(path)


def _result(item: suggestions.Suggestion) -> None:
    """Thumbnail, title and SKU with reference and year, and the stage as a chip in its colour."""
    with ui.item_section().props('avatar').classes('min-w-0 pr-3'):
        if item.thumbnail:
            ui.element('img').props(f'src="{item.thumbnail}" alt="" loading=lazy').classes(_THUMB)
        else:
            with ui.element('div').classes(f'{_THUMB} bg-stone-100 dark:bg-stone-800 flex items-center justify-center'):
                ui.icon('watch').classes('text-stone-400')
    with ui.item_section().classes('min-w-0'):
        ui.label(item.title).classes('text-sm font-medium truncate')
        with ui.row().classes('gap-2 no-wrap items-baseline min-w-0'):
            ui.label(item.sku).classes('font-mono text-xs text-amber-900 dark:text-amber-300 shrink-0')
            if item.subtitle:
                ui.label(item.subtitle).classes(f'text-xs truncate {theme.MUTED}')
    with ui.item_section().props('side'):
        ui.badge(item.stage, color=item.stage_colour).classes('px-2 py-1')


def _see_all(label: str) -> None:
    with ui.item_section().props('avatar').classes('min-w-0 pr-3'):
        ui.icon('manage_search').classes(f'w-10 text-xl {theme.MUTED}')
    with ui.item_section():
        ui.label(label).classes('text-sm font-medium')
    with ui.item_section().props('side'):
        ui.icon('arrow_forward').classes(theme.MUTED)


def _notice(text: str, problem: str | None) -> None:
    """Nothing to show: why (the service's sentence), or that nothing matched and what one can search for."""
    with ui.row().classes('px-3 py-3 gap-3 items-center no-wrap').mark('search-empty'):
        ui.icon('error_outline' if problem else 'search_off').classes(f'text-2xl {theme.MUTED}')
        with ui.column().classes('gap-0 min-w-0'):
            ui.label(problem or f'No watch matches “{text}”').classes('text-sm font-medium break-words')
            ui.label('Try a SKU, a reference, a brand or a model.').classes(f'text-xs {theme.MUTED}')
