"""Import watches from a spreadsheet: upload, read the dry run's report, then import all rows as a job.

The dry run answers at once (nothing is written); the import itself runs in the background with the progress
panel, so a file of thousands of rows never holds up the screen, and leaving the page does not stop it.
"""

from __future__ import annotations

from nicegui import events, ui

from components import format, theme
from components.job_panel import JobPanel
from components.offload import call
from services import jobs, spreadsheets
from services.errors import ServiceError
from services.permissions import Actor
from services.spreadsheets import ImportReport

ERROR_COLUMNS = [
    {'name': 'row', 'label': 'Row', 'field': 'row', 'align': 'right', 'sortable': True},
    {'name': 'column', 'label': 'Column', 'field': 'column', 'align': 'left', 'sortable': True},
    {'name': 'message', 'label': 'Problem', 'field': 'message', 'align': 'left'},
]


async def view(actor: Actor) -> None:
    """The file is checked as soon as it arrives; the import button opens only for a file without a single error."""
    upload: dict[str, bytes | str] = {}

    async def received(event: events.UploadEventArguments) -> None:
        upload.update(name=event.file.name, data=await event.file.read())
        uploader.reset()  # the report names the file; the picker is ready for the corrected one
        await check()

    async def check() -> None:
        try:
            report = await call(
                spreadsheets.import_watches, actor, str(upload['name']), bytes(upload['data']), dry_run=True
            )
        except ServiceError as refusal:
            show_refusal(str(refusal))
            return
        show(report)

    async def start() -> None:
        go.props('loading')
        try:
            token = await call(jobs.stash_upload, actor, str(upload['name']), bytes(upload['data']))
            job = await call(jobs.start, actor, 'import', {'upload': token, 'filename': str(upload['name'])})
        except ServiceError as refusal:
            show_refusal(str(refusal))
            return
        finally:
            go.props(remove='loading')
        go.set_visibility(False)
        result.clear()
        with result, ui.card().classes(theme.CARD):
            JobPanel(actor, job, on_finished=lambda finished: _imported(finished, result))

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
        go.set_visibility(report.clean and report.rows > 0)

    with ui.column().classes(theme.NARROW_PAGE).mark('watch-import'):
        ui.label('Import watches').classes(theme.TITLE)
        ui.label(
            'A CSV (UTF-8, comma or semicolon) or XLSX file with the column names in the first row: the headings of '
            'an export work, as do the field names. Nothing is written until the whole file is clean.'
        ).classes(theme.SUBTITLE)
        uploader = (
            ui.upload(label='Spreadsheet', auto_upload=True, on_upload=received)
            .props('accept=".csv,.xlsx" flat bordered')
            .classes('w-full')
            .mark('import-upload')
        )
        result = ui.column().classes('w-full gap-3')
        go = ui.button('Import', icon='upload', on_click=start).props('unelevated').mark('import-go')
        go.set_visibility(False)


def _imported(job: jobs.JobView, result: ui.column) -> None:
    """Under the finished panel: how many watches are in, and the way to them."""
    if job.status != 'succeeded':
        return
    with result, ui.row().classes('w-full items-center gap-3').mark('import-done'):
        ui.icon('check_circle').classes('text-xl text-green-700')
        ui.label(f'{format.count(job.done)} watches imported.').classes(theme.CARD_TITLE)
        ui.space()
        ui.link('Open the inventory', '/watches').mark('to-inventory')


def _summary(report: ImportReport) -> None:
    with ui.card().classes(theme.CARD).mark('import-report'):
        verdict = 'ready to import' if report.clean else f'{format.count(report.rows_with_errors)} rows need correcting'
        ui.label(f'{report.filename}: {format.count(report.rows)} rows, {verdict}.').classes(theme.CARD_TITLE)
        if report.ignored_columns:
            ui.label(f'Columns not read: {", ".join(report.ignored_columns)}.').classes(theme.SUBTITLE)
        if report.errors:
            rows = [error.model_dump() for error in report.errors]
            ui.table(columns=ERROR_COLUMNS, rows=rows, pagination=25).classes('w-full').mark('import-errors')
            ui.label('Nothing has been imported. Correct these rows in the file and upload it again.').classes(
                theme.SUBTITLE
            )
