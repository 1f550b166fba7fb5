"""My account, API tokens: the personal access tokens a person's scripts use on /api, made, shown once, revoked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from components import clipboard, field_errors, format, theme
from components.dialogs import confirm
from components.offload import call
from db.enums import TokenScope
from services import tokens
from services.errors import ServiceError
from services.permissions import Actor

SCOPES = {TokenScope.READ.value: 'Read only', TokenScope.READ_WRITE.value: 'Read and write'}
EXPIRIES: dict[int, str] = {**{days: f'{days} days' for days in tokens.EXPIRY_CHOICES}, 0: 'Never'}
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left'},
    {'name': 'prefix', 'label': 'Token', 'field': 'prefix_shown', 'align': 'left', 'classes': 'font-mono'},
    {'name': 'scope', 'label': 'Scope', 'field': 'scope_label', 'align': 'left'},
    {'name': 'expires', 'label': 'Expires', 'field': 'expires', 'align': 'left'},
    {'name': 'used', 'label': 'Last used', 'field': 'used', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'},
]
_AMBER = 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-100'
_WARNING = f'w-full items-start gap-2 no-wrap rounded px-3 py-2 {_AMBER}'
_STATUS_SLOT = """<q-td :props="props">
  <q-chip dense square text-color="white" :label="props.value"
          :color="props.value === 'active' ? 'green-8' : 'grey-6'"/>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props">
  <q-btn v-if="props.row.status === 'active'" flat dense no-caps color="negative" icon="block" label="Revoke"
         @click="() => $parent.$emit('revoke', props.row)"/>
</q-td>"""


async def tokens_card(actor: Actor) -> None:
    """The card on My account: my tokens, a button to make one, and revoking."""
    with ui.card().classes(theme.CARD).mark('api-tokens'):
        with ui.row().classes('w-full items-start justify-between no-wrap gap-4'):
            with ui.column().classes('gap-0'):
                ui.label('API tokens').classes(theme.CARD_TITLE)
                ui.label(
                    'Scripts and integrations use a token to reach the API at /api/docs; it acts with your permissions.'
                ).classes(theme.SUBTITLE)
            new = ui.button('New token', icon='add').props('unelevated no-caps no-wrap').classes('shrink-0')
            new.mark('new-token')
        table = ui.table(columns=COLUMNS, rows=[], row_key='id').props('flat bordered dense').classes('w-full')
        table.mark('token-table').props['no-data-label'] = 'No tokens yet.'
        table.add_slot('body-cell-status', _STATUS_SLOT)
        table.add_slot('body-cell-actions', _ACTIONS_SLOT)

        async def reload() -> None:
            table.rows = [_row(token) for token in await call(tokens.list_mine, actor)]

        new.on_click(lambda: _create_dialog(actor, reload))
        table.on('revoke', lambda event: _revoke(actor, event.args, reload))
        await reload()


def _row(token: tokens.TokenRead) -> dict[str, Any]:
    return {
        'id': token.id,
        'name': token.name,
        'prefix_shown': f'{token.prefix}…',
        'scope_label': SCOPES[token.scope.value],
        'expires': f'{token.expires_at:%Y-%m-%d}' if token.expires_at else 'Never',
        'used': format.when(token.last_used_at) if token.last_used_at else 'Never',
        'status': token.status,
    }


async def _revoke(actor: Actor, row: dict[str, Any], reload: Callable[[], Awaitable[None]]) -> None:
    detail = 'Any script using it is refused from now on. This cannot be undone.'
    if not await confirm(f'Revoke the token "{row["name"]}"?', 'Revoke', detail=detail):
        return
    try:
        await call(tokens.revoke, actor, row['id'])
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    ui.notify(f'The token "{row["name"]}" is revoked.', type='positive')
    await reload()


async def _create_dialog(actor: Actor, reload: Callable[[], Awaitable[None]]) -> None:
    """Name, scope and expiry; the dialog gives way to the one that shows the token."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('token-dialog'):
        ui.label('New API token').classes(theme.CARD_TITLE)
        fields = {
            'name': ui.input('Name', placeholder='What will use it, e.g. "Stock sync"').props('outlined dense'),
            'scope': ui.select(SCOPES, label='Scope', value=TokenScope.READ.value).props('outlined dense'),
            'expires_in_days': ui.select(EXPIRIES, label='Expires after', value=90).props('outlined dense'),
        }
        fields['name'].props('maxlength=80 autofocus')
        for key, field in fields.items():
            field.classes('w-full').mark(f'token-{key}')

        async def create() -> None:
            if not field_errors.require(fields, 'name'):
                return
            days = fields['expires_in_days'].value or None
            try:
                _, plaintext = await call(tokens.create, actor, fields['name'].value, fields['scope'].value, days)
            except ServiceError as error:
                field_errors.show(error, fields)
                return
            dialog.submit(plaintext)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Create token', on_click=create).props('unelevated').mark('token-create')
    plaintext = await _shown(dialog)
    if plaintext:
        await reload()
        await _show_once(plaintext)


async def _show_once(plaintext: str) -> None:
    """The token itself, the only time it is ever shown: only its hash is kept."""
    with ui.dialog().props('persistent') as dialog, ui.card().classes('w-full max-w-lg gap-3').mark('token-shown'):
        ui.label('Your new token').classes(theme.CARD_TITLE)
        with ui.row().classes(_WARNING).mark('token-warning'):
            ui.icon('warning').classes('text-lg shrink-0')
            ui.label('Copy it now: you will not see it again. Store it like a password.').classes('text-sm')
        with ui.row().classes('w-full items-center no-wrap gap-2'):
            ui.input(value=plaintext).props('outlined dense readonly').classes('grow font-mono').mark('token-value')
            copy = ui.button(icon='content_copy', on_click=lambda: clipboard.copy(plaintext, 'Token copied.'))
            copy.props('flat round').tooltip('Copy').mark('token-copy')
        with ui.row().classes('w-full justify-end'):
            ui.button('Done', on_click=dialog.close).props('unelevated').mark('token-done')
    await _shown(dialog)


async def _shown(dialog: ui.dialog) -> Any:
    """Open the dialog and wait for its result; then remove it, so neither it nor the token stays in the page."""
    dialog.open()
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:
            dialog.delete()
