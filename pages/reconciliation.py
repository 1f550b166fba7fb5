"""Reconciliation: import a payout or bank statement through a column mapping, see each import's lines by status,
and decide the open ones (approve a difference as an adjustment, or dismiss the line), or match them again."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui

from components import field_errors, format, theme
from components.dialogs import answer, ask_reason
from components.notices import dead_end
from components.offload import call
from components.paged_table import PagedTable
from components.tiles import stat_tile
from services import reconciliation
from services.errors import NotFound, ServiceError
from services.permissions import Actor
from services.reconciliation import ImportRead, LineRead
from services.statement_files import DATE_FORMATS, MAX_BYTES, BrokenRows

BASE = '/finance/reconciliation'
STATUSES = {'matched': ('Matched', 'task_alt', 'green'), 'mismatched': ('Mismatched', 'difference', 'orange'),
            'unmatched': ('Unmatched', 'help_outline', 'grey'), 'approved': ('Approved', 'verified', 'blue'),
            'dismissed': ('Dismissed', 'block', 'grey')}  # fmt: skip
_WIDE = {'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'}  # left out below 1024 px (a tablet)
_RIGHT = {'align': 'right', 'classes': 'whitespace-nowrap tabular-nums'}
IMPORT_COLUMNS = [
    {'name': 'filename', 'label': 'File', 'field': 'filename', 'align': 'left', 'sortable': True},
    {'name': 'mapping', 'label': 'Mapping', 'field': 'mapping_name', 'align': 'left', **_WIDE},
    {'name': 'line_count', 'label': 'Lines', 'field': 'line_count', 'sortable': True, **_RIGHT},
    *({'name': key, 'label': label, 'field': key, **_RIGHT} for key, (label, _, _) in STATUSES.items()),
    {'name': 'imported_by', 'label': 'Imported by', 'field': 'imported_by', 'align': 'left', **_WIDE},
    {'name': 'created_at', 'label': 'When', 'field': 'when', 'align': 'left', 'sortable': True, **_WIDE},
]
LINE_COLUMNS = [
    {'name': 'line_no', 'label': 'Line', 'field': 'line_no', 'sortable': True, **_RIGHT},
    {'name': 'value_date', 'label': 'Date', 'field': 'value_date', 'align': 'left', 'sortable': True},
    {'name': 'amount', 'label': 'Amount', 'field': 'amount_text', 'sortable': True, **_RIGHT},
    {'name': 'reference', 'label': 'Reference', 'field': 'reference', 'align': 'left'},
    {'name': 'description', 'label': 'Text', 'field': 'description', 'align': 'left', **_WIDE},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left', 'sortable': True},
    {'name': 'match', 'label': 'Matched to', 'field': 'match_label', 'align': 'left'},
    {'name': 'expected', 'label': 'Expected', 'field': 'expected_text', **_RIGHT},
    {'name': 'difference', 'label': 'Difference', 'field': 'difference_text', 'sortable': True, **_RIGHT},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right', 'classes': 'whitespace-nowrap'},
]
_FILE_SLOT = f"""<q-td :props="props">
  <a :href="'{BASE}/' + props.row.id" class="font-medium text-inherit no-underline hover:underline"
     @click.prevent="() => $parent.$emit('open', props.row)">{{{{ props.value }}}}</a>
</q-td>"""
_STATUS_SLOT = """<q-td :props="props">
  <q-badge :color="props.row.status_colour + '-1'" :text-color="props.row.status_colour + '-9'"
           :label="props.row.status_label"/>
