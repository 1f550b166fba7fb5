"""The strip above a list that says what is selected and offers what can be done to all of it at once."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components import format, theme
from components.job_panel import start_with_panel
from components.offload import call
from services import ai_settings
from services.bulk import BulkResult
from services.errors import ServiceError
from services.integrations.ai import LANGUAGES
from services.permissions import Actor


class BulkBar:
    """Selection count, "select all N matching", and a row the screen fills with its actions.

    The bar only shows while something is selected; the screen decides what the actions do.
    """

    def __init__(self, on_select_all: Callable[[], object], on_clear: Callable[[], object]) -> None:
        with ui.row().classes(
            'w-full items-center gap-2 px-3 py-2 rounded-lg bg-amber-50 dark:bg-stone-800 '
            'border border-amber-200 dark:border-stone-700'
        ) as self.bar:
            ui.icon('check_box').classes('text-amber-800 dark:text-amber-300')
            self.label = ui.label().classes('text-sm font-medium').mark('bulk-count')
            self.select_all = ui.button(on_click=on_select_all).props('flat dense size=sm').mark('select-all')
            ui.button('Clear', on_click=on_clear).props('flat dense size=sm').mark('clear-selection')
            ui.space()
            self.actions = ui.row().classes('items-center gap-1 flex-wrap')
        self.bar.mark('bulk-bar')
        self.bar.set_visibility(False)

    def show(self, selected: int, matching: int, *, all_matching: bool, matching_text: str) -> None:
        """`selected` rows ticked by hand, or every one of `matching` when `all_matching`."""
        self.bar.set_visibility(bool(selected) or all_matching)
        count = matching_text if all_matching else format.count(selected)
        self.label.text = f'{count} selected' + (' (all matching)' if all_matching else '')
        self.select_all.text = f'Select all {matching_text} matching'
        self.select_all.set_visibility(not all_matching and matching > selected)


def report(verb: str, result: BulkResult) -> None:
    """Say how many watches a bulk action changed and, when some were refused, which ones and why."""
    done, refused = len(result.done), result.refused
    if not refused:
        ui.notify(f'{format.count(done)} {_watches(done)} {verb}.', type='positive')
        return
    ui.notify(
        f'{format.count(done)} {_watches(done)} {verb}; {format.count(len(refused))} refused.',
        type='warning' if done else 'negative',
    )
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('refusals'):
        ui.label(f'{format.count(len(refused))} {_watches(len(refused))} not {verb}').classes(theme.CARD_TITLE)
        with ui.column().classes('w-full gap-1 max-h-80 overflow-auto'):
            for refusal in refused:
                with ui.row().classes('w-full gap-3 no-wrap text-sm'):
                    ui.label(refusal.sku or f'Watch #{refusal.watch_id}').classes('font-mono w-32 shrink-0')
                    ui.label(refusal.reason).classes(theme.MUTED)
        with ui.row().classes('w-full justify-end'):
            ui.button('Close', on_click=dialog.close).props('flat')
    dialog.open()


async def describe(actor: Actor, scope: str, params: dict) -> None:
    """Ask for the languages, then start the `descriptions` job for `params` (`ids` or `filters`) with its panel.

    The job panel opens where the bulk bar's button is, after this dialog is gone, so it outlives the dialog.
    """
    try:
        settings = await call(ai_settings.get, actor)
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    provider = {'builtin': 'the built-in writer', 'openai': 'the OpenAI-compatible model', 'make': 'Make.com'}
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('describe-dialog'):
        ui.label(f'Describe {scope}').classes(theme.CARD_TITLE)
        ui.label(
            f'New drafts by {provider[settings.provider]}, one per watch and language. Approved texts stay as they '
            'are; each new draft waits on its watch page for review.'
        ).classes(theme.SUBTITLE)
        boxes = {
            code: ui.checkbox(name, value=code in settings.languages).mark(f'describe-{code}')
            for code, name in LANGUAGES.items()
        }
        problem = ui.label().classes('text-sm text-red-700').mark('describe-problem')

        def start() -> None:
            chosen = [code for code, box in boxes.items() if box.value]
            if not chosen:
                problem.text = 'Choose at least one language.'
                return
            dialog.submit(chosen)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
            ui.button('Start', icon='auto_awesome', on_click=start).props('unelevated').mark('describe-start')
    try:
        languages = await dialog
    finally:
        dialog.delete()
    if languages:
        await start_with_panel(actor, 'descriptions', {**params, 'languages': languages})


def _watches(count: int) -> str:
    return 'watch' if count == 1 else 'watches'
