"""The job progress panel: one live view of a background job, used by every long action in the product.

The first paint comes from `jobs.get` (the bus snapshot while the job runs, its row afterwards). From then on
the panel only listens: `live.job_changed` carries each state the job publishes, and `live.reconnected` says
messages may have been lost, so the panel reads the job once more. No timer polls anything, so a hundred open
panels cost nothing while their jobs are quiet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nicegui import background_tasks, ui

from components import format, live, theme
from components.live_screen import Subscriptions
from components.offload import call
from services import jobs
from services.errors import ServiceError
from services.jobs import JobView
from services.permissions import Actor

SHOWN_ERRORS = 100  # a run with thousands of failures lists the first ones and counts the rest


@dataclass(frozen=True)
class Look:
    label: str
    icon: str
    chip: str  # Tailwind classes of the status chip
    bar: str  # Quasar colour of the progress bar


_CHIP = 'px-2 py-0.5 rounded-full text-xs font-medium items-center gap-1 no-wrap shrink-0'
LOOKS = {
    'queued': Look('Waiting to start', 'schedule', 'bg-stone-200 text-stone-800 dark:bg-stone-700', 'grey-6'),
    'running': Look('Running', 'autorenew', 'bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-100', 'primary'),
    'succeeded': Look('Finished', 'check_circle', 'bg-green-100 text-green-900 dark:bg-green-950', 'positive'),
    'partial': Look(
        'Finished with errors', 'error_outline', 'bg-amber-100 text-amber-900 dark:bg-amber-950', 'warning'
    ),
    'failed': Look('Failed', 'error', 'bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-100', 'negative'),
    'cancelled': Look('Cancelled', 'cancel', 'bg-stone-200 text-stone-800 dark:bg-stone-700', 'grey-7'),
    'interrupted': Look('Interrupted', 'pause_circle', 'bg-amber-100 text-amber-900 dark:bg-amber-950', 'warning'),
}


def look(job: JobView) -> Look:
    """How a state reads: a finished job whose items partly failed is not shown as a plain success."""
    return LOOKS['partial' if job.status == 'succeeded' and job.failed else job.status]


def processed(job: JobView) -> int:
    """Items dealt with so far, failed ones included: what the bar measures."""
    return job.done + job.failed


def fraction(job: JobView) -> float:
    return min(1.0, processed(job) / job.total) if job.total else (1.0 if job.finished else 0.0)


def eta(seconds: float | None) -> str:
    """Say "about 3 min left"; rounded the way people say it, so the text changes only when the meaning does."""
    if seconds is None:
        return ''
    if seconds < 1:
        return 'less than a second left'
    if seconds < 60:
        return f'about {seconds:.0f} s left'
    if seconds < 3600:
        return f'about {seconds / 60:.0f} min left'
    return f'about {seconds / 3600:.1f} h left'


def rate(per_second: float | None) -> str:
    if not per_second:
        return ''
    if per_second >= 1:
        return f'{per_second:,.0f} per second'
    return f'{per_second * 60:,.0f} per minute'


class JobPanel(ui.column):
    """Bar, figures, current item, errors and the buttons the job's state allows, kept current by events.

    `auto_download`: the person who started this job from a screen asked for a file; it downloads once when the
    job succeeds (the Download button stays for a second copy). `on_finished` hears the final state once.
    """

    def __init__(
        self,
        actor: Actor,
        job: JobView,
        *,
        auto_download: bool = False,
        on_finished: Callable[[JobView], object] | None = None,
    ) -> None:
        super().__init__()
        self.actor = actor
        self.job = job
        self.auto_download = auto_download and not job.finished
        self.on_finished = on_finished
        self.events_seen = 0
        self.errors_shown: list[jobs.ItemError] | None = None
        self.classes('w-full gap-3').mark('job-panel')
        with self:
            self._build()
        self.render(job)
        with self:  # listening ends with the panel (a closed dialog, another screen), not only with the tab
            subscriptions = Subscriptions()
        subscriptions.follow(live.job_changed, self._changed)
        subscriptions.follow(live.reconnected, self.refresh)
        background_tasks.create(self.refresh(), name=f'first read of job {job.id}')  # a state missed meanwhile

    def _build(self) -> None:
        with ui.row().classes('w-full items-start gap-3 no-wrap'):
            with ui.column().classes('gap-0 grow min-w-0'):
                self.title = ui.label().classes(f'{theme.CARD_TITLE} break-words').mark('job-title')
                self.subtitle = ui.label().classes(theme.SUBTITLE).mark('job-subtitle')
            with ui.row().classes(_CHIP).mark('job-status') as self.chip:
                self.chip_icon = ui.icon('schedule').classes('text-sm')
                self.chip_label = ui.label()
        self.bar = ui.linear_progress(value=0, show_value=False, size='12px').props('rounded instant-feedback')
        self.bar.mark('job-bar')
        with ui.row().classes('w-full items-baseline gap-x-4 gap-y-1 text-sm'):
            self.count = ui.label().classes('font-medium').mark('job-count')
            self.percent = ui.label().classes(theme.MUTED).mark('job-percent')
            self.speed = ui.label().classes(theme.MUTED).mark('job-rate')
            ui.space()
            self.eta = ui.label().classes('font-medium').mark('job-eta')
        self.current = ui.label().classes(f'text-sm {theme.MUTED} truncate w-full').mark('job-current')
        self.message = ui.label().classes('text-sm w-full').mark('job-message')
        self.errors = ui.expansion(icon='report').classes(
            'w-full rounded-lg border border-red-200 dark:border-red-900 text-red-900 dark:text-red-200'
        )
        self.errors.props('dense header-class="text-sm font-medium"').mark('job-errors')
        with self.errors:
            self.error_list = ui.column().classes('w-full gap-1 max-h-72 overflow-auto text-sm')
        with ui.row().classes('w-full items-center justify-end gap-2'):
            self.cancel = ui.button('Cancel job', icon='stop', on_click=lambda: self._act(jobs.cancel)).props(
                'flat color=negative'
            )
            self.retry = ui.button('Retry failed', icon='replay', on_click=lambda: self._act(jobs.retry_failed))
            self.retry.props('outline')
            self.resume = ui.button('Resume', icon='play_arrow', on_click=lambda: self._act(jobs.resume))
            self.resume.props('unelevated')
            self.download = ui.button('Download', icon='download', on_click=self._download).props('unelevated')
        self.cancel.mark('job-cancel')
        self.retry.mark('job-retry')
        self.resume.mark('job-resume')
        self.download.mark('job-download')

    # --- showing a state -------------------------------------------------------------------------------------

    def render(self, job: JobView) -> None:
        """Update every part in place (nothing is rebuilt, except the error list when it changed)."""
        was_finished = self.job.finished and self.job.id == job.id
        self.job = job
        self.title.text = job.title
        self.subtitle.text = _subtitle(job)
        shown = look(job)
        self.chip.classes(remove=' '.join(other.chip for other in LOOKS.values()), add=shown.chip)
        self.chip_icon.name, self.chip_label.text = shown.icon, shown.label
        self._show_progress(job)
        self.current.text = f'Now: {job.current}' if job.current else ''
        self.current.set_visibility(job.status == 'running' and bool(job.current))
        self.message.text = job.message or ''
        self.message.set_visibility(bool(job.message))
        self._show_errors(job)
        self.cancel.set_visibility(job.can_cancel)
        self.retry.set_visibility(job.can_retry)
        self.retry.text = f'Retry {format.count(job.failed)} failed' if job.failed else 'Retry failed'
        self.resume.set_visibility(job.can_resume)
        self.download.set_visibility(bool(job.download_name) and job.status == 'succeeded')
        if job.finished and not was_finished:
            self._finished(job)

    def _show_progress(self, job: JobView) -> None:
        shown = look(job)
        waiting = job.status == 'queued' or (job.status == 'running' and not job.total)
        self.bar.props(f'color={shown.bar}' + (' indeterminate' if waiting else ''), remove='indeterminate')
        self.bar.value = fraction(job)
        if job.status == 'queued':
            self.count.text = 'Waiting for a worker…'
        elif job.total:
            self.count.text = f'{format.count(processed(job))} of {format.count(job.total)}'
        else:
            self.count.text = 'Counting the items…'
        self.percent.text = f'{fraction(job):.0%}' if job.total else ''
        running = job.status == 'running'
        self.speed.text = rate(job.rate) if running else _duration(job)
        self.eta.text = eta(job.eta_seconds) if running else ''

    def _show_errors(self, job: JobView) -> None:
        self.errors.set_visibility(bool(job.errors))
        if job.errors == self.errors_shown:
            return
        self.errors_shown = list(job.errors)
        failed = max(job.failed, len(job.errors))
        self.errors.text = f'{format.count(failed)} {"item" if failed == 1 else "items"} failed: show why'
        self.error_list.clear()
        with self.error_list:
            for error in job.errors[:SHOWN_ERRORS]:
                with ui.row().classes('w-full gap-3 no-wrap items-baseline'):
                    ui.label(error.label or error.key).classes('font-mono w-40 shrink-0 truncate')
                    ui.label(error.message).classes('text-stone-700 dark:text-stone-300')
            if len(job.errors) > SHOWN_ERRORS:
                ui.label(f'… and {format.count(len(job.errors) - SHOWN_ERRORS)} more.').classes(theme.MUTED)

    def _finished(self, job: JobView) -> None:
        if self.auto_download and job.status == 'succeeded' and job.download_name:
            self.auto_download = False
            self._download()
        if self.on_finished:
            self.on_finished(job)

    # --- events and actions ----------------------------------------------------------------------------------

    def _changed(self, message: dict) -> None:
        if message.get('id') == self.job.id and not self.is_deleted:
            self.events_seen += 1
            self.render(JobView.model_validate(message))

    async def refresh(self) -> None:
        """Read the job again; a state that arrived by event while reading is newer and wins."""
        seen = self.events_seen
        try:
            job = await call(jobs.get, self.actor, self.job.id)
        except ServiceError:
            return  # removed by the retention clean-up meanwhile: keep showing the last state
        if seen == self.events_seen and not self.is_deleted:
            with self:  # the context a download or a callback's notification needs, outside any handler
                self.render(job)

    async def _act(self, action: Callable[[Actor, int], JobView]) -> None:
        """Cancel, retry or resume; a retry may come back as a new job, which the panel then follows."""
        try:
            job = await call(action, self.actor, self.job.id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        self.events_seen += 1
        self.render(job)

    def _download(self) -> None:
        ui.download.from_url(download_url(self.job.id))


def download_url(job_id: int) -> str:
    return f'/jobs/{job_id}/download'


async def job_dialog(actor: Actor, job: JobView, *, auto_download: bool = True) -> None:
    """The panel in a dialog over the screen that started the job; closing it leaves the job running."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-xl gap-4 p-5').mark('job-dialog'):
        JobPanel(actor, job, auto_download=auto_download)
        ui.separator()
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            ui.label('Closing this leaves the job running; it stays under Jobs.').classes(f'{theme.SUBTITLE} grow')
            ui.button('Jobs', icon='work_history', on_click=lambda: ui.navigate.to('/jobs')).props('flat')
            ui.button('Close', on_click=dialog.close).props('unelevated').mark('job-dialog-close')
    dialog.open()
    await dialog
    if not dialog.is_deleted:
        dialog.delete()


async def start_with_panel(actor: Actor, kind: str, params: dict) -> None:
    """Start a job from a screen and follow it in a dialog; a refusal is said in a toast and nothing starts."""
    try:
        job = await call(jobs.start, actor, kind, params)
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    await job_dialog(actor, job)


def _subtitle(job: JobView) -> str:
    who = f' by {job.created_by_name}' if job.created_by_name else ''
    return f'{job.kind_label} · started{who} {format.when(job.created_at)}'


def _duration(job: JobView) -> str:
    """How long a finished job took (the rate means nothing once it is over)."""
    if not (job.started_at and job.finished_at):
        return ''
    seconds = (job.finished_at - job.started_at).total_seconds()
    return f'took {seconds:.1f} s' if seconds < 60 else f'took {seconds / 60:.0f} min'