</q-td>"""
# Why a line is as it is sits under what it matched: a column of its own pushed the actions out of sight at 1280 px.
_MATCH_SLOT = f"""<q-td :props="props">
  <a v-if="props.row.watch_id" :href="'/watches/' + props.row.watch_id" class="text-inherit hover:underline"
     @click.prevent="() => $parent.$emit('watch', props.row)">{{{{ props.value }}}}</a>
  <span v-else>{{{{ props.value || '—' }}}}</span>
  <div v-if="props.row.note" class="text-xs whitespace-normal max-w-[18rem] {theme.MUTED}">
    {{{{ props.row.note }}}}
  </div>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props">
  <q-btn v-if="props.row.status === 'mismatched' && props.row.difference !== null" flat dense round
         icon="check" aria-label="Approve difference…" @click="() => $parent.$emit('approve', props.row)">
    <q-tooltip>Approve difference…</q-tooltip>
  </q-btn>
  <q-btn v-if="props.row.status === 'mismatched' || props.row.status === 'unmatched'" flat dense round
         icon="block" aria-label="Dismiss…" @click="() => $parent.$emit('dismiss', props.row)">
    <q-tooltip>Dismiss…</q-tooltip>
  </q-btn>
</q-td>"""


# --- the list of imports, and a new one ---------------------------------------------------------------------------


async def list_view(actor: Actor) -> None:
    mappings = await call(reconciliation.list_mappings, actor)
    with ui.column().classes(theme.PAGE + ' gap-4').mark('reconciliation'):
        with ui.column().classes('gap-0'):
            ui.label('Reconciliation').classes(theme.TITLE)
            ui.label(
                'Payout and bank statements matched against sales and bookings. Nothing is booked until you approve '
                'a difference.'
            ).classes(theme.SUBTITLE)
        _ImportCard(actor, mappings)
        await _imports_table(actor).first_page()


def _imports_table(actor: Actor) -> PagedTable:
    async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
        page = await call(reconciliation.list_imports, actor, offset, limit, sort=sort, descending=descending)
        return page.total, [{**row.model_dump(mode='json'), **row.counts, 'when': format.when(row.created_at)}
                            for row in page.items]  # fmt: skip

    with ui.card().classes(theme.CARD).mark('statement-imports'):
        ui.label('Imports').classes(theme.CARD_TITLE)
        table = PagedTable(IMPORT_COLUMNS, loader, sort_by='created_at', no_data='No statement imported yet.')
    table.table.props('dense').mark('import-table').add_slot('body-cell-filename', _FILE_SLOT)
    table.table.on('open', lambda e: ui.navigate.to(f'{BASE}/{e.args["id"]}'))
    return table


class _ImportCard:
    """Mapping, file, and the wait while a large statement is read and matched (off the event loop)."""

    def __init__(self, actor: Actor, mappings: list[reconciliation.MappingRead]) -> None:
        self.actor = actor
        self.mappings = {mapping.id: mapping for mapping in mappings}
        with ui.card().classes(theme.CARD).mark('statement-import'):
            ui.label('Import a statement').classes(theme.CARD_TITLE)
            with ui.row().classes('w-full items-center gap-3'):
                self.mapping = ui.select({}, label='Mapping', on_change=self._describe)
                self.mapping.props('outlined dense').classes('w-full sm:w-72').mark('statement-mapping')
                ui.button('New mapping…', icon='add', on_click=self._new_mapping).props('flat').mark('new-mapping')
            self.described = ui.label().classes(theme.SUBTITLE).mark('mapping-columns')
            self.upload = ui.upload(label='CSV or XLSX statement', auto_upload=True, on_upload=self._received,
                                    max_file_size=MAX_BYTES)  # fmt: skip
            self.upload.props('accept=".csv,.xlsx" flat bordered').classes('w-full').mark('statement-upload')
            self.upload.on_rejected(lambda: ui.notify(f'A statement may be at most {MAX_BYTES // 1024 // 1024} MB; '
                                                      'split it, by month for instance.', type='negative'))  # fmt: skip
            with ui.row().classes('items-center gap-3').mark('import-busy') as self.busy:
                ui.spinner(size='1.5rem')
                self.busy_text = ui.label().classes('text-sm')
            self.busy.set_visibility(False)
            self.result = ui.column().classes('w-full gap-2')
        self._offer(next(iter(self.mappings)))

    def _offer(self, chosen: int) -> None:
        self.mapping.set_options({id_: mapping.name for id_, mapping in self.mappings.items()}, value=chosen)
        self._describe()

    def _describe(self) -> None:
        mapping = self.mappings.get(self.mapping.value)
        if mapping is None:
            return
        columns = ', '.join(f'{name} ({role})' for role, name in mapping.columns.items())
        currency = f'; default currency {mapping.default_currency}' if mapping.default_currency else ''
        dates = DATE_FORMATS.get(mapping.date_format, mapping.date_format)
        self.described.text = (
            f'Columns {columns}; dates as {dates}; "{mapping.decimal_separator}" before the decimals{currency}.'
        )

    async def _new_mapping(self) -> None:
        saved = await _mapping_dialog(self.actor)
        if saved is not None:
            self.mappings[saved.id] = saved
            self._offer(saved.id)

    async def _received(self, event: events.UploadEventArguments) -> None:
        name, data = event.file.name, await event.file.read()
        self.upload.reset()
        self.result.clear()
        self.busy_text.text = f'Reading and matching {name}…'
        self.busy.set_visibility(True)
        try:
            imported = await call(reconciliation.import_statement, self.actor, name, data, self.mapping.value)
        except ServiceError as refusal:
            self._refused(refusal)
            return
        finally:
            self.busy.set_visibility(False)
        ui.notify(f'{name}: {_summary(imported)}.', type='positive')
        ui.navigate.to(f'{BASE}/{imported.id}')

    def _refused(self, refusal: ServiceError) -> None:
        with self.result, ui.column().classes(theme.PROBLEM + ' flex-col').mark('import-refused'):
            if isinstance(refusal, BrokenRows):
                listed = f'; the first {len(refusal.rows)} are listed' if refusal.total > len(refusal.rows) else ''
                noun = 'row cannot' if refusal.total == 1 else 'rows cannot'
                ui.label(f'Nothing was imported: {refusal.total:,} {noun} be read{listed}. Correct the file and '
                         'upload it again.')  # fmt: skip
                for number, why in refusal.rows:
                    ui.label(f'Line {number}: {why}').classes('text-sm').mark('broken-row')
            else:
                ui.label(str(refusal))


def _summary(imported: ImportRead) -> str:
    parts = [f'{count:,} {STATUSES[status][0].lower()}' for status, count in imported.counts.items() if count]
    return f'{imported.line_count:,} lines, ' + ', '.join(parts)


async def _mapping_dialog(actor: Actor) -> reconciliation.MappingRead | None:
    """Column names as the file heads them, how it writes dates and amounts; refusals show under their fields."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-xl gap-3').mark('mapping-dialog'):
        ui.label('New mapping').classes(theme.CARD_TITLE)
        ui.label('Type the column names exactly as the first row of the file has them.').classes(theme.SUBTITLE)
        with ui.grid(columns='repeat(auto-fit, minmax(14rem, 1fr))').classes('w-full gap-3'):
            fields = _mapping_fields()
        for key, field in fields.items():
            field.props('outlined dense').classes('w-full').mark(f'mapping-{key}')

        async def save() -> None:
            if not field_errors.require(fields, 'name', 'date_column', 'amount_column', 'reference_column'):
                return
            data = {key: field.value for key, field in fields.items()}
            try:
                saved = await call(reconciliation.save_mapping, actor, data)
            except ServiceError as error:
                field_errors.show(error, fields, conflict='name')
                return
            ui.notify(f'Mapping "{saved.name}" saved.', type='positive')
            dialog.submit(saved)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').mark('mapping-cancel')
            ui.button('Save mapping', icon='save', on_click=save).props('unelevated').mark('mapping-save')
    return await answer(dialog)


