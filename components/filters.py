"""The inventory filter panel: one field per `WatchFilter` field, reporting a plain dict the service validates.

The panel knows nothing about watches beyond the field names; the screen hands it the choices (brands,
stages, locations...) and hears every change. On a narrow screen it folds away behind a "Filters" button.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from components import format, theme
from services.search import FacetCount, Facets
from services.search.base import FACET_CAP

_PHOTOS = {'any': 'Any', 'yes': 'With photos', 'no': 'Without photos'}
_TEXT_FIELDS = ('text', 'model', 'reference', 'created_from', 'created_to')
_LIST_FIELDS = ('brands', 'condition_grades', 'location_ids', 'stage_ids')
_ONE_FIELDS = ('batch_id', 'agent_id', 'seller_id')
_NUMBER_FIELDS = ('price_min', 'price_max')
# A search facet, the filter field a click on one of its chips narrows, its heading, and the type of its values.
_FACETS: dict[str, tuple[str, str, type]] = {
    'brand': ('brands', 'Brand', str),
    'stage_id': ('stage_ids', 'Stage', int),
    'location_id': ('location_ids', 'Location', int),
    'condition_grade': ('condition_grades', 'Condition', str),
}
_CHIPS_PER_FACET = 6


@dataclass(frozen=True)
class FilterChoices:
    """What the selects offer; `agents` is None for a role that only sees its own watches (nothing to choose)."""

    brands: list[str]
    grades: dict[str, str]
    locations: dict[int, str]
    stages: dict[int, str]
    batches: dict[int, str]
    agents: dict[int, str] | None
    sellers: dict[int, str]


class WatchFilters:
    """The fields, laid out in a grid; `values()` is what is set, as JSON-friendly `WatchFilter` input."""

    def __init__(self, choices: FilterChoices, values: dict[str, Any], on_change: Callable[[], object]) -> None:
        self.on_change = on_change
        self._quiet = False
        self.fields: dict[str, ui.element] = {}
        with ui.row().classes('w-full items-center gap-2 lg:hidden'):
            ui.button('Filters', icon='tune', on_click=self._toggle).props('outline').mark('filters-toggle')
            self.summary = ui.label().classes(theme.MUTED + ' text-sm')
        with ui.card().classes(f'{theme.CARD} max-lg:hidden').mark('filters') as self.panel:
            with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-4 gap-x-3 gap-y-1'):
                self._build(choices)
            with ui.row().classes('w-full items-center gap-2'):
                self.error = ui.label().classes('text-sm text-red-700 dark:text-red-400').mark('filter-error')
                ui.space()
                ui.button('Clear filters', icon='filter_alt_off', on_click=self.clear).props('flat dense').mark(
                    'clear-filters'
                )
        self.set_values(values)

    def _build(self, c: FilterChoices) -> None:
        """One field per filter, in the order a dealer narrows a list: what it is, where it is, what it costs."""
        text = self._input('text', 'Search SKU, brand, model, reference', icon='search')
        text.props('autofocus=false')
        self._select('brands', 'Brand', c.brands, multiple=True, new_values=True)
        self._input('model', 'Model')
        self._input('reference', 'Reference')
        self._select('condition_grades', 'Condition', c.grades, multiple=True)
        self._select('stage_ids', 'Stage', c.stages, multiple=True)
        self._select('location_ids', 'Location', c.locations, multiple=True)
        self._select('batch_id', 'Batch', c.batches)
        if c.agents is not None:
            self._select('agent_id', 'Agent', c.agents)
        self._select('seller_id', 'Seller', c.sellers)
        for key, label in (('price_min', 'Asking price from'), ('price_max', 'Asking price to')):
            self.fields[key] = self._watch(ui.number(label, min=0, format='%.2f').props('dense outlined debounce=400'))
            self.fields[key].mark(f'filter-{key}')
        for key, label in (('created_from', 'Created from'), ('created_to', 'Created to')):
            self._input(key, label).props('type=date stack-label')
        self._select('has_photos', 'Photos', _PHOTOS)

    def _input(self, key: str, label: str, *, icon: str | None = None) -> ui.input:
        field = ui.input(label).props('dense outlined clearable debounce=400').mark(f'filter-{key}')
        if icon:
            with field.add_slot('prepend'):
                ui.icon(icon)
        self.fields[key] = self._watch(field)
        return field

    def _select(self, key: str, label: str, options: Any, *, multiple: bool = False, new_values: bool = False) -> None:
        field = ui.select(
            options,
            label=label,
            multiple=multiple,
            with_input=new_values,
            new_value_mode='add-unique' if new_values else None,
            clearable=key != 'has_photos',
        ).props('dense outlined options-dense' + (' use-chips' if multiple else ''))
        self.fields[key] = self._watch(field.mark(f'filter-{key}'))

    def _watch(self, field: Any) -> Any:
        field.on_value_change(self._changed)
        return field

    def _changed(self) -> Awaitable[None] | None:
        """Decided at once, not in a task: `set_values` is quiet only while it runs."""
        self._summarise()
        return None if self._quiet else self._notify()

    async def _notify(self) -> None:
        result = self.on_change()
        if isinstance(result, Awaitable):
            await result

    def _toggle(self) -> None:
        """On a narrow screen: show or fold away the panel (on a wide one it is always there)."""
        if 'max-lg:hidden' in self.panel.classes:
            self.panel.classes(remove='max-lg:hidden')
        else:
            self.panel.classes(add='max-lg:hidden')

    def values(self) -> dict[str, Any]:
        """Only what is set, so a stored filter or preset stays short and survives new fields."""
        found: dict[str, Any] = {}
        for key, field in self.fields.items():
            value = field.value
            if key == 'has_photos':
                value = {'yes': True, 'no': False}.get(value)
            elif isinstance(value, str):
                value = value.strip()
            if value not in (None, '', []):
                found[key] = value
        return found

    def set_values(self, values: dict[str, Any]) -> None:
        """Show a stored filter or preset without announcing each field as a change."""
        self._quiet = True
        try:
            for key, field in self.fields.items():
                value = values.get(key)
                if key == 'has_photos':
                    value = {True: 'yes', False: 'no'}.get(value, 'any')
                elif key in _LIST_FIELDS:
                    value = list(value or [])
                    if key == 'brands':  # a brand typed by hand must be an option to be shown
                        field.options = sorted({*field.options, *value})
                elif key in _NUMBER_FIELDS and value is not None:
                    value = float(value)
                elif key in _ONE_FIELDS and value not in field.options:
                    value = None
                field.value = value if value is not None else ('' if key in _TEXT_FIELDS else None)
        finally:
            self._quiet = False
        self._summarise()

    async def clear(self) -> None:
        self.set_values({})
        await self._notify()

    def show_error(self, message: str | None) -> None:
        self.error.text = message or ''

    def _summarise(self) -> None:
        count = len(self.values())
        self.summary.text = f'{count} active' if count else 'None active'


class FacetChips:
    """While a text search is on: how many matches have each brand, stage, location and grade, most first.

    A click on a chip narrows the list by that value (or, on one already chosen, widens it again): `on_pick` hears
    the filter field and the value, as `WatchFilters.values()` holds them.
    """

    def __init__(self, on_pick: Callable[[str, Any], object]) -> None:
        self.on_pick = on_pick
        self.row = ui.row().classes('w-full items-center gap-x-6 gap-y-2').mark('facets')
        self.row.set_visibility(False)

    def show(self, facets: Facets, chosen: dict[str, Any]) -> None:
        """Redraw the chips for these counts; no counts (no text, or nothing matched) hides the row."""
        self.row.clear()
        self.row.set_visibility(any(facets.groups.values()))
        with self.row:
            for facet, counts in facets.groups.items():
                if counts and facet in _FACETS:
                    self._group(facet, counts, chosen)
            if facets.sampled:
                ui.label(f'Counted over the first {format.count(FACET_CAP)} matches').classes(
                    f'text-xs {theme.MUTED}'
                ).mark('facets-sampled')

    def _group(self, facet: str, counts: list[FacetCount], chosen: dict[str, Any]) -> None:
        field, heading, kind = _FACETS[facet]
        picked = {str(value) for value in chosen.get(field) or []}
        with ui.row().classes('items-center gap-1 max-w-full').mark(f'facet-{facet}'):
            ui.label(heading).classes(f'text-xs font-medium uppercase tracking-wide mr-1 {theme.MUTED}')
            for count in counts[:_CHIPS_PER_FACET]:
                chip = self._chip(
                    count, on=count.value in picked, pick=lambda v=count.value: self.on_pick(field, kind(v))
                )
                chip.mark(f'facet-{facet}-{count.value}')

    @staticmethod
    def _chip(count: FacetCount, *, on: bool, pick: Callable[[], object]) -> ui.chip:
        """The value and its count; a chosen one is ticked and tinted."""
        chip = ui.chip(
            icon='check' if on else None, color='amber-2' if on else None, text_color='stone-9' if on else None
        )
        chip.props('dense clickable').classes('text-sm m-0 shrink-0').on('click', pick)
        with chip:
            ui.label(count.label).classes('max-w-[12rem] truncate')
            ui.label(format.count(count.count)).classes('ml-1.5 text-xs opacity-70')
        return chip
