"""A watch's page: who it is, where it stands in the workflow, its photos, every attribute, and what happened to it."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from nicegui import ui

from components import format, theme
from components.descriptions_panel import DescriptionsPanel
from components.finance_tab import FinanceTab
from components.gallery import Gallery
from components.live_screen import follow_watches
from components.offload import call
from components.sale_card import record_sale_button, sale_card
from components.watch_lookup import load_watch, watch_not_found
from services import audit, contacts, grading, labels, photos, sales, workflow
from services.errors import NotFound, ServiceError
from services.permissions import Actor, Permission
from services.watches import WatchRead, delete_watch, get_watch

Rows = list[tuple[str, str | None]]
T = TypeVar('T')
_NOTE = (
    'w-full items-center gap-2 no-wrap rounded px-3 py-1 '
    'bg-amber-50 text-amber-900 dark:bg-stone-800 dark:text-amber-200'
)


@dataclass(frozen=True)
class _Loaded:
    """Everything the page shows, fetched before anything is drawn."""

    watch: WatchRead
    moves: list[workflow.StageRead]
    history: list[workflow.StageEventRead]
    timeline: list[audit.EntryRead]
    supplier: str | None  # "Name · Company · City", for roles that see costs
    photos: list[photos.PhotoRead]
    limits: photos.PhotoLimits
    sale: sales.SaleRead | None  # the sale in force


@dataclass(frozen=True)
class _Boxes:
    """The parts of the page drawn again after a change; the gallery between them stays (it is the costliest part
    to draw, and photos do not change with a move or an edit)."""

    top: ui.column  # header, and a refusal of a move
    attributes: ui.column
    side: ui.column  # condition, stage history, timeline


@dataclass
class _Shown:
    """What a page container shows now, so a live update knows whether to draw it all again or just the photos."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one drawing at a time
    version: int | None = None
    gallery: Gallery | None = None
    boxes: _Boxes | None = None


_shown: weakref.WeakKeyDictionary[ui.column, _Shown] = weakref.WeakKeyDictionary()


async def view(actor: Actor, watch_id: str) -> None:
    watch = await load_watch(actor, watch_id)
    if watch is None:
        return
    note, show = _changed_note()
    container = ui.column().classes(theme.PAGE)
    await _redraw(actor, watch.id, container)
    container.mark('watch-detail')  # only once everything is drawn, so tests (and people) wait for all of it
    _follow(actor, watch.id, container, note, show)


def _changed_note() -> tuple[ui.row, ui.button]:
    """A quiet line above the page, hidden until someone else changes the watch while the viewer is busy."""
    with ui.row().classes(f'{theme.PAGE} !pb-0') as note, ui.row().classes(_NOTE).mark('changed-elsewhere'):
        ui.icon('sync').classes('text-lg shrink-0')
        ui.label('Someone else just changed this watch.').classes('text-sm flex-1')
        show = ui.button('Show the changes').props('flat dense no-caps').mark('show-changes')
    note.visible = False
    return note, show


def _follow(actor: Actor, watch_id: int, container: ui.column, note: ui.row, show: ui.button) -> None:
    """Redraw when someone else changes this watch, unless the viewer is in the middle of something (a dialog
    open, which NiceGUI places in the page's layout): then the note offers the new state and leaves them be."""

    async def redraw(loaded: _Loaded | None = None) -> None:
        note.visible = False
        await _redraw(actor, watch_id, container, loaded=loaded)

    async def changed() -> None:
        """Everything is read once. Photos do not move the version: then only the gallery is drawn again (an
        upload may still be drawing it).

        A drawing under way (the viewer's own move, which is heard here too) is waited for and compared with, so
        the page is not drawn a second time for the same change, nor with an older state than it shows."""
        try:
            loaded = await call(_load, actor, watch_id)
        except NotFound:
            loaded = None
        async with _shown.setdefault(container, _Shown()).lock:
            shown = _shown[container]
        if loaded and shown.gallery and shown.version is not None and loaded.watch.version <= shown.version:
            if shown.gallery.photos != loaded.photos:
                shown.gallery.show(loaded.photos)
        elif any(isinstance(element, ui.dialog) and element.value for element in container.client.elements.values()):
            note.visible = True
        else:
            await redraw(loaded)

    show.on_click(lambda: redraw())
    follow_watches(changed, shows=lambda ids: watch_id in ids)


async def _redraw(
    actor: Actor, watch_id: int, container: ui.column, refusal: str | None = None, *, loaded: _Loaded | None = None
) -> None:
    """Read everything (unless a live update just did), then swap the page's content in one go (no blank page
    while reading), one drawing at a time: a live update and the viewer's own move often land together, and two
    would interleave."""
    shown = _shown.setdefault(container, _Shown())
    async with shown.lock:
        if loaded and shown.version is not None and loaded.watch.version <= shown.version:
            return  # another drawing showed this state (or a newer one) meanwhile
        try:
            loaded = loaded or await call(_load, actor, watch_id)
        except NotFound:
            container.clear()
            shown.boxes = shown.gallery = None
            with container:
                watch_not_found('This watch was deleted or moved out of your reach a moment ago.')
            return

        async def redraw(problem: str | None = None) -> None:
            await _redraw(actor, watch_id, container, problem)

        fresh = shown.boxes is None or shown.gallery is None or shown.gallery.grid.is_deleted
        if fresh:
            container.clear()
            with container:
                shown.boxes, shown.gallery = _skeleton(actor, loaded)
        if fresh or shown.gallery.photos != loaded.photos:
            shown.gallery.show(loaded.photos)
        _draw(actor, loaded, shown.boxes, redraw, refusal)
        shown.version = loaded.watch.version


