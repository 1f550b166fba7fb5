"""A watch's page: who it is, where it stands in the workflow, its photos, every attribute, and what happened to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nicegui import ui

from components import format, theme
from components.gallery import Gallery
from components.offload import call
from components.watch_lookup import load_watch
from services import audit, grading, labels, photos, workflow
from services.errors import ServiceError
from services.permissions import Actor, Permission
from services.watches import WatchRead, delete_watch, get_watch

Rows = list[tuple[str, str | None]]


@dataclass(frozen=True)
class _Loaded:
    """Everything the page shows besides the photos, fetched before anything is drawn."""

    watch: WatchRead
    moves: list[workflow.StageRead]
    history: list[workflow.StageEventRead]
    timeline: list[audit.EntryRead]


async def view(actor: Actor, watch_id: str) -> None:
    watch = await load_watch(actor, watch_id)
    if watch is None:
        return
    container = ui.column().classes(theme.PAGE)
    await _render(actor, watch.id, container, refusal=None)
    container.mark('watch-detail')  # only once everything is drawn, so tests (and people) wait for all of it


async def _render(actor: Actor, watch_id: int, container: ui.column, *, refusal: str | None) -> None:
    """Draw the whole page from fresh data; after a move or an error the page is simply drawn again."""
    loaded = _Loaded(
        watch=await call(get_watch, actor, watch_id),
        moves=await call(workflow.allowed_moves, actor, watch_id),
        history=await call(workflow.history, actor, watch_id),
        timeline=await call(audit.entity_entries, actor, 'watch', watch_id),
    )
    limits = await call(photos.photo_limits)

    async def redraw(problem: str | None = None) -> None:
        container.clear()
        with container:
            await _render(actor, watch_id, container, refusal=problem)

    with container:
        _header(actor, loaded, redraw)
        if refusal:
            with ui.row().classes(theme.PROBLEM).mark('move-refusal'):
                ui.icon('block').classes('text-xl shrink-0')
                ui.label(refusal).classes('text-sm')
        with ui.row().classes('w-full gap-6 items-start flex-wrap lg:flex-nowrap'):
            with ui.column().classes('w-full lg:w-7/12 gap-6'):
                gallery = Gallery(actor, watch_id, limits)
                _attributes(actor, loaded.watch)
            with ui.column().classes('w-full lg:w-5/12 gap-6'):
                _condition(loaded.watch)
                _history(loaded.history)
                _timeline(loaded.timeline)
    await gallery.load()


# --- header -----------------------------------------------------------------------------------------------------


def _header(actor: Actor, loaded: _Loaded, redraw: Callable) -> None:
    watch = loaded.watch
    with ui.row().classes('w-full items-start justify-between gap-4'):
        with ui.column().classes('gap-1'):
            with ui.row().classes('items-center gap-3'):
                ui.label(watch.sku).classes(f'text-sm font-mono {theme.MUTED}').mark('sku')
                ui.badge(watch.stage_name).style(f'background:{watch.stage_colour}').classes('text-sm px-2').mark(
                    'stage'
                )
            ui.label(f'{watch.brand} {watch.model}').classes(theme.TITLE).mark('watch-title')
            if watch.reference:
                ui.label(f'Reference {watch.reference}').classes(theme.SUBTITLE)
        with ui.row().classes('items-center gap-2'):
            _label_menu(actor, watch)
            if actor.can(Permission.INVENTORY_EDIT):
                ui.button('Edit', icon='edit', on_click=lambda: ui.navigate.to(f'/watches/{watch.id}/edit')).props(
                    'outline'
                ).mark('edit-watch')
            if actor.can(Permission.INVENTORY_DELETE):
                ui.button('Delete', icon='delete', on_click=lambda: _confirm_delete(actor, watch, redraw)).props(
                    'flat color=negative'
                ).mark('delete-watch')
    if loaded.moves:
        _moves(actor, watch, loaded.moves, redraw)


def _moves(actor: Actor, watch: WatchRead, moves: list[workflow.StageRead], redraw: Callable) -> None:
    """One button per stage this actor may move the watch to now; a refusal (someone moved it first) is shown."""

    async def move(stage: workflow.StageRead) -> None:
        try:
            await call(workflow.move_watch, actor, watch.id, stage.id, version=watch.version)
        except ServiceError as refusal:
            await redraw(str(refusal))
            return
        ui.notify(f'Moved to {stage.name}.', type='positive')
        await redraw()

    with ui.row().classes('w-full items-center gap-2').mark('moves'):
        ui.label('Move to').classes(f'text-sm {theme.MUTED}')
        for stage in moves:
            with ui.button(on_click=lambda s=stage: move(s)).props('outline').mark(f'move-{stage.key}'):
                ui.element('span').classes('inline-block w-2.5 h-2.5 rounded-full mr-2').style(
                    f'background:{stage.colour}'
                )
                ui.label(stage.name)


def _label_menu(actor: Actor, watch: WatchRead) -> None:
    if not actor.can(Permission.LABELS_PRINT):
        return

    async def download(kind: str) -> None:
        if kind == 'zpl':
            content = (await call(labels.zpl, actor, [watch.id])).encode()
        else:
            content = await call(labels.brother_pdf if kind == 'brother' else labels.a4_sheet_pdf, actor, [watch.id])
        suffix = 'zpl' if kind == 'zpl' else 'pdf'
        ui.download(content, f'{watch.sku}-{kind}.{suffix}')

    with ui.button('Print label', icon='print').props('outline').mark('print-label'):
        with ui.menu():
            for kind, text in (('brother', 'Brother label (PDF)'), ('a4', 'A4 sheet (PDF)'), ('zpl', 'Zebra (ZPL)')):
                ui.menu_item(text, on_click=lambda k=kind: download(k)).mark(f'label-{kind}')


def _confirm_delete(actor: Actor, watch: WatchRead, redraw: Callable) -> None:
    with ui.dialog() as dialog, ui.card().classes('gap-3 max-w-md'):
        ui.label(f'Delete {watch.sku}?').classes(theme.CARD_TITLE)
        ui.label('The watch leaves the inventory; its history and SKU are kept.').classes(theme.SUBTITLE)

        async def delete() -> None:
            dialog.close()
            try:
                await call(delete_watch, actor, watch.id, version=watch.version)
            except ServiceError as refusal:
                await redraw(str(refusal))
                return
            ui.notify(f'{watch.sku} deleted.', type='positive')
            ui.navigate.to('/watches')

        with ui.row().classes('w-full justify-end'):
            ui.button('Keep it', on_click=dialog.close).props('flat')
            ui.button('Delete', on_click=delete).props('unelevated color=negative').mark('confirm-delete')
    dialog.open()


# --- attributes -------------------------------------------------------------------------------------------------


def _attributes(actor: Actor, watch: WatchRead) -> None:
    yes_no = {True: 'Yes', False: 'No'}
    _facts(
        'Identity',
        'identity',
        [('Brand', watch.brand), ('Model', watch.model), ('Reference', watch.reference)]
        + ([('Serial', watch.serial)] if actor.can(Permission.SERIAL_VIEW) else []),
    )
    _facts(
        'Movement and case',
        'movement',
        [
            ('Movement', _enum(watch.movement)),
            ('Calibre', watch.calibre),
            ('Year', str(watch.year) if watch.year else None),
            ('Period', watch.period),
            ('Case material', watch.case_material),
            ('Case diameter', f'{watch.case_diameter_mm:g} mm' if watch.case_diameter_mm else None),
            ('Worn by', _enum(watch.gender)),
        ],
    )
    _facts('Dial and bracelet', 'dial', [('Dial', watch.dial), ('Bracelet or strap', watch.strap)])
    _facts(
        'Box, papers and service',
        'service',
        [('Box', yes_no[watch.box]), ('Papers', yes_no[watch.papers])]
        + [
            (record.date.isoformat() if record.date else 'Undated', _service(record))
            for record in watch.service_history
        ],
    )
    if actor.can(Permission.COST_VIEW):
        _facts(
            'Purchase',
            'purchase',
            [
                ('Cost', format.money(watch.purchase_cost, watch.purchase_currency or '')),
                ('Bought on', watch.purchased_on.isoformat() if watch.purchased_on else None),
            ],
        )
    currency = watch.price_currency or ''
    _facts(
        'Pricing',
        'pricing',
        [
            ('Asking price', format.money(watch.asking_price, currency)),
            ('Reserve price', format.money(watch.reserve_price, currency)),
            ('Sold on', watch.sold_on.isoformat() if watch.sold_on else None),
        ],
    )
    _facts(
        'Where and who',
        'where',
        [
            ('Location', watch.location_name),
            ('Batch', watch.batch_number),
            ('Agent', watch.agent_name),
            ('Seller', watch.seller_name),
        ],
    )
    if watch.description or watch.notes:
        _facts('Description and notes', 'notes', [('Description', watch.description), ('Notes', watch.notes)])


def _facts(title: str, mark: str, rows: Rows) -> None:
    """A card of label/value pairs; an empty value shows as a dash so every row keeps its place."""
    with ui.card().classes(theme.CARD).mark(f'facts-{mark}'):
        ui.label(title).classes(theme.CARD_TITLE)
        with ui.grid(columns='minmax(8rem,auto) 1fr').classes('w-full gap-x-6 gap-y-1 text-sm'):
            for label, value in rows:
                ui.label(label).classes(theme.MUTED)
                ui.label(value or '—').classes('break-words whitespace-pre-line')


def _service(record: object) -> str:
    work = getattr(record, 'work', '')
    watchmaker = getattr(record, 'watchmaker', None)
    return f'{work} ({watchmaker})' if watchmaker else work


def _enum(value: object) -> str | None:
    return None if value is None else str(getattr(value, 'value', value)).replace('_', ' ').capitalize()


# --- condition, history, timeline -------------------------------------------------------------------------------


def _condition(watch: WatchRead) -> None:
    with ui.card().classes(theme.CARD).mark('condition'):
        with ui.row().classes('w-full items-baseline justify-between'):
            ui.label('Condition').classes(theme.CARD_TITLE)
            grade = watch.condition_grade
            ui.label(f'Overall {grade}' if grade else 'Not graded yet').classes('text-lg font-semibold').mark('overall')
        if grade:
            ui.label(grading.GRADES[grade]).classes(theme.SUBTITLE)
        with ui.grid(columns='auto 1fr 1fr').classes('w-full gap-x-6 gap-y-1 text-sm'):
            for heading in ('', 'Optical', 'Technical'):
                ui.label(heading).classes(f'text-xs {theme.MUTED}')
            for component, aspects in grading.COMPONENTS.items():
                ui.label(component.title()).classes(theme.MUTED)
                for aspect in ('optical', 'technical'):
                    given = watch.condition.get(component, {}).get(aspect)
                    ui.label(given or ('—' if aspect in aspects else '')).classes('font-medium')


def _history(events: list[workflow.StageEventRead]) -> None:
    with ui.card().classes(theme.CARD).mark('history'):
        ui.label('Stage history').classes(theme.CARD_TITLE)
        for event in events:
            with ui.row().classes('w-full items-start gap-3 no-wrap text-sm'):
                ui.icon('east' if event.from_name else 'login').classes(f'text-base {theme.MUTED} mt-0.5')
                with ui.column().classes('gap-0'):
                    moved = f'{event.from_name} → {event.to_name}' if event.from_name else f'Taken in: {event.to_name}'
                    ui.label(moved).classes('font-medium')
                    ui.label(f'{event.actor_name} · {format.when(event.at)}').classes(f'text-xs {theme.MUTED}')
                    if event.note:
                        ui.label(event.note).classes('text-xs italic')


def _timeline(entries: list[audit.EntryRead]) -> None:
    with ui.card().classes(theme.CARD).mark('timeline'):
        ui.label('Changes').classes(theme.CARD_TITLE)
        for entry in entries:
            with ui.column().classes('w-full gap-0 text-sm border-l-2 border-stone-200 dark:border-stone-700 pl-3'):
                action = entry.action.split('.', 1)[-1].replace('_', ' ').capitalize()
                ui.label(f'{action} by {entry.actor_label}').classes('font-medium')
                ui.label(format.when(entry.at)).classes(f'text-xs {theme.MUTED}')
                ui.label(format.change(*_readable(entry))).classes('text-xs break-words')


# Bookkeeping columns an intake entry records that say nothing to a person reading the watch's story.
_BOOKKEEPING = frozenset(
    {'id', 'created_at', 'created_by_id', 'updated_at', 'version', 'image_count', 'reference_norm'}
)


def _readable(entry: audit.EntryRead) -> tuple[dict | None, dict | None]:
    """The entry's values without bookkeeping columns, and without empty values that were not a change."""

    def keep(values: dict | None, other: dict | None) -> dict | None:
        if values is None:
            return None
        return {
            key: value
            for key, value in values.items()
            if key not in _BOOKKEEPING and not (value in (None, '', False) and key not in (other or {}))
        }

    return keep(entry.before, entry.after), keep(entry.after, entry.before)
