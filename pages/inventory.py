"""The inventory list: filter, sort and page through every watch, pick some (or all that match) and act on them.

Filters, sort and page live in `app.storage.user['inventory']`, so coming back from a watch shows the same list.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from nicegui import app, ui

from components import bulk_bar, field_errors, format, theme, watch_table
from components.batch_form import create_batch_dialog
from components.dialogs import confirm
from components.filters import FacetChips, FilterChoices, WatchFilters
from components.job_panel import start_with_panel
from components.live_screen import follow_watches
from components.offload import call
from components.paged_table import PagedTable
from config import get_settings
from db.enums import Role
from services import accounts, grading, inventory, places, reference, search, workflow
from services.bulk import BulkResult
from services.errors import ServiceError
from services.permissions import Actor, Permission
from services.search.base import RELEVANCE

STATE_KEY = 'inventory'
LABEL_FORMATS = {  # the layouts of the 'labels' job
    'brother': 'Brother 62 × 29 mm (PDF)',
    'a4': 'A4 sheet, 3 × 8 (PDF)',
    'zpl': 'Zebra (ZPL)',
}


def _state() -> dict[str, Any]:
    """The remembered list: filters, sort and page (per browser session of this user)."""
    saved = app.storage.user.get(STATE_KEY)
    return dict(saved) if isinstance(saved, dict) else {}


def _remember(**values: Any) -> None:
    app.storage.user[STATE_KEY] = {**_state(), **values}


async def load_choices(actor: Actor) -> FilterChoices:
    """What the filter selects offer; an actor who only sees their own watches gets no agent filter."""
    brands, stages, locations, batches, sellers = await asyncio.gather(
        call(reference.brands),
        call(workflow.stages),
        call(places.list_locations, actor, include_inactive=True),
        call(places.list_batches, actor, 0, 200),
        call(accounts.names, actor, [Role.SELLER]),
    )
    agents = await call(accounts.names, actor, [Role.AGENT]) if actor.sees_all_watches else None
    return FilterChoices(
        brands=sorted(brand.name for brand in brands),
        grades={grade: f'{grade} · {text.split(":")[0]}' for grade, text in grading.GRADES.items()},
        locations={location.id: location.name for location in locations},
        stages={stage.id: stage.name for stage in stages if stage.active},
        batches={batch.id: batch.batch_number for batch in batches.items},
        agents=dict(agents) if agents is not None else None,
        sellers=dict(sellers),
    )


class InventoryList:
    """The screen's state: the filter in force, the page shown, and what is selected."""

    def __init__(self, actor: Actor, state: dict[str, Any]) -> None:
        self.actor = actor
        self.state = state
        self.filters: dict[str, Any] = dict(state.get('filters') or {})
        self.all_matching = False
        self.matching = 0
        self.matching_text = '0'
        self.currency = get_settings().base_currency
        self.facets_asked = 0  # bumped per request for facet counts; an answer behind it is stale

    async def build(self, choices: FilterChoices, shown: list[str]) -> None:
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Inventory').classes(theme.TITLE)
                self.total_label = ui.label('Loading…').classes(theme.SUBTITLE).mark('inventory-total')
            with ui.row().classes('items-center gap-1'):
                self.presets_button = ui.button('Presets', icon='bookmarks').props('flat').mark('presets')
                await self._fill_presets()
                ui.button('Columns', icon='view_column', on_click=self._choose_columns).props('flat').mark('columns')
                if self.actor.can(Permission.INVENTORY_EXPORT):
                    self._export_menu('Export', whole=True)
                if self.actor.can(Permission.INVENTORY_IMPORT):
                    ui.button('Import', icon='upload_file', on_click=lambda: ui.navigate.to('/watches/import')).props(
                        'flat'
                    ).mark('import')
                if self.actor.can(Permission.INVENTORY_CREATE):
                    ui.button('New watch', icon='add', on_click=lambda: ui.navigate.to('/watches/new')).props(
                        'unelevated'
                    ).mark('new-watch')
        self.panel = WatchFilters(choices, self.filters, self._filters_changed)
        self.facets = FacetChips(self._narrow)
        self.bar = bulk_bar.BulkBar(self._select_all, self._clear_selection)
        with self.bar.actions:
            self._bulk_actions(choices)
        self.paged = PagedTable(
            watch_table.column_defs(shown),
            self._load,
            sort_by=self.state.get('sort') or 'created_at',
            descending=self.state.get('descending', True),
            per_page=int(self.state.get('per_page') or 25),
            page=int(self.state.get('page') or 1),
            no_data='No watches match these filters.',
            selection='multiple',
            on_loaded=self._loaded,
        )
        self.table = self.paged.table.mark('inventory-table')
        self.table.props('dense')
        watch_table.decorate(self.table)
        self.table.on_select(self._selection_changed)
        follow_watches(self._follow_changes)
        await asyncio.gather(self.paged.load(), self._count_facets())

    # --- loading ---------------------------------------------------------------------------------------------

    async def _load(self, offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
        try:
            page = await call(
                inventory.list_watches, self.actor, self.filters, offset=offset, limit=limit, sort=sort,
                descending=descending,
            )  # fmt: skip
        except ServiceError as error:
            self.panel.show_error(str(error))
            return 0, []
        self.panel.show_error(None)
        self.matching = page.total
        self.matching_text = format.count(page.total) + ('+' if page.total_capped else '')
        self.total_label.text = f'{self.matching_text} {"watch" if page.total == 1 else "watches"}'
        self.paged.show_total_as(self.matching_text if page.total_capped else None)
        self._update_bar()
        return page.total, [watch_table.row(item, self.currency) for item in page.items]

    async def _follow_changes(self) -> None:
        """Someone changed watches: reload the page in view as it stands (page, sort, filters and ticks all stay)."""
        await asyncio.gather(self.paged.load(), self._count_facets())
        fresh = {row['id']: row for row in self.table.rows}
        self.table.selected = [fresh.get(row['id'], row) for row in self.table.selected]

    def _loaded(self, pagination: dict) -> None:
        _remember(
            filters=self.filters,
            sort=pagination.get('sortBy'),
            descending=bool(pagination.get('descending')),
            page=pagination.get('page', 1),
            per_page=pagination.get('rowsPerPage', 25),
        )

    async def _filters_changed(self) -> None:
        had_text = bool(self.filters.get('text'))
        self.filters = self.panel.values()
        self._clear_selection()
        sort = _sort_for_text(had_text, bool(self.filters.get('text')), self.paged.table.pagination.get('sortBy'))
        first_page = {'page': 1, **({'sortBy': sort, 'descending': True} if sort else {})}
        await asyncio.gather(self.paged.load(first_page), self._count_facets())

    async def _count_facets(self) -> None:
        """The facet chips for the current filters while there is search text; none without it."""
        self.facets_asked += 1
        mine = self.facets_asked
        counts = search.Facets(groups={})
        if self.filters.get('text'):
            with contextlib.suppress(ServiceError):  # the table's own load shows the sentence
                counts = await call(search.facet_counts, self.actor, self.filters)
        if mine == self.facets_asked:
            self.facets.show(counts, self.filters)

    async def _narrow(self, field: str, value: Any) -> None:
        """A facet chip: add its value to that filter, or take it out again if it was chosen already."""
        values = self.panel.values()
        chosen = list(values.get(field) or [])
        chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        self.panel.set_values({**values, field: chosen})
        await self._filters_changed()

    # --- selection -------------------------------------------------------------------------------------------

    def _selection_changed(self) -> None:
        self.all_matching = False
        self._update_bar()

    def _select_all(self) -> None:
        self.all_matching = True
        self._update_bar()

    def _clear_selection(self) -> None:
        self.all_matching = False
        if hasattr(self, 'table'):
            self.table.selected = []
        self._update_bar()

    def _update_bar(self) -> None:
        if hasattr(self, 'bar'):
            selected = len(self.table.selected) if hasattr(self, 'table') else 0
            self.bar.show(selected, self.matching, all_matching=self.all_matching, matching_text=self.matching_text)

    async def _chosen_ids(self) -> list[int]:
        """The ticked watches, or every one that matches the filter ("select all N matching")."""
        if self.all_matching:
            return await call(inventory.ids_for, self.actor, self.filters)
        return [row['id'] for row in self.table.selected]

    async def _after_bulk(self) -> None:
        self._clear_selection()
        await self.paged.load()

    # --- bulk actions ----------------------------------------------------------------------------------------

    def _bulk_actions(self, choices: FilterChoices) -> None:
        """Only the actions the role may take; the services refuse the rest anyway."""
        can = self.actor.can
        if can(Permission.STAGE_MOVE):
            with ui.button('Stage', icon='swap_horiz').props('flat dense').mark('bulk-stage'), ui.menu():
                for stage_id, name in choices.stages.items():
                    ui.menu_item(name, on_click=lambda s=stage_id: self._move_stage(s)).mark(f'to-stage-{stage_id}')
        if can(Permission.BATCHES_MANAGE):
            ui.button('Batch', icon='inventory', on_click=self._assign_batch).props('flat dense').mark('bulk-batch')
        if can(Permission.INVENTORY_EDIT):
            ui.button('Location', icon='place', on_click=lambda: self._move_location(choices)).props('flat dense').mark(
                'bulk-location'
            )
        if can(Permission.LABELS_PRINT):
            with ui.button('Labels', icon='qr_code_2').props('flat dense').mark('bulk-labels'), ui.menu():
                for key, title in LABEL_FORMATS.items():
                    ui.menu_item(title, on_click=lambda k=key: self._print(k)).mark(f'labels-{key}')
        if can(Permission.INVENTORY_EXPORT):
            self._export_menu('Export', whole=False)
        if can(Permission.DESCRIPTIONS_WRITE):
            ui.button('Describe…', icon='auto_awesome', on_click=self._describe).props('flat dense').mark(
                'bulk-describe'
            )

    async def _move_stage(self, stage_id: int) -> None:
        try:
            result = await call(workflow.move_watches, self.actor, await self._chosen_ids(), stage_id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        await self._report('moved', result)

    async def _report(self, verb: str, result: BulkResult) -> None:
        bulk_bar.report(verb, result)
        await self._after_bulk()

    async def _assign_batch(self) -> None:
        """Pick an open or packed batch (or make a new one) and put the selection into it."""
        open_batches = [
            batch
            for status in ('open', 'packed')
            for batch in (await call(places.list_batches, self.actor, 0, 200, status)).items
        ]
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('assign-dialog'):
            ui.label('Put into a batch').classes(theme.CARD_TITLE)
            options = {b.id: f'{b.batch_number} · {b.origin or "?"} → {b.destination or "?"}' for b in open_batches}
            picker = ui.select(options, label='Batch').props('outlined dense').classes('w-full').mark('assign-batch')

            async def assign(batch_id: int | None) -> None:
                if batch_id is None:
                    picker.error = 'Choose a batch.'
                    return
                dialog.close()
                try:
                    if self.all_matching:
                        result = await call(places.assign_filtered, self.actor, batch_id, self.filters)
                    else:
                        result = await call(places.assign_watches, self.actor, batch_id, await self._chosen_ids())
                except ServiceError as error:
                    ui.notify(str(error), type='negative')
                    return
                await self._report('put into the batch', result)

            async def new_batch() -> None:
                dialog.close()
                await create_batch_dialog(self.actor, lambda batch: assign(batch.id))

            with ui.row().classes('w-full justify-between gap-2'):
                ui.button('New batch…', icon='add', on_click=new_batch).props('flat').mark('assign-new')
                with ui.row().classes('gap-2'):
                    ui.button('Cancel', on_click=dialog.close).props('flat')
                    ui.button('Assign', on_click=lambda: assign(picker.value)).mark('assign-confirm')
        dialog.open()

    async def _move_location(self, choices: FilterChoices) -> None:
        active = {loc.id: loc.name for loc in await call(places.list_locations, self.actor)}
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('location-dialog'):
            ui.label('Move to a location').classes(theme.CARD_TITLE)
            picker = ui.select(active, label='Location').props('outlined dense').classes('w-full')
            picker.mark('move-location')

            async def move() -> None:
                if not field_errors.require({'location': picker}, 'location'):
                    return
                dialog.close()
                try:
                    result = await call(places.move_location, self.actor, await self._chosen_ids(), picker.value)
                except ServiceError as error:
                    ui.notify(str(error), type='negative')
                    return
                await self._report('moved', result)

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat')
                ui.button('Move', on_click=move).mark('move-confirm')
        dialog.open()

    async def _print(self, layout: str) -> None:
        """A label run is a job: the panel shows it sheet by sheet and downloads the file when it is done."""
        await start_with_panel(self.actor, 'labels', {'layout': layout, 'ids': await self._chosen_ids()})

    async def _describe(self) -> None:
        """Drafts for the selection, or for everything the filter matches, by the descriptions job."""
        if self.all_matching:
            await bulk_bar.describe(self.actor, f'all {self.matching_text} matching', {'filters': self.filters})
            return
        ids = await self._chosen_ids()
        scope = f'{format.count(len(ids))} selected {"watch" if len(ids) == 1 else "watches"}'
        await bulk_bar.describe(self.actor, scope, {'ids': ids})

    def _export_menu(self, label: str, *, whole: bool) -> None:
        """CSV or XLSX, of the selection (in the bulk bar) or of everything the filter matches (in the header)."""
        mark = 'export-all' if whole else 'bulk-export'
        with ui.button(label, icon='download').props('flat' + ('' if whole else ' dense')).mark(mark), ui.menu():
            for fmt in ('csv', 'xlsx'):
                ui.menu_item(
                    f'{fmt.upper()}{" of all matching" if whole else ""}',
                    on_click=lambda f=fmt: self._export(f, whole=whole),
                ).mark(f'{mark}-{fmt}')

    async def _export(self, fmt: str, *, whole: bool) -> None:
        """An export is a job (thousands of rows take a while): the panel follows it and downloads the file."""
        ids = None if whole or self.all_matching else await self._chosen_ids()
        await start_with_panel(self.actor, 'export', {'fmt': fmt, 'ids': ids, 'filters': self.filters})

    # --- presets and columns ---------------------------------------------------------------------------------

    async def _fill_presets(self) -> None:
        """The menu of saved filters, rebuilt after each save or delete."""
        saved = await call(inventory.presets, self.actor)
        self.presets_button.clear()
        with self.presets_button, ui.menu().classes('min-w-[16rem] py-1') as menu:
            for preset in saved:
                with ui.row().classes('w-full items-center no-wrap gap-1 px-2'):
                    ui.button(preset.name, on_click=lambda p=preset: self._apply_preset(p, menu)).props(
                        'flat align=left'
                    ).classes('grow').mark(f'preset-{preset.name}')
                    ui.button(icon='delete', on_click=lambda p=preset: self._delete_preset(p.name)).props(
                        'flat round dense size=sm aria-label="Delete preset"'
                    ).classes(theme.MUTED).mark(f'delete-preset-{preset.name}')
            if not saved:
                ui.label('No saved filters yet.').classes(f'px-4 py-2 text-sm {theme.MUTED}')
            ui.separator()
            ui.menu_item('Save current filters…', on_click=self._save_preset_dialog).mark('save-preset')

    async def _apply_preset(self, preset: inventory.Preset, menu: ui.menu) -> None:
        menu.close()
        self.panel.set_values(preset.filters.model_dump(mode='json', exclude_defaults=True))
        await self._filters_changed()
        ui.notify(f'Showing "{preset.name}".')

    async def _delete_preset(self, name: str) -> None:
        if not await confirm(f'Delete the preset "{name}"?', 'Delete'):
            return
        try:
            await call(inventory.delete_preset, self.actor, name)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
        await self._fill_presets()

    def _save_preset_dialog(self) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm gap-3').mark('preset-dialog'):
            ui.label('Save these filters').classes(theme.CARD_TITLE)
            name = ui.input('Name').props('outlined dense autofocus maxlength=60').classes('w-full')
            name.mark('preset-name')

            async def save() -> None:
                if not field_errors.require({'name': name}, 'name'):
                    return
                try:
                    preset = await call(inventory.save_preset, self.actor, name.value, self.panel.values())
                except ServiceError as error:
                    field_errors.show(error, {'name': name})
                    return
                dialog.close()
                ui.notify(f'Saved "{preset.name}".', type='positive')
                await self._fill_presets()

            name.on('keydown.enter', save)
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat')
                ui.button('Save', on_click=save).mark('preset-save')
        dialog.open()

    async def _choose_columns(self) -> None:
        offered = await call(inventory.available_columns, self.actor)
        shown = {column['name'] for column in self.table.columns}
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm gap-2').mark('columns-dialog'):
            ui.label('Columns').classes(theme.CARD_TITLE)
            boxes = {
                name: ui.checkbox(watch_table.HEADINGS[name] or 'Photo', value=name in shown).mark(f'column-{name}')
                for name in offered
            }
            problem = ui.label().classes('text-sm text-red-700')

            async def save() -> None:
                chosen = [name for name, box in boxes.items() if box.value]
                try:
                    names = await call(inventory.set_columns, self.actor, chosen)
                except ServiceError as error:
                    problem.text = str(error)
                    return
                dialog.close()
                self.table.columns = watch_table.column_defs(names)

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat')
                ui.button('Save', on_click=save).mark('columns-save')
        dialog.open()


def _sort_for_text(had_text: bool, has_text: bool, current: str | None) -> str | None:
    """The sort to switch to (descending) as a search starts or ends, if any: best match first, and the newest
    first again when the text goes, as relevance means nothing without it."""
    if has_text and not had_text:
        return RELEVANCE
    if not has_text and current == RELEVANCE:
        return 'created_at'
    return None


async def view(actor: Actor, q: str = '') -> None:
    """`q` comes from the header's search box: it replaces the remembered filter with that text."""
    state = _state()
    if q:
        state = {**state, 'filters': {'text': q}, 'page': 1}
        if sort := _sort_for_text(False, True, state.get('sort')):
            state.update(sort=sort, descending=True)
    with ui.column().classes(theme.PAGE + ' gap-4').mark('inventory'):
        loading = ui.spinner(size='lg').classes('self-center')
        choices = await load_choices(actor)
        shown = await call(inventory.columns, actor)
        loading.delete()
        await InventoryList(actor, state).build(choices, shown)
