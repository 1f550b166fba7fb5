"""Jobs: the long work people started (exports, label runs, imports, reindexing), live, with its results.

`/jobs` lists my jobs (everyone's for those allowed), filtered and paged on the server; the rows follow the
jobs as they run. `/jobs/{id}` shows one job in the progress panel. `/jobs/{id}/download` hands out a job's
file, to whoever may see the job.
"""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from nicegui import app, ui
from starlette.responses import Response

from components import format, live, theme
from components.job_panel import JobPanel, download_url, fraction, look, processed
from components.live_screen import Coalescer, Subscriptions
from components.notices import empty_state
from components.offload import call
from components.paged_table import PagedTable
from pages import auth
from services import accounts, jobs
from services.errors import NotFound, PermissionDenied, ServiceError
from services.jobs import JobView
from services.permissions import Actor, Permission

STATUSES = {'queued': 'Waiting', 'running': 'Running', 'succeeded': 'Finished', 'failed': 'Failed',
            'cancelled': 'Cancelled', 'interrupted': 'Interrupted'}  # fmt: skip
COLUMNS = [
    {'name': 'title', 'label': 'Job', 'field': 'title', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'progress', 'label': 'Progress', 'field': 'processed', 'align': 'left'},
    {'name': 'created_at', 'label': 'Started', 'field': 'created_at_text', 'align': 'left',
     'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right', 'classes': 'whitespace-nowrap'},
]  # fmt: skip
WHO = {'name': 'who', 'label': 'Started by', 'field': 'created_by_name', 'align': 'left'}
_TITLE_SLOT = """<q-td :props="props">
  <div class="font-medium">{{ props.row.title }}</div>
  <div class="text-xs text-stone-500">{{ props.row.kind_label }}</div>
</q-td>"""
_STATUS_SLOT = """<q-td :props="props">
  <span :class="'inline-flex px-2 py-0.5 rounded-full text-xs font-medium items-center gap-1 ' + props.row.chip">
    <q-icon :name="props.row.icon" size="14px"/>{{ props.row.status_label }}
  </span>
</q-td>"""
_PROGRESS_SLOT = """<q-td :props="props">
  <div class="flex items-center gap-2 no-wrap">
    <q-linear-progress :value="props.row.fraction" :color="props.row.bar" rounded size="6px" class="w-24"
                       :indeterminate="props.row.status === 'queued'"/>
    <span class="text-xs whitespace-nowrap">{{ props.row.count_text }}</span>
  </div>
</q-td>"""
_ACTIONS_SLOT = """<q-td :props="props">
  <q-btn v-for="act in props.row.actions" :key="act.name" flat dense round :icon="act.icon" :color="act.color"
         :aria-label="act.label" @click.stop="() => $parent.$emit('act', {id: props.row.id, action: act.name})">
    <q-tooltip>{{ act.label }}</q-tooltip>
  </q-btn>
  <q-btn v-if="props.row.download" flat dense round icon="download" aria-label="Download" :href="props.row.download"
         @click.stop><q-tooltip>Download</q-tooltip></q-btn>
  <q-icon name="chevron_right" size="20px" class="text-stone-400"/>
</q-td>"""
ACTIONS = {'cancel': jobs.cancel, 'retry': jobs.retry_failed, 'resume': jobs.resume}
_BUTTONS = {  # what a row offers, in this order, when the job allows it
    'cancel': ('can_cancel', {'icon': 'stop', 'color': 'negative', 'label': 'Cancel'}),
    'retry': ('can_retry', {'icon': 'replay', 'color': 'primary', 'label': 'Retry failed items'}),
    'resume': ('can_resume', {'icon': 'play_arrow', 'color': 'primary', 'label': 'Resume'}),
}


def register() -> None:
    app.get('/jobs/{job_id}/download', include_in_schema=False)(download)


async def download(job_id: int) -> Response:
    """401 without a live account, 403 for someone else's job (without jobs.view_all), 404 for an unknown job
    or one without a file (not yet made, or expired)."""
    user_id = auth.current_user_id()
    actor = await run_in_threadpool(accounts.load_actor, user_id) if user_id else None
    if actor is None:
        return Response(status_code=401)
    try:
        filename, path, media_type = await run_in_threadpool(jobs.download, actor, job_id)
    except PermissionDenied:
        return Response(status_code=403)
    except NotFound:
        return Response(status_code=404)
    return FileResponse(path, media_type=media_type, filename=filename, headers={'Cache-Control': 'private'})


