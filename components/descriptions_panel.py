"""A watch's listing texts: per language the approved one and the newest drafts, every version, and the actions.

The card follows the `descriptions` bus topic for its watch, so a draft a colleague (or a batch job, or a Make.com
callback) adds shows at once. A Make.com scenario answers later: the card says "Waiting for Make.com…" for the
languages it asked for, until their text arrives or the scenario's time is up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from nicegui import ui

from components import field_errors, format, live, theme
from components.live_screen import Coalescer, Subscriptions
from components.offload import call
from services import ai_settings, descriptions
from services.ai_settings import AiSettings
from services.descriptions import DescriptionRead
from services.errors import ServiceError
from services.integrations.ai import LANGUAGES
from services.permissions import Actor, Permission

SHOWN_DRAFTS = 2  # the newest drafts beside the approved text; the rest are under "All versions"
EXPIRY_SLACK_SECONDS = 10
PROVIDERS = {
    'builtin': 'Built-in writer',
    'openai': 'OpenAI-compatible',
    'make': 'Make.com',
    'manual': 'Edited by hand',
}
_CHIP = 'px-2 py-0.5 rounded-full text-xs font-medium shrink-0'
STATUS = {
    'approved': ('Approved', f'{_CHIP} bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-100'),
    'draft': ('Draft', f'{_CHIP} bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-100'),
    'superseded': ('Superseded', f'{_CHIP} bg-stone-200 text-stone-700 dark:bg-stone-700 dark:text-stone-200'),
}
_VERSION = 'w-full gap-1 rounded-lg border border-stone-200 dark:border-stone-700 p-3'
_APPROVED = 'w-full gap-1 rounded-lg border-2 border-green-600 dark:border-green-700 p-3 bg-green-50/40'


@dataclass(frozen=True)
class _Loaded:
    versions: list[DescriptionRead]
    settings: AiSettings | None  # None for a role that only reads texts
    pending: list[str]  # languages waiting for a Make.com callback, whoever asked


@dataclass
class _Waiting:
    """Languages a Make.com scenario was asked for, the versions known when asking, and when to give up."""

    languages: list[str]
    known: set[int]
    deadline: float
    minutes: int


def _load(actor: Actor, watch_id: int, writer: bool) -> _Loaded:
    """The versions, and for those who write them the settings (provider and languages) the buttons act with."""
    return _Loaded(
        descriptions.versions(actor, watch_id),
        ai_settings.get(actor) if writer else None,
        descriptions.pending(actor, watch_id),
    )


class DescriptionsPanel:
    """The "Descriptions" card of a watch's page; it loads and follows its texts by itself."""

    def __init__(self, actor: Actor, watch_id: int) -> None:
        self.actor = actor
        self.watch_id = watch_id
        self.writer = actor.can(Permission.DESCRIPTIONS_WRITE)
        self.waiting: _Waiting | None = None
        self.loaded: _Loaded | None = None
        self.expanded: set[str] = set()  # languages whose "All versions" is open: kept open across live redraws
        with ui.card().classes(theme.CARD).mark('descriptions') as self.card:
            self._heading()
            with ui.row().classes('w-full items-center gap-2 text-sm').mark('writing') as self.writing:
                ui.spinner(size='1.2em')
                self.writing_label = ui.label()
            self.writing.set_visibility(False)
            with ui.row().classes('w-full items-center gap-2 text-sm').mark('waiting-make') as self.waiting_row:
                ui.spinner('dots', size='1.2em')
                self.waiting_label = ui.label()
            self.waiting_row.set_visibility(False)
            self.body = ui.column().classes('w-full gap-4')
            with self.body, ui.row().classes(f'items-center gap-2 text-sm {theme.MUTED}'):
                ui.spinner(size='1.2em')
                ui.label('Loading the texts…')
            subscriptions = Subscriptions()
        self.reloads = Coalescer(self.reload, subscriptions)
        subscriptions.follow(live.descriptions_changed, self._changed)
        subscriptions.follow(live.reconnected, self.reloads.poke)
        self.reloads.poke()

    def _heading(self) -> None:
        with ui.row().classes('w-full items-start justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label('Descriptions').classes(theme.CARD_TITLE)
                self.source = ui.label().classes(f'text-xs {theme.MUTED}').mark('descriptions-source')
            if self.writer:
                with ui.row().classes('items-center gap-0 no-wrap'):
                    self.generate_button = ui.button('Generate', icon='auto_awesome', on_click=lambda: self.generate())
                    self.generate_button.props('outline').mark('generate-descriptions')
                    with ui.button(icon='arrow_drop_down').props('flat dense aria-label="Generate one language"'):
                        with ui.menu():
                            for code, name in LANGUAGES.items():
                                ui.menu_item(f'Only {name}', on_click=lambda c=code: self.generate([c])).mark(
                                    f'generate-{code}'
                                )

    def _changed(self, watch_id: int) -> None:
        if watch_id == self.watch_id:
            self.reloads.poke()

    async def reload(self) -> None:
        try:
            loaded = await call(_load, self.actor, self.watch_id, self.writer)
        except ServiceError as error:
            self.body.clear()
            with self.body:
                ui.label(str(error)).classes(f'text-sm {theme.MUTED}')
            return
        self.loaded = loaded
        if loaded.settings:
            self.source.text = f'Written by: {PROVIDERS[loaded.settings.provider]}'
        if loaded.pending and not self.waiting:  # asked before this page was opened (or from another tab)
            self._wait(loaded.pending, loaded.settings)
        self._settle_waiting(loaded.versions)
        self.body.clear()
        with self.body:
            self._draw(loaded)

    # --- generating --------------------------------------------------------------------------------------------

    async def generate(self, languages: list[str] | None = None) -> None:
        """New drafts from the configured provider; Make.com's arrive later through the bus."""
        settings = self.loaded.settings if self.loaded else None
        provider = PROVIDERS[settings.provider] if settings else 'the provider'
        self.generate_button.props('loading')
        self.writing_label.text = f'Writing with {provider}…'
        self.writing.set_visibility(True)
        try:
            result = await call(descriptions.generate, self.actor, self.watch_id, languages)
        except ServiceError as error:
            ui.notify(str(error), type='negative', multi_line=True)
            return
        finally:
            self.generate_button.props(remove='loading')
            self.writing.set_visibility(False)
        if result.drafts:
            count = len(result.drafts)
            ui.notify(f'{count} new {"draft" if count == 1 else "drafts"} written.', type='positive')
        if result.pending:
            self._wait(result.pending, settings)
        self.reloads.poke()

    def _wait(self, languages: list[str], settings: AiSettings | None) -> None:
        minutes = settings.make.callback_timeout_minutes if settings else 30
        known = {version.id for version in self.loaded.versions} if self.loaded else set()
        if self.waiting:  # asked again while waiting: both answers are awaited
            languages = list(dict.fromkeys(self.waiting.languages + languages))
            known = self.waiting.known
        # A little before the request's own expiry (asked a moment earlier), which the periodic expiry announces;
        # the timer reads once more in case that announcement is late.
        self.waiting = _Waiting(languages, known, time.monotonic() + minutes * 60 - EXPIRY_SLACK_SECONDS, minutes)
        with self.card:
            ui.timer(minutes * 60, self.reloads.poke, once=True)
        self._show_waiting()

    def _settle_waiting(self, versions: list[DescriptionRead]) -> None:
        """A language is answered once a Make.com version arrives that was not there when it was asked for."""
        if not self.waiting:
            return
        arrived = {v.language for v in versions if v.provider == 'make' and v.id not in self.waiting.known}
        self.waiting.languages = [code for code in self.waiting.languages if code not in arrived]
        if self.waiting.languages and time.monotonic() > self.waiting.deadline:
            ui.notify(f'Make.com did not answer within {self.waiting.minutes} minutes.', type='warning')
            self.waiting.languages = []
        if not self.waiting.languages:
            self.waiting = None
        self._show_waiting()

    def _show_waiting(self) -> None:
        if self.waiting:
            names = ', '.join(LANGUAGES[code] for code in self.waiting.languages)
            self.waiting_label.text = f'Waiting for Make.com… ({names})'
        self.waiting_row.set_visibility(self.waiting is not None)

    # --- drawing -----------------------------------------------------------------------------------------------

    def _draw(self, loaded: _Loaded) -> None:
        configured = loaded.settings.languages if loaded.settings else []
        present = {version.language for version in loaded.versions}
        languages = [code for code in LANGUAGES if code in present or code in configured]
        if not languages:
            ui.label('No texts yet.').classes(f'text-sm {theme.MUTED}').mark('no-descriptions')
            return
        for code in languages:
            self._language(code, [version for version in loaded.versions if version.language == code])

    def _language(self, code: str, versions: list[DescriptionRead]) -> None:
        """The approved text (marked), the newest drafts, and every version folded away beneath them."""
        approved = next((version for version in versions if version.status == 'approved'), None)
        drafts = [version for version in versions if version.status == 'draft']
        section = ui.column().classes('w-full gap-2').props(f'role=region aria-label="{LANGUAGES[code]} texts"')
        with section.mark(f'language-{code}'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(LANGUAGES[code]).classes('text-sm font-semibold uppercase tracking-wide')
                if approved is None:
                    ui.label('No approved text yet').classes(f'text-xs {theme.MUTED}').mark(f'unapproved-{code}')
            if not versions:
                hint = 'Nothing written yet. Press Generate to have a draft written.'
                ui.label(hint if self.writer else 'Nothing written yet.').classes(f'text-sm {theme.MUTED}')
                return
            if approved:
                self._version(approved, mark=f'approved-{code}')
            for draft in drafts[:SHOWN_DRAFTS]:
                self._version(draft)
            every = ui.expansion(f'All versions ({len(versions)})', icon='history', value=code in self.expanded)
            every.props('dense').on_value_change(lambda event: self._expand(code, event.value))
            with every.classes('w-full text-sm').mark(f'versions-{code}'), ui.column().classes('w-full gap-2'):
                for version in versions:
                    self._version(version, compact=True)

    def _expand(self, code: str, value: bool) -> None:
        if value:
            self.expanded.add(code)
        else:
            self.expanded.discard(code)

    def _version(self, version: DescriptionRead, *, mark: str | None = None, compact: bool = False) -> None:
        label, chip = STATUS[version.status]
        box = _APPROVED if version.status == 'approved' and not compact else _VERSION
        with ui.column().classes(box).mark(mark or ('version' if compact else f'version-{version.id}')):
            with ui.row().classes('w-full items-start gap-2 no-wrap'):
                ui.label(label).classes(chip)
                ui.label(version.title).classes('font-medium text-sm flex-1 break-words')
                if self.writer:
                    self._actions(version, compact=compact)
            if not compact:
                ui.label(version.body).classes('text-sm whitespace-pre-line break-words')
            ui.label(_meta(version)).classes(f'text-xs {theme.MUTED}')

    def _actions(self, version: DescriptionRead, *, compact: bool) -> None:
        suffix = f'-{version.id}' if not compact else f'-{version.id}-all'
        if version.status != 'approved':
            ui.button('Approve', icon='check', on_click=lambda: self._approve(version)).props(
                'flat dense no-caps size=sm color=positive'
            ).mark(f'approve{suffix}')
        ui.button('Edit', icon='edit', on_click=lambda: self._edit(version)).props('flat dense no-caps size=sm').mark(
            f'edit{suffix}'
        )

    # --- approving and editing ---------------------------------------------------------------------------------

    async def _approve(self, version: DescriptionRead) -> None:
        """Said on the card: the live update of the approval may redraw the list, button and all, meanwhile."""
        try:
            approved = await call(descriptions.approve, self.actor, version.id)
        except ServiceError as error:
            with self.card:
                ui.notify(str(error), type='negative')
            return
        with self.card:
            ui.notify(f'The {LANGUAGES[version.language]} text is approved.', type='positive')
            if approved.stage_note:
                ui.notify(approved.stage_note, type='info', multi_line=True)
        self.reloads.poke()

    def _edit(self, version: DescriptionRead) -> None:
        """A dialog on the card (not on the list, which a live update redraws); saving adds a new draft."""
        with self.card, ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl gap-3').mark('edit-description'):
            ui.label(f'Edit the {LANGUAGES[version.language]} text').classes(theme.CARD_TITLE)
            ui.label('Your text is saved as a new draft; this version stays as it is.').classes(theme.SUBTITLE)
            title = ui.input('Title', value=version.title).props(f'outlined counter maxlength={descriptions.TITLE_MAX}')
            title.classes('w-full').mark('edit-title')
            body = ui.textarea('Description', value=version.body).props(
                f'outlined autogrow counter maxlength={descriptions.BODY_MAX}'
            )
            body.classes('w-full').mark('edit-body')
            fields = {'title': title, 'body': body}

            async def save() -> None:
                if not field_errors.require(fields, 'title', 'body'):
                    return
                save_button.props('loading')
                try:
                    await call(descriptions.edit, self.actor, version.id, title.value, body.value)
                except ServiceError as error:
                    field_errors.show(error, fields)
                    return
                finally:
                    save_button.props(remove='loading')
                ui.notify('Saved as a new draft.', type='positive')
                dialog.close()  # which deletes it, and the context this handler runs in with it
                self.reloads.poke()

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat')
                save_button = ui.button('Save as new draft', on_click=save).props('unelevated').mark('edit-save')
        dialog.on_value_change(lambda event: None if event.value else dialog.delete())
        dialog.open()


def _meta(version: DescriptionRead) -> str:
    """Where a version came from: provider, model, when, who, tokens, and its approval."""
    parts = [PROVIDERS.get(version.provider, version.provider)]
    if version.model:
        parts.append(version.model)
    parts.append(format.when(version.created_at))
    if version.created_by_name:
        parts.append(f'by {version.created_by_name}')
    if version.prompt_tokens or version.completion_tokens:
        parts.append(f'{version.prompt_tokens:,} + {version.completion_tokens:,} tokens')
    if version.edited_from_id:
        parts.append(f'edited from #{version.edited_from_id}')
    if version.approved_at:
        who = f' by {version.approved_by_name}' if version.approved_by_name else ''
        parts.append(f'approved{who} {format.when(version.approved_at)}')
    return f'#{version.id} · ' + ' · '.join(parts)
