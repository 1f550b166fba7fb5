"""Create and edit a watch: every attribute in sections, problems shown at their inputs, edits version-checked."""

from __future__ import annotations

from nicegui import ui

from components import theme
from components.live_screen import follow_watches
from components.offload import call
from components.watch_fields import WatchFields, load_choices
from components.watch_lookup import load_watch
from services import watches
from services.errors import Conflict, ServiceError, ValidationFailed
from services.permissions import Actor


async def create_view(actor: Actor) -> None:
    choices = await load_choices(actor)
    with _page('New watch', 'The SKU and the first stage are given when you save.'):
        _form(actor, WatchFields(actor, choices), None)


async def edit_view(actor: Actor, watch_id: str) -> None:
    watch = await load_watch(actor, watch_id)
    if watch is None:
        return
    choices = await load_choices(actor, watch.supplier_id)
    with _page(f'Edit {watch.sku}', f'{watch.brand} {watch.model}'):
        _form(actor, WatchFields(actor, choices, watch), watch)


def _page(title: str, subtitle: str) -> ui.column:
    with ui.column().classes(theme.NARROW_PAGE).mark('watch-form') as page:
        with ui.column().classes('gap-0'):
            ui.label(title).classes(theme.TITLE)
            ui.label(subtitle).classes(theme.SUBTITLE)
    return page


def _form(actor: Actor, fields: WatchFields, watch: watches.WatchRead | None) -> None:
    """The save bar under the fields, plus the two ways a save can fail as a whole: a refusal and a conflict."""
    problem = ui.label().classes(theme.PROBLEM).mark('form-problem')
    problem.visible = False
    conflict, conflict_message = _conflict_banner()
    saving = False

    async def save() -> None:
        nonlocal saving
        problem.visible = conflict.visible = False
        fields.clear_problems()
        if not fields.validate():
            _show(problem, 'Please correct the marked fields.')
            return
        saving, saved = True, None
        try:
            saved = await _save(actor, fields, watch)
        except ValidationFailed as refusal:
            fields.show_problems(refusal.fields)
            _show(problem, str(refusal))
            return
        except Conflict as refusal:  # the input stays as typed: the user decides whether to keep theirs
            conflict_message.text = str(refusal)
            conflict.visible = True
            return
        except ServiceError as refusal:
            _show(problem, str(refusal))
            return
        finally:
            saving = saved is not None  # after a save the page is left: its own change must not raise the alarm
        ui.notify(f'{saved.sku} saved.', type='positive')
        ui.navigate.to(f'/watches/{saved.id}')

    async def changed_elsewhere() -> None:
        """Someone else saved this watch meanwhile: say so now, not only when the save is refused; keep the input."""
        if not saving:
            conflict_message.text = (
                'Someone else just changed this watch. Your input is kept; saving it would be refused.'
            )
            conflict.visible = True

    if watch:
        follow_watches(changed_elsewhere, shows=lambda ids: watch.id in ids)
    back = f'/watches/{watch.id}' if watch else '/watches'
    with ui.row().classes('w-full justify-end gap-2 sticky bottom-0 py-3 z-10 bg-white dark:bg-stone-950'):
        ui.button('Cancel', on_click=lambda: ui.navigate.to(back)).props('flat').mark('cancel')
        label = 'Save changes' if watch else 'Save watch'
        ui.button(label, icon='save', on_click=save).props('unelevated').mark('save-watch')


async def _save(actor: Actor, fields: WatchFields, watch: watches.WatchRead | None) -> watches.WatchRead:
    values = fields.values()
    if watch is None:
        return await call(watches.create_watch, actor, watches.parse_watch(values))
    data = watches.parse_watch(values, partial=True)
    return await call(watches.update_watch, actor, watch.id, data, version=watch.version)


def _conflict_banner() -> tuple[ui.row, ui.label]:
    """Persistent until the next save: someone else saved first; "Reload theirs" throws the input away."""
    with ui.row().classes(f'{theme.PROBLEM} items-center bg-amber-50 text-amber-900').mark('conflict') as banner:
        ui.icon('sync_problem').classes('text-xl shrink-0')
        message = ui.label().classes('text-sm flex-1').mark('conflict-message')
        ui.button('Reload theirs', icon='refresh', on_click=ui.navigate.reload).props('flat dense').mark(
            'reload-theirs'
        )
    banner.visible = False
    return banner, message


def _show(label: ui.label, text: str) -> None:
    label.text = text
    label.visible = True
