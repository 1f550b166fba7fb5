"""A watch's photos: thumbnails in display order, uploads (drag and drop, or the tablet camera), a lightbox.

Reordering is done with move buttons on each photo rather than dragging: they work the same with a mouse,
a finger and a keyboard, and need no extra JavaScript library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nicegui import events, ui

from components import theme
from components.notices import empty_state
from components.offload import call
from services import photos
from services.errors import ServiceError
from services.permissions import Actor, Permission

MB = 1024 * 1024


class Gallery:
    """Holds the photos shown; every change goes through the service and the grid is redrawn from its answer."""

    def __init__(self, actor: Actor, watch_id: int, limits: photos.PhotoLimits) -> None:
        self.actor = actor
        self.watch_id = watch_id
        self.limits = limits
        self.can_manage = actor.can(Permission.IMAGES_MANAGE)
        self.photos: list[photos.PhotoRead] = []
        with ui.card().classes(theme.CARD).mark('gallery'):
            with ui.row().classes('w-full items-center justify-between'):
                self.title = ui.label('Photos').classes(theme.CARD_TITLE)
                if self.can_manage:
                    self._camera_button()
            self.refusals = ui.column().classes(f'{theme.PROBLEM} flex-col gap-0').mark('photo-refusals')
            self.refusals.visible = False
            self.grid = (
                ui.element('div')
                .classes('w-full grid gap-3 grid-cols-2 sm:grid-cols-3 lg:grid-cols-4')
                .mark('photo-grid')
            )
            if self.can_manage:
                self.upload = (
                    self._uploader(
                        f'Drop photos here or click to choose (up to {limits.max_count}, {limits.max_mb} MB each)'
                    )
                    .classes('w-full')
                    .mark('photo-upload')
                )
        self.lightbox = Lightbox()

    async def load(self) -> None:
        self.show(await call(photos.list_photos, self.actor, self.watch_id))

    def show(self, shown: Sequence[photos.PhotoRead]) -> None:
        self.photos = list(shown)
        self.title.text = f'Photos ({len(self.photos)})' if self.photos else 'Photos'
        self.grid.clear()
        with self.grid:
            if not self.photos:
                empty_state('photo_camera', 'No photos yet.', 'Add them below, or take them with a tablet.').classes(
                    'col-span-full'
                )
            for index, photo in enumerate(self.photos):
                self._tile(index, photo)

    async def add(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Hand the files to the service in one go; each refused one is listed with its reason."""
        try:
            result = await call(photos.add_photos, self.actor, self.watch_id, files)
        except ServiceError as refusal:
            self._refused([str(refusal)])
            return
        self._refused([f'{outcome.name}: {outcome.message}' for outcome in result.refused])
        if result.accepted:
            ui.notify(f'{len(result.accepted)} photo(s) added.', type='positive')
        await self.load()

    # --- building -------------------------------------------------------------------------------------------

    def _uploader(self, label: str) -> ui.upload:
        async def received(event: events.MultiUploadEventArguments) -> None:
            await self.add([(file.name, await file.read()) for file in event.files])
            event.sender.reset()  # type: ignore[attr-defined]

        return ui.upload(
            label=label,
            multiple=True,
            auto_upload=True,
            max_files=self.limits.max_count,
            max_file_size=self.limits.max_mb * MB,
            on_multi_upload=received,
        ).props('accept="image/*" flat bordered')

    def _camera_button(self) -> None:
        """On a tablet the second, hidden uploader opens the back camera instead of the file chooser."""
        camera = self._uploader('Camera').props('capture=environment').classes('hidden').mark('camera-upload')
        ui.button('Take photo', icon='photo_camera', on_click=lambda: camera.run_method('pickFiles')).props(
            'outline'
        ).mark('take-photo')

    def _tile(self, index: int, photo: photos.PhotoRead) -> None:
        last = index == len(self.photos) - 1
        with ui.column().classes('gap-1').mark(f'photo-{photo.id}'):
            with ui.element('div').classes('relative w-full aspect-square'):
                ui.image(photo.thumb_url).classes(
                    'w-full h-full rounded cursor-pointer bg-stone-100 dark:bg-stone-800'
                ).props('fit=cover').on('click', lambda i=index: self.lightbox.open(self.photos, i)).mark('thumb')
                if photo.is_primary:
                    ui.badge('Primary').classes('absolute top-1 left-1').props('color=amber-9').mark('primary-badge')
            if self.can_manage:
                with ui.row().classes('w-full justify-between no-wrap gap-0'):
                    self._action(photo, 'chevron_left', 'Move earlier', lambda i=index: self._move(i, -1), index == 0)
                    self._action(photo, 'star', 'Make primary', lambda p=photo: self._primary(p), photo.is_primary)
                    self._action(photo, 'delete', 'Delete', lambda p=photo: self._confirm_delete(p), False)
                    self._action(photo, 'chevron_right', 'Move later', lambda i=index: self._move(i, 1), last)

    def _action(
        self, photo: photos.PhotoRead, icon: str, label: str, handler: Callable[[], object], disabled: bool
    ) -> None:
        """A round icon button on a photo, marked e.g. `make-primary-12` for tests."""
        button = ui.button(icon=icon, on_click=handler).props(f'flat round dense aria-label="{label}"')
        button.tooltip(label)
        button.mark(f'{label.lower().replace(" ", "-")}-{photo.id}')
        if disabled:
            button.disable()

    # --- changes --------------------------------------------------------------------------------------------

    async def _move(self, index: int, step: int) -> None:
        order = [photo.id for photo in self.photos]
        order.insert(index + step, order.pop(index))
        await self._apply(photos.reorder_photos, order)

    async def _primary(self, photo: photos.PhotoRead) -> None:
        await self._apply(photos.set_primary, photo.id)

    def _confirm_delete(self, photo: photos.PhotoRead) -> None:
        with ui.dialog() as dialog, ui.card().classes('gap-3'):
            ui.label('Delete this photo?').classes(theme.CARD_TITLE)
            ui.image(photo.thumb_url).classes('w-40 h-40 rounded').props('fit=cover')
            with ui.row().classes('w-full justify-end'):
                ui.button('Keep it', on_click=dialog.close).props('flat')

                async def delete() -> None:
                    dialog.close()
                    await self._apply(photos.delete_photo, photo.id)

                ui.button('Delete', on_click=delete).props('unelevated color=negative').mark('confirm-delete-photo')
        dialog.open()

    async def _apply(self, change: object, argument: object) -> None:
        """Run one gallery change and redraw from the service's answer (or say why it was refused)."""
        try:
            self.show(await call(change, self.actor, self.watch_id, argument))  # type: ignore[arg-type]
            self._refused([])
        except ServiceError as refusal:
            self._refused([str(refusal)])

    def _refused(self, sentences: list[str]) -> None:
        self.refusals.clear()
        self.refusals.visible = bool(sentences)
        with self.refusals:
            for sentence in sentences:
                ui.label(sentence).classes('text-sm')