def _mapping_fields() -> dict[str, Any]:
    """The form's fields, keyed by the names the service's refusals use."""
    return {
        'name': ui.input('Name *', placeholder='e.g. Nordbank business account'),
        'date_column': ui.input('Date column *'),
        'amount_column': ui.input('Amount column *'),
        'reference_column': ui.input('Reference column *'),
        'currency_column': ui.input('Currency column'),
        'text_column': ui.input('Text column'),
        'date_format': ui.select(
            {key: f'{shown}  ({key})' for key, shown in DATE_FORMATS.items()}, label='Date format', value='%Y-%m-%d'
        ),
        'sample_date': ui.input('A date from the file', placeholder='to check the format'),
        'decimal_separator': ui.select({'.': '1,234.50 (point)', ',': '1.234,50 (comma)'}, label='Decimals', value='.'),
        'default_currency': ui.input('Default currency', placeholder='when there is no currency column'),
    }


# --- one import ----------------------------------------------------------------------------------------------------


async def detail_view(actor: Actor, import_id: str) -> None:
    try:
        imported = await call(reconciliation.get_import, actor, int(import_id))
    except (NotFound, ValueError):
        dead_end('receipt_long', 'No such statement import.', 'It may have been mistyped.',
                 back=('Back to reconciliation', BASE), mark='no-import')  # fmt: skip
        return
    await _ImportScreen(actor, imported).table.first_page()


