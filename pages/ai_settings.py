"""Settings of the listing texts: which provider writes them, how it is reached, the prompt, and the languages.

Only the chosen provider's card is shown and sent on saving; the other provider keeps what was stored. Secrets
are never shown: a password field that is left empty keeps the saved one, "Clear" removes it on saving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from components import clipboard, field_errors, theme
from components.live_screen import Coalescer
from components.offload import call
from services import ai_settings, watches
from services.ai_settings import AiSettings
from services.errors import ServiceError, ValidationFailed
from services.integrations import openai_chat
from services.integrations.ai import LANGUAGES
from services.permissions import Actor

PROVIDERS = {'builtin': 'Built-in writer', 'openai': 'OpenAI-compatible server', 'make': 'Make.com scenario'}
PROVIDER_HINTS = {
    'builtin': 'Writes English and Swedish texts from the record itself, at once, with no outside service.',
    'openai': 'Any server that speaks the OpenAI chat completions API (OpenAI, Azure, a local model server).',
    'make': 'Sends each watch to a Make.com scenario, which posts the text back to this app when it is done.',
}
_SAVED = 'px-2 py-0.5 rounded-full text-xs font-medium bg-green-100 text-green-900 dark:bg-green-950'
_UNSET = 'px-2 py-0.5 rounded-full text-xs font-medium bg-stone-200 text-stone-700 dark:bg-stone-700'


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.NARROW_PAGE) as page:
        with ui.column().classes('gap-0'):
            ui.label('AI descriptions').classes(theme.TITLE)
            ui.label('Who writes the listing texts, how to reach them, and in which languages.').classes(theme.SUBTITLE)
        body = ui.column().classes('w-full gap-6')
    settings = await call(ai_settings.get, actor)
    with body:
        SettingsForm(actor, settings, body)
    page.mark('ai-settings')  # once the form is drawn


@dataclass
class _Secret:
    """A password field for a stored secret: empty keeps it, typed replaces it, "Clear" removes it on saving."""

    input: ui.input
    state: ui.label
    stored: bool
    clear: bool = False

    def value(self) -> str | None:
        if self.input.value:
            return self.input.value
        return '' if self.clear else None

    def ask_clear(self) -> None:
        self.clear, self.input.value = True, ''
        self.state.text = 'Cleared on saving'


@dataclass
class _Fields:
    inputs: dict[str, ValidationElement] = field(default_factory=dict)
    secrets: dict[str, _Secret] = field(default_factory=dict)


class SettingsForm:
    """The form, drawn from the stored settings; after saving it is drawn again from the service's answer."""

    def __init__(self, actor: Actor, settings: AiSettings, body: ui.column) -> None:
        self.actor = actor
        self.settings = settings
        self.body = body
        self.fields = _Fields()
        self._general()
        self.openai_card = self._openai()
        self.make_card = self._make()
        self._show_provider()
        with ui.row().classes('w-full justify-end gap-2'):
            self.save_button = ui.button('Save settings', icon='save', on_click=self.save).props('unelevated')
            self.save_button.mark('save-ai-settings')

    # --- the cards ---------------------------------------------------------------------------------------------

    def _general(self) -> None:
        with ui.card().classes(theme.CARD).mark('provider-card'):
            ui.label('Provider and languages').classes(theme.CARD_TITLE)
            self.provider = ui.radio(PROVIDERS, value=self.settings.provider, on_change=self._show_provider)
            self.provider.props('inline').mark('provider')
            self.provider_hint = ui.label().classes(theme.SUBTITLE)
            languages = ui.select(LANGUAGES, multiple=True, value=list(self.settings.languages), label='Languages')
            languages.props('outlined dense use-chips').classes('w-full max-w-sm').mark('languages')
            self.fields.inputs['languages'] = languages
            self.move = ui.switch('Move a watch to "Described" when its text is approved')
            self.move.value = self.settings.move_to_described
            self.move.mark('move-to-described')
            ui.label(
                'Only where the workflow allows that move for the person approving; otherwise it stays put.'
            ).classes(f'text-xs {theme.MUTED} -mt-2 ml-12')

    def _openai(self) -> ui.card:
        openai = self.settings.openai
        with ui.card().classes(theme.CARD).mark('openai-card') as card:
            ui.label('OpenAI-compatible server').classes(theme.CARD_TITLE)
            with ui.row().classes('w-full gap-4 no-wrap'):
                self._input('openai.base_url', 'Base URL', openai.base_url, 'openai-base-url', 'flex-[2]').props(
                    'placeholder="https://api.openai.com"'
                )
                self._input('openai.model', 'Model', openai.model, 'openai-model', 'flex-1')
            self._secret('openai.api_key', 'API key', openai.api_key_set, 'openai-api-key')
            with ui.row().classes('w-full gap-4 no-wrap'):
                self._number('openai.timeout_seconds', 'Timeout (seconds)', openai.timeout_seconds, 'openai-timeout')
                self._number('openai.max_retries', 'Retries', openai.max_retries, 'openai-retries')
                self._number('openai.concurrency', 'At once', openai.concurrency, 'openai-concurrency')
            self._template(openai.prompt_template)
        return card

    def _make(self) -> ui.card:
        make = self.settings.make
        with ui.card().classes(theme.CARD).mark('make-card') as card:
            ui.label('Make.com scenario').classes(theme.CARD_TITLE)
            self._input('make.webhook_url', 'Webhook URL', make.webhook_url, 'make-webhook-url', 'w-full').props(
                'placeholder="https://hook.eu1.make.com/…"'
            )
            self._secret('make.api_key', 'API key (x-make-apikey)', make.api_key_set, 'make-api-key')
            self._secret('make.secret', 'Signing secret', make.secret_set, 'make-secret')
            with ui.row().classes('w-full gap-4 no-wrap'):
                self._number(
                    'make.callback_timeout_minutes',
                    'Answer within (minutes)',
                    make.callback_timeout_minutes,
                    'make-callback-timeout',
                )
                self._number('make.concurrency', 'At once', make.concurrency, 'make-concurrency')
            ui.label("The scenario's HTTP module posts its answer here, signed with the secret:").classes(
                f'text-sm {theme.MUTED}'
            )
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                url = ui.input(value=make.callback_url).props('outlined dense readonly').classes('flex-1 font-mono')
                url.mark('callback-url')
                address, copied = make.callback_url, 'Callback URL copied.'
                copy = ui.button('Copy', icon='content_copy', on_click=lambda: clipboard.copy(address, copied))
                copy.props('outline').mark('copy-callback-url')
        return card

    def _template(self, template: str) -> None:
        """The prompt editor, its placeholders (a click adds one), and a live preview for a watch or a sample."""
        ui.label('Prompt').classes('text-sm font-medium mt-2')
        editor = ui.textarea(value=template, on_change=lambda: self.previews.poke())
        editor.props('outlined rows=7 input-class="font-mono text-sm"').classes('w-full').mark('openai-template')
        self.fields.inputs['openai.prompt_template'] = editor
        with ui.row().classes('w-full items-center gap-1'):
            ui.label('Placeholders:').classes(f'text-xs {theme.MUTED}')
            for name in openai_chat.PLACEHOLDERS:
                ui.chip(f'{{{name}}}', on_click=lambda n=name: editor.set_value(f'{editor.value} {{{n}}}')).props(
                    'dense outline clickable size=sm'
                ).mark(f'placeholder-{name}')
        with ui.row().classes('w-full items-start gap-4 no-wrap'):
            sku = ui.input('Preview for SKU', on_change=lambda: self.previews.poke()).props(
                'outlined dense debounce=400 placeholder="a sample watch"'
            )
            sku.classes('w-48').mark('preview-sku')
            language = ui.select(LANGUAGES, value=self.settings.languages[0], on_change=lambda: self.previews.poke())
            language.props('outlined dense').classes('w-36').mark('preview-language')
        preview = (
            ui.label()
            .classes('w-full whitespace-pre-wrap font-mono text-xs rounded bg-stone-100 dark:bg-stone-800 p-3')
            .mark('prompt-preview')
        )

        async def show() -> None:
            try:
                preview.text = await call(_preview, self.actor, editor.value or '', sku.value or '', language.value)
                editor.error = sku.error = None
            except ValidationFailed as error:
                target = sku if 'sku' in error.fields else editor
                target.error = error.fields.get('sku') or error.fields.get('prompt_template') or str(error)
            except ServiceError as error:
                preview.text = str(error)

        self.previews = Coalescer(show, preview, pause=0.3)
        self.previews.poke()

    # --- fields ------------------------------------------------------------------------------------------------

    def _input(self, key: str, label: str, value: str, mark: str, classes: str) -> ui.input:
        element = ui.input(label, value=value).props('outlined dense').classes(classes).mark(mark)
        self.fields.inputs[key] = element
        return element

    def _number(self, key: str, label: str, value: int, mark: str) -> None:
        element = ui.number(label, value=value, precision=0, format='%d').props('outlined dense').classes('flex-1')
        self.fields.inputs[key] = element.mark(mark)

    def _secret(self, key: str, label: str, stored: bool, mark: str) -> None:
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            element = ui.input(label, password=True, password_toggle_button=True).props(
                'outlined dense autocomplete=new-password'
                + (' hint="Leave empty to keep the saved one; type a new one to replace it."' if stored else '')
            )
            element.classes('flex-1').mark(mark)
            state = ui.label('Saved' if stored else 'Not set').classes(_SAVED if stored else _UNSET)
            state.mark(f'{mark}-state')
            secret = _Secret(element, state, stored)
            if stored:
                ui.button('Clear', on_click=secret.ask_clear).props('flat dense no-caps').mark(f'{mark}-clear')
        self.fields.inputs[key] = element
        self.fields.secrets[key] = secret

    def _show_provider(self) -> None:
        chosen = self.provider.value
        self.provider_hint.text = PROVIDER_HINTS[chosen]
        if hasattr(self, 'make_card'):
            self.openai_card.set_visibility(chosen == 'openai')
            self.make_card.set_visibility(chosen == 'make')

    # --- saving ------------------------------------------------------------------------------------------------

    def update(self) -> dict[str, Any]:
        """What the form says: the general choices, and the chosen provider's card (the other keeps its values)."""
        change: dict[str, Any] = {
            'provider': self.provider.value,
            'languages': list(self.fields.inputs['languages'].value or []),
            'move_to_described': bool(self.move.value),
        }
        group = self.provider.value
        if group in ('openai', 'make'):
            values: dict[str, Any] = {}
            for key, element in self.fields.inputs.items():
                prefix, _, name = key.partition('.')
                if prefix != group:
                    continue
                if key in self.fields.secrets:
                    values[name] = self.fields.secrets[key].value()
                elif isinstance(element, ui.number):
                    values[name] = None if element.value is None else int(element.value)
                else:
                    values[name] = element.value
            change[group] = values
        return change

    async def save(self) -> None:
        field_errors.clear(self.fields.inputs)
        self.save_button.props('loading')
        try:
            saved = await call(ai_settings.save, self.actor, self.update())
        except ServiceError as error:
            field_errors.show(error, self.fields.inputs)
            return
        finally:
            self.save_button.props(remove='loading')
        ui.notify('Settings saved.', type='positive')
        self.body.clear()
        with self.body:
            SettingsForm(self.actor, saved, self.body)


def _preview(actor: Actor, template: str, sku: str, language: str) -> str:
    """The prompt for the watch with this SKU (a sample watch when none is given)."""
    watch_id = watches.find_by_sku(actor, sku) if sku.strip() else None
    if sku.strip() and watch_id is None:
        raise ValidationFailed('No watch has this SKU.', {'sku': 'No watch you may see has this SKU.'})
    return ai_settings.preview_prompt(actor, template, watch_id, language)