class Lightbox:
    """Large photos full screen; arrow keys or the side buttons page through them, Escape closes."""

    def __init__(self) -> None:
        self.photos: list[photos.PhotoRead] = []
        self.index = 0
        with (
            ui.dialog().props('maximized') as self.dialog,
            ui.element('div')
            .classes('w-full h-full bg-black/95 flex items-center justify-center relative')
            .mark('lightbox'),
        ):
            self.image = ui.image().props('fit=contain').classes('w-full h-full').mark('lightbox-image')
            self.counter = ui.label().classes('absolute top-4 left-4 text-white text-sm').mark('lightbox-counter')
            ui.button(icon='close', on_click=self.dialog.close).props(
                'flat round color=white aria-label=Close'
            ).classes('absolute top-2 right-2')
            ui.button(icon='chevron_left', on_click=lambda: self.step(-1)).props(
                'flat round size=xl color=white aria-label=Previous'
            ).classes('absolute left-2')
            ui.button(icon='chevron_right', on_click=lambda: self.step(1)).props(
                'flat round size=xl color=white aria-label=Next'
            ).classes('absolute right-2')
        ui.keyboard(on_key=self._key)

    def open(self, shown: list[photos.PhotoRead], index: int) -> None:
        self.photos, self.index = shown, index
        self._show()
        self.dialog.open()

    def step(self, by: int) -> None:
        if self.photos:
            self.index = (self.index + by) % len(self.photos)
            self._show()

    def _show(self) -> None:
        self.image.set_source(self.photos[self.index].large_url)
        self.counter.text = f'{self.index + 1} / {len(self.photos)}'

    def _key(self, event: events.KeyEventArguments) -> None:
        if not self.dialog.value or not event.action.keydown:
            return
        if event.key.arrow_right:
            self.step(1)
        elif event.key.arrow_left:
            self.step(-1)
        elif event.key.escape:
            self.dialog.close()