class _ImportScreen:
    def __init__(self, actor: Actor, imported: ImportRead) -> None:
        self.actor = actor
        self.imported = imported
        with ui.column().classes(theme.PAGE + ' gap-4').mark('statement-detail'):
            with ui.row().classes('w-full items-center gap-3'):
                ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to(BASE)).props(
                    'flat round aria-label="Back to reconciliation"'
                )
                with ui.column().classes('gap-0 flex-1 min-w-0'):
                    ui.label(imported.filename).classes(theme.TITLE + ' truncate').mark('import-title')
                    ui.label(_provenance(imported)).classes(theme.SUBTITLE)
                self.again = ui.button('Match again', icon='sync', on_click=self._rematch).props('outline')
                self.again.mark('match-again')
            self.tiles = ui.element('div').classes(
                'w-full grid grid-cols-2 sm:grid-cols-3 xl:grid-cols-5 gap-3 *:min-w-0'
            )
            self._tiles(imported)
            status = {'': 'All', **{key: label for key, (label, _, _) in STATUSES.items()}}
            self.status = ui.toggle(status, value='').props('dense no-caps unelevated').mark('line-status')
            self.table = PagedTable(LINE_COLUMNS, self._load, sort_by='line_no', descending=False,
                                    no_data='No lines in this status.')  # fmt: skip
        self.table.table.props('dense').mark('line-table')
        for slot, template in (('status', _STATUS_SLOT), ('match', _MATCH_SLOT), ('actions', _ACTIONS_SLOT)):
            self.table.table.add_slot(f'body-cell-{slot}', template)
        self.table.table.on('approve', lambda e: self._approve(e.args))
        self.table.table.on('dismiss', lambda e: self._dismiss(e.args))
        self.table.table.on('watch', lambda e: ui.navigate.to(f'/watches/{e.args["watch_id"]}'))
        self.status.on_value_change(self.table.first_page)

    def _tiles(self, imported: ImportRead) -> None:
        self.tiles.clear()
        with self.tiles:
            for key, (label, icon, _) in STATUSES.items():
                stat_tile(label, format.count(imported.counts[key]), icon=icon, mark=f'count-{key}')

    async def _load(self, offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
        page = await call(reconciliation.list_lines, self.actor, self.imported.id, self.status.value or None, offset,
                          limit, sort=sort, descending=descending)  # fmt: skip
        return page.total, [_line_row(line) for line in page.items]

    async def _refresh(self) -> None:
        self.imported = await call(reconciliation.get_import, self.actor, self.imported.id)
        self._tiles(self.imported)
        await self.table.load()

    async def _rematch(self) -> None:
        self.again.props('loading')
        try:
            before = self.imported.counts
            self.imported = await call(reconciliation.rematch, self.actor, self.imported.id)
        except ServiceError as refusal:
            ui.notify(str(refusal), type='negative')
            return
        finally:
            self.again.props(remove='loading')
        found = self.imported.counts['matched'] - before['matched']
        ui.notify(f'Matched again: {found:,} more matched.' if found else 'Matched again: nothing new found.')
        self._tiles(self.imported)
        await self.table.load()

    async def _approve(self, row: dict[str, Any]) -> None:
        if await _approve_dialog(self.actor, row):
            await self._refresh()

    async def _dismiss(self, row: dict[str, Any]) -> None:
        if await _dismiss_dialog(self.actor, row):
            await self._refresh()


def _provenance(imported: ImportRead) -> str:
    mapping = imported.mapping_name or 'a deleted mapping'
    return f'{imported.line_count:,} lines read with "{mapping}" by {imported.imported_by or "—"}, ' + format.when(
        imported.created_at
    )


def _line_row(line: LineRead) -> dict[str, Any]:
    label, _, colour = STATUSES[line.status]
    expected_currency = line.expected_currency or line.currency
    return {
        **line.model_dump(mode='json'),
        'status_label': label,
        'status_colour': colour,
        'amount_text': format.money(line.amount, line.currency),
        'expected_text': format.money(line.expected_amount, expected_currency),
        'difference_text': format.money(line.difference, line.currency),
    }


async def _approve_dialog(actor: Actor, row: dict[str, Any]) -> bool:
    """What was expected, what came, the difference that will be booked, and the memo that explains it."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('approve-dialog'):
        ui.label(f'Approve the difference of line {row["line_no"]}').classes(theme.CARD_TITLE)
        with ui.grid(columns='auto 1fr').classes('w-full gap-x-6 gap-y-1 text-sm'):
            for key, label in (('match_label', 'Matched to'), ('expected_text', 'Expected'),
                               ('amount_text', 'On the statement'), ('difference_text', 'Difference')):  # fmt: skip
                ui.label(label).classes(theme.MUTED)
                ui.label(row[key] or '—').classes('tabular-nums').mark(f'approve-{key.removesuffix("_text")}')
        ui.label('The difference is booked as an adjustment in the ledger.').classes(theme.SUBTITLE)
        fields = {
            'memo': ui.textarea('Memo *', placeholder='Why the amounts differ').props('autogrow maxlength=500'),
            'fx_rate': ui.input(f'{row["currency"]} per 1 of the base currency on {row["value_date"]}'),
        }
        for key, field in fields.items():
            field.props('outlined dense').classes('w-full').mark(f'approve-{key.replace("_", "-")}')
        fields['fx_rate'].set_visibility(False)  # asked for only when no rate for the day is known

        async def approve() -> None:
            if not field_errors.require(fields, 'memo'):
                return
            rate = (fields['fx_rate'].value or '').strip().replace(',', '.') or None
            try:
                line = await call(reconciliation.approve_difference, actor, row['id'], fields['memo'].value,
                                  fx_rate=rate)  # fmt: skip
            except ServiceError as error:
                field_errors.show(error, fields)
                return
            ui.notify(f'Adjustment of {format.money(line.difference, line.currency)} booked.', type='positive')
            dialog.submit(True)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat').mark('approve-cancel')
            ui.button('Book adjustment', icon='check', on_click=approve).props('unelevated').mark('approve-save')
    return bool(await answer(dialog))


async def _dismiss_dialog(actor: Actor, row: dict[str, Any]) -> bool:
    async def dismiss(reason: str) -> bool:
        await call(reconciliation.dismiss, actor, row['id'], reason)
        ui.notify(f'Line {row["line_no"]} dismissed.', type='positive')
        return True

    subtitle = f'{row["amount_text"]} · {row["reference"] or "no reference"} · {row["description"] or ""}'
    return bool(await ask_reason(f'Dismiss line {row["line_no"]}', dismiss, mark='dismiss', action='Dismiss line',
                                 icon='block', subtitle=subtitle))  # fmt: skip
