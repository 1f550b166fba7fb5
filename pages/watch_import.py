"""Import watches from a spreadsheet: upload, read the dry run's report, then import all rows at once."""

from __future__ import annotations

from nicegui import events, ui

from components import format, theme
from components.offload import call
from services import spreadsheets
from services.errors import ServiceError
from services.permissions import Actor
from services.spreadsheets import ImportReport

ERROR_COLUMNS = [
    {'name': 'row', 'label': 'Row', 'field': 'row', 'align': 'right', 'sortable': True},
    {'name': 'field', 'label': 'Column', 'field': 'field', 'align': 'left', 'sortable': True},
    {'name': 'message', 'label': 'Problem', 'field': 'message', 'align': 'left'},
]


async def view(actor: Actor) -> None:
    """The file is checked as soon as it arrives; the import button opens only for a file without a single error."""
    upload: dict[str, bytes | str] = {}

    async def received(event: events.UploadEventArguments) -> None:
        upload.update(name=event.file.name, data=await event.file.read())
        await run(dry_run=True)

    async def run(*, dry_run: bool) -> None:
        go.props('loading')
        try:
            report = await call(
                spreadsheets.import_watches, actor, str(upload['name']), bytes(upload['data']), dry_run=dry_run
            )
        except ServiceError as refusal:
            show_refusal(str(refusal))
            return
        finally:
            go.props(remove='loading')
        show(report)

    def show_refusal(sentence: str) -> None:
        result.clear()
        with result, ui.row().classes(theme.PROBLEM).mark('import-refused'):
            ui.icon('error_outline').classes('text-lg')
            ui.label(sentence)
        go.set_visibility(False)

    def show(report: ImportReport) -> None:
        result.clear()
        with result:
            _summary(report)
        go.text = f'Import {format.count(report.rows)} watches'
        go.set_visibility(report.dry_run)
        go.set_enabled(report.clean and report.rows > 0)

    with ui.column().classes(theme.NARROW_PAGE).mark('watch-import'):
        ui.label('Import watches').classes(theme.TITLE)
        ui.label(
            'A CSV (UTF-8, comma or semicolon) or XLSX file with the column names in the first row: the headings of '
            'an export work, as do the field names. Nothing is written until the whole file is clean.'
        ).classes(theme.SUBTITLE)
        ui.upload(label='Spreadsheet', auto_upload=True, on_upload=received).props(
            'accept=".csv,.xlsx" flat bordered'
        ).classes('w-full').mark('import-upload')
        result = ui.column().classes('w-full gap-3')
        go = (
            ui.button('Import', icon='upload', on_click=lambda: run(dry_run=False))
            .props('unelevated')
            .mark('import-go')
        )
        go.set_visibility(False)


def _summary(report: ImportReport) -> None:
    with ui.card().classes(theme.CARD).mark('import-report'):
        if not report.dry_run:
            ui.label(f'{format.count(report.imported)} watches imported.').classes(theme.CARD_TITLE).mark('import-done')
            ui.link('Open the inventory', '/watches').mark('to-inventory')
            return
        verdict = 'ready to import' if report.clean else f'{format.count(report.rows_with_errors)} rows need correcting'
        ui.label(f'{report.filename}: {format.count(report.rows)} rows, {verdict}.').classes(theme.CARD_TITLE)
        if report.ignored_columns:
            ui.label(f'Columns not read: {", ".join(report.ignored_columns)}.').classes(theme.SUBTITLE)
        if report.errors:
            rows = [error.model_dump() for error in report.errors]
            ui.table(columns=ERROR_COLUMNS, rows=rows, pagination=25).classes('w-full').mark('import-errors')
