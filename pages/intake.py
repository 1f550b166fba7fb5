"""The tablet intake: one column of finger-sized fields, a scan field on top, Save at the bottom of the screen.

Built for a 10-inch tablet on shop Wi-Fi, in either orientation. The form is mirrored into `app.storage.tab`
on every change, so a dropped connection or a reload brings the half-entered watch back; a save clears it.
Photos are too large for the draft: each is checked and kept on the server as it is taken (`intake_photos`),
the draft holds only the key they are kept under, and Save attaches them to the new watch.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from nicegui import Client, app, events, ui
from starlette.responses import Response

from components import theme
from components.notices import refusal
from components.offload import call
from components.pickers import TOUCH, BigToggle, BrandPicker, choice_select, set_choice
from components.quick_grades import QuickGrades
from db.enums import Movement
from pages import auth
from services import accounts, intake_photos, labels, photos, places, reference, watches
from services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from services.intake_photos import PendingPhotoRead
from services.permissions import Actor, Permission
from services.photos import PhotoBatchResult
from services.watches import WatchRead

DRAFT_KEY = 'intake_draft'
PHOTOS_KEY = 'photos_key'  # in the draft: the key its photos are kept under on the server
LOCATION_KEY = 'intake_location_id'  # the agent's last used location, in their (server-side) user storage
COMMON_BRANDS = 8
CURRENCIES = ['EUR', 'CHF', 'USD', 'GBP', 'JPY', 'HKD']
TEXT_FIELDS = ('reference', 'serial', 'year', 'calibre', 'case_material', 'case_diameter_mm', 'purchase_cost')
FIELD = 'w-full'
# Bigger type and targets than the office screens: fingers, arm's length, a tablet on a counter.
_CSS = """
.intake { font-size: 18px; }
.intake .q-field__native, .intake .q-field__input, .intake .q-field__label { font-size: 18px; }
.intake .q-btn { min-height: 48px; }
.intake .q-btn-group .q-btn { min-height: 52px; font-size: 18px; }
.intake .q-field__messages { font-size: 14px; }
"""


def register() -> None:
    ui.page('/intake', title='Intake · SecondVintage', reconnect_timeout=30)(intake_page)
    app.get(intake_photos.ROUTE, include_in_schema=False)(pending_thumbnail)


async def pending_thumbnail(photo_id: int) -> Response:
    """The small image of a photo in the user's own intake draft (404 for anyone else's)."""
    user_id = auth.current_user_id()
    actor = await run_in_threadpool(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        return Response(status_code=401)
    try:
        path, etag = await run_in_threadpool(intake_photos.pending_thumbnail, actor, photo_id)
    except (NotFound, PermissionDenied):
        return Response(status_code=404)
    return FileResponse(
        path, media_type='image/jpeg', headers={'ETag': etag, 'Cache-Control': 'private, max-age=86400'}
    )


async def intake_page(client: Client) -> None:
    """Its own page (not inside the shell): the tablet gets the whole screen and a small header."""
    user_id = auth.current_user_id()
    actor = await call(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        auth.log_out()
        ui.navigate.to('/login?redirect_to=%2Fintake')
        return
    theme.apply()
    ui.add_css(_CSS, shared=False)
    _header(actor)
    if not actor.can(Permission.INVENTORY_CREATE):
        refusal(f'You may not {Permission.INVENTORY_CREATE.description}.')
        return
    locations = await call(places.list_locations, actor)
    limits = await call(photos.photo_limits)
    form = IntakeForm(actor, {location.id: location.name for location in locations}, limits.max_mb)
    await client.connected()
    await form.restore(app.storage.tab.get(DRAFT_KEY))


def _header(actor: Actor) -> None:
    with ui.header(elevated=False).classes('bg-stone-900 text-white items-center px-2 py-1 gap-2 no-wrap'):
        ui.button('SecondVintage', icon='arrow_back', on_click=lambda: ui.navigate.to('/')).props(
            'flat no-caps color=white'
        ).classes('text-base').mark('back-to-app')
        ui.label('Intake').classes('text-lg font-semibold')
        ui.space()
        ui.label(actor.name).classes('text-base truncate').mark('intake-user')


class IntakeForm:
    """The widgets of one intake, what they hold as WatchCreate values, and the save that turns them into a watch."""

    def __init__(self, actor: Actor, locations: dict[int, str], max_mb: int) -> None:
        self.actor = actor
        self.locations = locations
        self.photos_key = secrets.token_hex(16)
        self.photos: list[PendingPhotoRead] = []
        self.photo_lock = asyncio.Lock()  # a multi-file upload arrives as parallel requests: one at a time here
        self.restored = False
        self.inputs: dict[str, Any] = {}
        with ui.column().classes('intake w-full max-w-3xl mx-auto p-3 sm:p-4 gap-4 pb-36'):
            self._scan_field()
            self.success = ui.column().classes('w-full')
            with ui.column().classes('w-full gap-4') as self.body:
                self._identity_card()
                self._facts_card()
                self._condition_card()
                self._purchase_card()
                self._photos_card(max_mb)
        self._footer()
        self.save_button.disable()  # until the draft is restored: the tab storage needs the socket
        self._apply_defaults()

    # --- building ------------------------------------------------------------------------------------------------

    def _scan_field(self) -> None:
        self.scan = (
            ui.input(placeholder='Scan or type a SKU, then Enter')
            .props('outlined autofocus clearable autocomplete=off enterkeyhint=go')
            .classes(FIELD)
            .mark('scan')
        )
        with self.scan.add_slot('prepend'):
            ui.icon('qr_code_scanner')
        self.scan.on('keydown.enter', self._open_scanned)

    def _identity_card(self) -> None:
        with _card('Watch'):
            every = [brand.name for brand in reference.brands()]
            self.brand = BrandPicker(_common_brands(), every, self._brand_changed)
            self.model = choice_select([], 'Model', on_change=self._changed).classes(FIELD).mark('model')
            self.inputs['model'] = self.model
            self.inputs['brand'] = self.brand.select
            self._text('reference', 'Reference', debounce=True).on_value_change(self._autofill)
            self.known = ui.label().classes('text-sm text-emerald-800').mark('autofill-note')
            self.known.set_visibility(False)
            self._text('serial', 'Serial number', debounce=True).on_value_change(self._check_serial)
            self.seen = (
                ui.column().classes('w-full gap-1 rounded px-3 py-2 bg-amber-100 text-amber-900').mark('serial-warning')
            )
            self.seen.set_visibility(False)

    def _facts_card(self) -> None:
        with _card('Details'):
            with ui.element('div').classes('w-full grid grid-cols-2 gap-3'):
                self._text('year', 'Year', numeric='numeric')
                self.inputs['movement'] = (
                    ui.select(
                        {movement.value: movement.value.replace('_', ' ').title() for movement in Movement},
                        label='Movement',
                        clearable=True,
                        on_change=lambda _: self._changed(),
                    )
                    .props('outlined')
                    .classes(FIELD)
                    .mark('movement')
                )
                self._text('calibre', 'Calibre')
                self._text('case_material', 'Case material')
                self._text('case_diameter_mm', 'Case diameter (mm)', numeric='decimal')
            with ui.row().classes('w-full gap-3 no-wrap'):
                self.box = BigToggle('Box', self._changed)
                self.box.button.mark('box')
                self.papers = BigToggle('Papers', self._changed)
                self.papers.button.mark('papers')

    def _condition_card(self) -> None:
        with _card('Condition'):
            self.grades = QuickGrades(self._changed)

    def _purchase_card(self) -> None:
        with _card('Purchase and place'):
            with ui.row().classes('w-full gap-3 no-wrap'):
                self._text('purchase_cost', 'Purchase cost', numeric='decimal').classes('flex-1')
                self.inputs['purchase_currency'] = (
                    ui.select(CURRENCIES, label='Currency', value='EUR', on_change=lambda _: self._changed())
                    .props('outlined')
                    .classes('w-32')
                    .mark('purchase_currency')
                )
            self.inputs['location_id'] = (
                ui.select(self.locations, label='Location', clearable=True, on_change=lambda _: self._changed())
                .props('outlined')
                .classes(FIELD)
                .mark('location_id')
            )

    def _photos_card(self, max_mb: int) -> None:
        with _card('Photos'):
            uploads = {
                'camera': self._uploader(max_mb, 'accept="image/*" capture=environment').mark('camera-input'),
                'files': self._uploader(max_mb, 'accept="image/*"').mark('photo-input'),
            }
            self.uploads = list(uploads.values())
            with ui.row().classes('w-full gap-3 no-wrap'):
                for label, icon, key in (
                    ('Take photo', 'photo_camera', 'camera'),
                    ('Choose photos', 'photo_library', 'files'),
                ):
                    ui.button(label, icon=icon, on_click=lambda key=key: uploads[key].run_method('pickFiles')).props(
                        'outline'
                    ).classes(f'{TOUCH} flex-1')
            ui.label(f'Up to {max_mb} MB each; kept with this draft and added when the watch is saved.').classes(
                theme.SUBTITLE
            )
            self.photo_list = (
                ui.element('div').classes('w-full grid grid-cols-3 sm:grid-cols-4 gap-2').mark('photo-list')
            )

    def _uploader(self, max_mb: int, props: str) -> ui.upload:
        """Hidden: the big buttons above open its file chooser (or the tablet's camera)."""
        upload = ui.upload(
            multiple=True,
            auto_upload=True,
            max_file_size=max_mb * 1024 * 1024,
            on_upload=self._received,
            on_rejected=lambda: ui.notify(f'A photo over {max_mb} MB was left out.', type='warning', position='top'),
        )
        return upload.props(props).classes('hidden')

    def _footer(self) -> None:
        with ui.footer(elevated=True).classes('bg-white dark:bg-stone-900 text-stone-900 px-3 py-2') as self.footer:
            with ui.column().classes('intake w-full max-w-3xl mx-auto gap-1'):
                with ui.row().classes(theme.PROBLEM) as self.problem:
                    ui.icon('error_outline').classes('text-xl')
                    self.problem_text = ui.label().classes('text-base').mark('intake-error')
                self.problem.set_visibility(False)
                self.save_button = (
                    ui.button('Save watch', icon='save', on_click=self.save)
                    .props('unelevated size=lg')
                    .classes('w-full min-h-14 text-lg')
                    .mark('save')
                )

    def _text(self, key: str, label: str, *, numeric: str = '', debounce: bool = False) -> ui.input:
        field = ui.input(label, on_change=lambda _: self._changed()).props('outlined clearable autocomplete=off')
        if numeric:
            field.props(f'inputmode={numeric}')
        if debounce:
            field.props('debounce=400')
        self.inputs[key] = field.classes(FIELD).mark(key)
        return field

    # --- the draft -----------------------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """What WatchCreate gets; a currency without an amount means nothing and is left out."""
        values = {key: element.value for key, element in self.inputs.items()}
        values.update(box=self.box.value, papers=self.papers.value, condition=self.grades.value)
        if values.get('purchase_cost') in (None, ''):
            values['purchase_currency'] = None
        return values

    async def restore(self, draft: dict[str, Any] | None) -> None:
        """Bring back a draft kept in this tab (after a reload or a reconnect), else start from the defaults."""
        self.restored = True
        self.save_button.enable()
        if not draft:
            return
        self._fill(draft)
        if draft.get(PHOTOS_KEY):
            self.photos_key = draft[PHOTOS_KEY]
            await self._load_photos()
        ui.notify('Your unsaved intake was restored.', type='info', position='top')

    def _fill(self, draft: dict[str, Any]) -> None:
        self.brand.set_value(draft.get('brand'))
        for key, element in self.inputs.items():
            if key == 'brand':
                continue
            if key == 'model':
                set_choice(element, draft.get('model'))
            elif key in draft and (key != 'location_id' or draft[key] in self.locations):
                element.value = draft[key]
        self.box.set_value(draft.get('box', False))
        self.papers.set_value(draft.get('papers', False))
        self.grades.set_value(draft.get('condition'))

    def _changed(self) -> None:
        """Mirror the form into this tab's storage (only once connected: that is where the tab storage lives)."""
        if self.restored:
            app.storage.tab[DRAFT_KEY] = {
                **self.values(),
                'purchase_currency': self.inputs['purchase_currency'].value,
                PHOTOS_KEY: self.photos_key,
            }

    def _apply_defaults(self) -> None:
        self.inputs['purchase_currency'].value = 'EUR'
        last = app.storage.user.get(LOCATION_KEY)
        only = next(iter(self.locations)) if len(self.locations) == 1 else None
        self.inputs['location_id'].value = last if last in self.locations else only

    # --- reacting --------------------------------------------------------------------------------------------

    async def _open_scanned(self) -> None:
        text = (self.scan.value or '').strip()
        if not text:
            return
        watch_id = await call(watches.find_by_sku, self.actor, text)
        if watch_id is None:
            ui.notify(f'No watch has the SKU {text.upper()}.', type='warning', position='top')
            self.scan.value = ''
            return
        ui.navigate.to(f'/watches/{watch_id}')

    def _brand_changed(self) -> None:
        names = sorted({model.model for model in reference.models(self.brand.value or '')})
        current = self.model.value
        self.model.set_options(names, value=current if current in names else None)
        self._changed()

    async def _autofill(self) -> None:
        typed = self.inputs['reference'].value or ''
        found = await call(watches.reference_autofill, typed) if typed.strip() else None
        if found is None or typed != self.inputs['reference'].value:
            self.known.set_visibility(False)
            return
        self.brand.set_value(found['brand'])
        set_choice(self.model, found['model'])
        for key in ('calibre', 'movement', 'case_material', 'case_diameter_mm'):
            self.inputs[key].value = f'{found[key]:g}' if key == 'case_diameter_mm' else str(found[key])
        self.known.text = (
            f'Known reference: {found["brand"]} {found["model"]}, made {found["year_from"]}–{found["year_to"]}.'
        )
        self.known.set_visibility(True)

    async def _check_serial(self) -> None:
        serial = self.inputs['serial'].value or ''
        earlier = await call(watches.serial_matches, self.actor, serial) if serial.strip() else []
        if serial != self.inputs['serial'].value:
            return
        self.seen.clear()
        with self.seen:
            ui.label('Seen before: this serial number is on').classes('text-base font-medium')
            for watch_id, sku in earlier:
                ui.link(sku, f'/watches/{watch_id}').classes('text-base font-mono text-amber-950 min-h-8')
        self.seen.set_visibility(bool(earlier))

    async def _received(self, event: events.UploadEventArguments) -> None:
        """Each photo goes to the server as it is taken, so a reload or a dropped connection cannot lose it."""
        files = [(event.file.name, await event.file.read())]
        try:
            async with self.photo_lock:
                result = await call(intake_photos.add_pending_photos, self.actor, self.photos_key, files)
        except ServiceError as error:
            ui.notify(str(error), type='negative', position='top')
            return
        for refused in result.refused:
            ui.notify(f'{refused.name}: {refused.message}', type='warning', position='top', multi_line=True)
        self._changed()
        await self._load_photos()

    async def _load_photos(self) -> None:
        self.photos = await call(intake_photos.list_pending_photos, self.actor, self.photos_key)
        self._show_photos()

    def _show_photos(self) -> None:
        self.photo_list.clear()
        with self.photo_list:
            for photo in self.photos:
                with ui.element('div').classes('relative aspect-square').mark(f'pending-photo-{photo.id}'):
                    image = ui.image(photo.thumb_url).classes('w-full h-full rounded').props('fit=cover')
                    image.props['alt'] = photo.original_name or 'photo'
                    ui.button(icon='close', on_click=lambda photo=photo: self._drop_photo(photo)).props(
                        'round size=md color=white text-color=black aria-label="Remove photo"'
                    ).classes('absolute top-1 right-1')
                    ui.label(photo.original_name or '').classes(
                        'absolute bottom-0 inset-x-0 px-1 text-xs truncate bg-black/50 text-white rounded-b'
                    )

    async def _drop_photo(self, photo: PendingPhotoRead) -> None:
        try:
            self.photos = await call(intake_photos.remove_pending_photo, self.actor, self.photos_key, photo.id)
        except ServiceError as error:
            ui.notify(str(error), type='negative', position='top')
            await self._load_photos()
            return
        self._show_photos()

    # --- saving ------------------------------------------------------------------------------------------------

    async def save(self) -> None:
        """Create the watch, then add the photos; field errors appear next to their fields.

        Once the watch exists the intake is done, whatever becomes of its photos: saving again would take it
        in twice.
        """
        self._show_errors(None)
        self.save_button.props('loading')
        try:
            watch = await call(watches.create_watch, self.actor, watches.parse_watch(self.values()))
        except ServiceError as refusal_:
            self._show_errors(refusal_)
            return
        finally:
            self.save_button.props(remove='loading')
        try:
            outcome = await call(intake_photos.attach_pending_photos, self.actor, self.photos_key, watch.id)
        except ServiceError as error:
            outcome = None
            ui.notify(f'{watch.sku} is saved, but its photos were not added: {error}', type='negative', multi_line=True)
        app.storage.user[LOCATION_KEY] = self.inputs['location_id'].value
        app.storage.tab.pop(DRAFT_KEY, None)
        self._show_success(watch, outcome)

    def _show_errors(self, error: ServiceError | None) -> None:
        fields = error.fields if isinstance(error, ValidationFailed) else {}
        for key, element in self.inputs.items():
            element.error = fields.get(key)
        self.grades.set_error(fields.get('condition'))
        self.problem_text.text = str(error or '')
        self.problem.set_visibility(error is not None)

    def _show_success(self, watch: WatchRead, outcome: PhotoBatchResult | None) -> None:
        self.body.set_visibility(False)
        self.footer.set_visibility(False)
        self.success.clear()
        with self.success, _card('Taken in').mark('intake-success'):
            ui.label(watch.sku).classes('text-4xl font-mono font-semibold tracking-wide').mark('new-sku')
            ui.label(f'{watch.brand} {watch.model}' + (f' · {watch.reference}' if watch.reference else ''))
            for item in outcome.outcomes if outcome else []:
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.icon('check_circle' if item.accepted else 'cancel').classes(
                        'text-xl ' + ('text-emerald-700' if item.accepted else 'text-red-700')
                    )
                    ui.label(f'{item.name}: {item.message}').classes('text-base')
            with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-3 gap-3 pt-2'):
                ui.button('Print label', icon='print', on_click=lambda: self._print(watch)).props('outline').classes(
                    TOUCH
                ).mark('print-label')
                ui.button(
                    'Open watch', icon='open_in_new', on_click=lambda: ui.navigate.to(f'/watches/{watch.id}')
                ).props('outline').classes(TOUCH).mark('open-watch')
                ui.button('Next watch', icon='add', on_click=self.next_watch).props('unelevated').classes(TOUCH).mark(
                    'next-watch'
                )

    async def _print(self, watch: WatchRead) -> None:
        try:
            pdf = await call(labels.brother_pdf, self.actor, [watch.id])
        except ServiceError as error:
            ui.notify(str(error), type='negative', position='top')
            return
        ui.download.content(pdf, f'label-{watch.sku}.pdf', 'application/pdf')

    def next_watch(self) -> None:
        """A clean form for the next watch, the location and currency kept, the cursor in the scan field."""
        self.restored = False  # clearing must not write a half-empty draft on every field
        self._fill(dict.fromkeys(self.inputs) | {'box': False, 'papers': False, 'condition': {}})
        self._apply_defaults()
        self.photos_key = secrets.token_hex(16)
        self.photos = []
        self._show_photos()
        for upload in self.uploads:
            upload.reset()
        self.known.set_visibility(False)
        self.seen.set_visibility(False)
        self._show_errors(None)
        self.restored = True
        self.success.clear()
        self.body.set_visibility(True)
        self.footer.set_visibility(True)
        self.scan.value = ''
        self.scan.run_method('focus')


def _card(title: str) -> ui.card:
    with ui.card().classes(f'{theme.CARD} gap-3') as card:
        ui.label(title).classes('text-lg font-semibold')
    return card


def _common_brands() -> list[str]:
    """The brands with the most models in the reference table: the ones a dealer takes in most often."""
    counts = Counter(model.brand for model in reference.table().models)
    return [name for name, _ in counts.most_common(COMMON_BRANDS)]