class JobList:
    """The filters in force and the page shown; rows follow their jobs' events in place."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.everyone = False

    def build(self) -> None:
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Jobs').classes(theme.TITLE)
                ui.label('Exports, label runs, imports and other long work, as it happens.').classes(theme.SUBTITLE)
            if self.actor.can(Permission.SETTINGS_MANAGE):
                ui.button('Rebuild search index', icon='manage_search', on_click=self._reindex).props('flat').mark(
                    'reindex'
                )
        with ui.row().classes('w-full items-center gap-3'):
            self.status = ui.select({'': 'Any status', **STATUSES}, value='', label='Status')
            self.status.props('outlined dense options-dense').classes('w-44').mark('job-status-filter')
            self.kind = ui.select({'': 'Any kind', **dict(jobs.kinds())}, value='', label='Kind')
            self.kind.props('outlined dense options-dense').classes('w-44').mark('job-kind-filter')
            if self.actor.can(Permission.JOBS_VIEW_ALL):
                ui.switch("Everyone's jobs", on_change=self._switch_everyone).mark('jobs-everyone')
        self.paged = PagedTable(COLUMNS, self._load, sort_by='created_at', no_data='No jobs here yet.')
        self.table = self.paged.table.mark('jobs-table')
        self.table.props('dense')
        for slot, template in (('title', _TITLE_SLOT), ('status', _STATUS_SLOT), ('progress', _PROGRESS_SLOT),
                               ('actions', _ACTIONS_SLOT)):  # fmt: skip
            self.table.add_slot(f'body-cell-{slot}', template)
        self.table.classes('cursor-pointer')
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/jobs/{e.args[1]["id"]}'))
        self.table.on('act', lambda e: self._act(e.args['id'], e.args['action']))
        self.status.on_value_change(self.paged.first_page)
        self.kind.on_value_change(self.paged.first_page)
        subscriptions = Subscriptions()  # listening ends when the screen is left, not only when the tab closes
        self.reloader = Coalescer(self.paged.load, subscriptions, pause=0)
        subscriptions.follow(live.job_changed, self._changed)
        subscriptions.follow(live.reconnected, self.reloader.poke)

    async def _load(self, offset: int, limit: int, _sort: str, _descending: bool) -> tuple[int, list[dict]]:
        page = await call(
            jobs.list_jobs, self.actor, everyone=self.everyone, status=self.status.value or None,
            kind=self.kind.value or None, offset=offset, limit=limit,
        )  # fmt: skip
        return page.total, [row(job) for job in page.items]

    async def _switch_everyone(self, event: Any) -> None:
        self.everyone = bool(event.value)
        self.table.columns = [*COLUMNS[:3], WHO, *COLUMNS[3:]] if self.everyone else COLUMNS
        await self.paged.first_page()

    async def _changed(self, message: dict) -> None:
        """A shown job that still fits the filters changes in place. The page is read again when a shown job
        leaves the filters, or when a new job of the list's (mine, or anyone's) fits them while page 1 is shown."""
        job = JobView.model_validate(message)
        shown = any(line['id'] == job.id for line in self.table.rows)
        if shown and self._matches(job):
            self.table.rows = [row(job) if line['id'] == job.id else line for line in self.table.rows]
        elif shown or (self._on_first_page() and self._matches(job) and self._listed(job)):
            self.reloader.poke()

    def _on_first_page(self) -> bool:
        return (self.table.pagination.get('page') or 1) == 1

    def _listed(self, job: JobView) -> bool:
        return self.everyone or job.created_by_id == self.actor.id

    def _matches(self, job: JobView) -> bool:
        return (self.status.value or job.status) == job.status and (self.kind.value or job.kind) == job.kind

    async def _act(self, job_id: int, action: str) -> None:
        try:
            job = await call(ACTIONS[action], self.actor, job_id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        ui.notify(f'{job.title}: {look(job).label.lower()}.')
        self.reloader.poke()

    async def _reindex(self) -> None:
        try:
            job = await call(jobs.start, self.actor, 'reindex', {})
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        ui.navigate.to(f'/jobs/{job.id}')


def row(job: JobView) -> dict[str, Any]:
    """A job as the table's slots read it: figures already worded, colours already chosen."""
    shown = look(job)
    count = f'{format.count(processed(job))} / {format.count(job.total)}' if job.total else '—'
    return {
        **job.model_dump(mode='json', include={'id', 'kind', 'kind_label', 'title', 'status', 'created_by_name'}),
        'actions': [{'name': name, **button} for name, (allowed, button) in _BUTTONS.items() if getattr(job, allowed)],
        'status_label': shown.label, 'icon': shown.icon, 'chip': shown.chip, 'bar': shown.bar,
        'fraction': fraction(job), 'processed': processed(job), 'count_text': count,
        'created_at_text': format.when(job.created_at),
        'download': download_url(job.id) if job.download_name and job.status == 'succeeded' else None,
    }  # fmt: skip


async def list_view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('jobs'):
        screen = JobList(actor)
        screen.build()
        await screen.paged.first_page()


async def detail_view(actor: Actor, job_id: str) -> None:
    """One job in the panel; an unknown id, or a job that is not the actor's to see, shows a not-found state."""
    with ui.column().classes(theme.NARROW_PAGE + ' gap-4').mark('job'):
        ui.button('All jobs', icon='arrow_back', on_click=lambda: ui.navigate.to('/jobs')).props('flat dense').classes(
            'self-start'
        ).mark('to-jobs')
        try:
            job = await call(jobs.get, actor, int(job_id))
        except (ValueError, NotFound, PermissionDenied):
            empty_state('search_off', 'No such job.', 'It may have been cleared away after a while; see all jobs.')
            return
        with ui.card().classes(theme.CARD + ' p-5'):
            JobPanel(actor, job)