def _load(actor: Actor, watch_id: int) -> _Loaded:
    """Every read the page needs, in one trip off the event loop (seven trips cost more than the reads)."""
    watch = get_watch(actor, watch_id)
    return _Loaded(
        watch=watch,
        moves=workflow.allowed_moves(actor, watch_id),
        history=workflow.history(actor, watch_id),
        timeline=audit.entity_entries(actor, 'watch', watch_id),
        supplier=contacts.choice(actor, watch.supplier_id).label if watch.supplier_id else None,
        photos=photos.list_photos(actor, watch_id),
        limits=photos.photo_limits(),
        sale=sales.sale_in_force(actor, watch_id),
    )


def _skeleton(actor: Actor, loaded: _Loaded) -> tuple[_Boxes, Gallery]:
    """The page's frame with the gallery in it, drawn once; the boxes around the gallery are filled by `_draw`."""
    top = ui.column().classes('w-full gap-4')
    with ui.row().classes('w-full gap-6 items-start flex-wrap lg:flex-nowrap'):
        with ui.column().classes('w-full lg:w-7/12 gap-6'):
            gallery = Gallery(actor, loaded.watch.id, loaded.limits)
            DescriptionsPanel(actor, loaded.watch.id)  # follows its own texts; the page's redraws leave it be
            attributes = ui.column().classes('w-full gap-6')
            if actor.can(Permission.LEDGER_VIEW) or actor.can(Permission.COST_VIEW):
                FinanceTab(actor, loaded.watch.id)  # follows the ledger by itself; the page's redraws leave it be
        side = ui.column().classes('w-full lg:w-5/12 gap-6')
    return _Boxes(top, attributes, side), gallery


def _draw(actor: Actor, loaded: _Loaded, boxes: _Boxes, redraw: Callable, refusal: str | None) -> None:
    """Everything but the gallery, from what was read; after a move or an error it is simply drawn again."""
    for box in (boxes.top, boxes.attributes, boxes.side):
        box.clear()
    with boxes.top:
        _header(actor, loaded, redraw)
        if refusal:
            with ui.row().classes(theme.PROBLEM).mark('move-refusal'):
                ui.icon('block').classes('text-xl shrink-0')
                ui.label(refusal).classes('text-sm')
    with boxes.attributes:
        _attributes(actor, loaded.watch, loaded.supplier)
    with boxes.side:
        sale_card(actor, loaded.sale, redraw)
        _condition(loaded.watch)
        _history(loaded.history)
        _timeline(loaded.timeline)


# --- header -----------------------------------------------------------------------------------------------------


def _header(actor: Actor, loaded: _Loaded, redraw: Callable) -> None:
    watch = loaded.watch
    with ui.row().classes('w-full items-start justify-between gap-4'):
        with ui.column().classes('gap-1'):
            with ui.row().classes('items-center gap-3'):
                ui.label(watch.sku).classes(f'text-sm font-mono {theme.MUTED}').mark('sku')
                ui.badge(watch.stage_name, color=watch.stage_colour).classes('text-sm px-2').mark('stage')
            ui.label(f'{watch.brand} {watch.model}').classes(theme.TITLE).mark('watch-title')
            if watch.reference:
                ui.label(f'Reference {watch.reference}').classes(theme.SUBTITLE)
        with ui.row().classes('items-center gap-2'):
            record_sale_button(actor, watch, loaded.sale, redraw)
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


def _attributes(actor: Actor, watch: WatchRead, supplier: str | None) -> None:
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
                ('Supplier', supplier),
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


SHOWN_EVENTS = 8  # the latest moves and changes; the rest are drawn on request (a watch's story can be long)


def _history(events: list[workflow.StageEventRead]) -> None:
    with ui.card().classes(theme.CARD).mark('history'):
        ui.label('Stage history').classes(theme.CARD_TITLE)
        _latest(events, _stage_event, 'moves')


def _stage_event(event: workflow.StageEventRead) -> None:
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
        _latest(entries, _change, 'changes')


def _change(entry: audit.EntryRead) -> None:
    with ui.column().classes('w-full gap-0 text-sm border-l-2 border-stone-200 dark:border-stone-700 pl-3'):
        action = entry.action.split('.', 1)[-1].replace('_', ' ').capitalize()
        ui.label(f'{action} by {entry.actor_label}').classes('font-medium')
        ui.label(format.when(entry.at)).classes(f'text-xs {theme.MUTED}')
        ui.label(format.change(*_readable(entry))).classes('text-xs break-words')


def _latest(items: Sequence[T], draw: Callable[[T], None], noun: str) -> None:
    """The newest `SHOWN_EVENTS` items (lists come newest first), and a button that draws the older ones."""
    for item in items[:SHOWN_EVENTS]:
        draw(item)
    if len(items) > SHOWN_EVENTS:
        with ui.column().classes('w-full gap-2') as older:
            more = ui.button(f'Show {len(items) - SHOWN_EVENTS:,} older {noun}', icon='expand_more')
            more.props('flat dense no-caps size=sm').mark(f'older-{noun}')

        def show_older() -> None:
            older.clear()
            with older:
                for item in items[SHOWN_EVENTS:]:
                    draw(item)

        more.on_click(show_older)


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
