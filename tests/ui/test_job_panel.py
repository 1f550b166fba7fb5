"""The job progress panel: an export followed to the end and downloaded, a running state pushed by the bus,
failed items listed and retried, an interrupted job resumed, a waiting one cancelled, and the jobs that are
not the viewer's to see.

Jobs run for real on the app's task workers; states too quick to catch are set up by `tests.ui.job_states`,
and a running state is published on the bus exactly as the runner publishes it.
"""

from __future__ import annotations

import csv
import io

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from db.enums import JobStatus, Role
from services.job_views import publish
from tests.factories import make_user, make_watch
from tests.ui.job_states import RUN, finished_job, job_keys, leave
from tests.ui.session import PATIENCE, eventually, open_as, press

pytestmark = pytest.mark.usefixtures('task_workers')
MIA = 'mia@example.com'


def _text(user: User, marker: str) -> str:
    (element,) = user.find(marker=marker).elements
    return element.text


def _shown(user: User, marker: str) -> bool:
    """Whether the element is visible (`find` fails for a hidden one rather than answering no)."""
    with user:
        return any(ElementFilter(marker=marker, only_visible=True))


def _says(user: User, message: str) -> bool:
    """The panel's message line reads `message` (it is hidden while a job runs)."""
    return _shown(user, 'job-message') and _text(user, 'job-message') == message


def _bar(user: User) -> ui.linear_progress:
    (bar,) = user.find(marker='job-bar').elements
    return bar


async def test_an_export_runs_to_the_end_in_a_dialog_and_downloads_itself(visitor: User):
    make_user(Role.MANAGER, email=MIA)
    for number in range(30):
        make_watch(brand='Omega', model=f'Seamaster {number}')
    await open_as(visitor, MIA, '/watches', 'inventory-table')
    await eventually(lambda: len(visitor.find(marker='inventory-table').elements.pop().rows) == 25, 'the list')
    visitor.find(marker='export-all-csv').click()
    await visitor.should_see(marker='job-dialog', retries=PATIENCE)
    await eventually(lambda: visitor.download.http_responses, 'the file to download itself', patience=RUN)
    (response,) = visitor.download.http_responses  # it may come before `download.next` would start waiting
    assert len(list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))) == 30
    assert _text(visitor, 'job-title') == 'Export of 30 watches (CSV)'
    await visitor.should_see('Finished')
    assert _bar(visitor).value == 1.0
    assert _text(visitor, 'job-count') == '30 of 30'
    assert _text(visitor, 'job-message') == '30 done.'
    assert not _shown(visitor, 'job-cancel') and not _shown(visitor, 'job-retry')
    visitor.find(marker='job-download').click()
    again = await visitor.download.next(timeout=PATIENCE)
    assert again.content == response.content
    await press(visitor, 'job-dialog-close')
    await visitor.should_not_see(marker='job-dialog', retries=PATIENCE)


async def test_a_running_job_shows_bar_rate_eta_and_current_item_as_the_bus_says(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia)
    leave(job.id, status=JobStatus.QUEUED, done=0, finished_at=None, message=None)
    await open_as(visitor, MIA, f'/jobs/{job.id}', 'job-panel')
    await visitor.should_see('Waiting to start')
    assert _text(visitor, 'job-count') == 'Waiting for a worker…'
    assert 'indeterminate' in _bar(visitor).props
    running = job.model_copy(
        update={'status': 'running', 'done': 1, 'failed': 0, 'total': 3, 'current': 'Watch 17', 'rate': 2.5,
                'eta_seconds': 0.8, 'can_cancel': True, 'can_retry': False}
    )  # fmt: skip
    publish(running)
    await visitor.should_see('Running', retries=PATIENCE)
    assert _bar(visitor).value == 1 / 3 and 'indeterminate' not in _bar(visitor).props
    assert (_text(visitor, 'job-count'), _text(visitor, 'job-percent')) == ('1 of 3', '33%')
    assert (_text(visitor, 'job-rate'), _text(visitor, 'job-eta')) == ('2 per second', 'less than a second left')
    assert _text(visitor, 'job-current') == 'Now: Watch 17'
    publish(running.model_copy(update={'done': 2, 'rate': 0.5, 'eta_seconds': 2.0, 'current': 'Watch 18'}))
    await eventually(lambda: _text(visitor, 'job-eta') == 'about 2 s left', 'the ETA to shrink to 2 s')
    assert _text(visitor, 'job-rate') == '30 per minute'
    assert _text(visitor, 'job-current') == 'Now: Watch 18'


async def test_failed_items_are_listed_with_their_reasons_and_retried(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia)
    gone = 'This watch was deleted or is no longer within your reach.'
    keys = job_keys(job.id)
    errors = [{'key': keys[0], 'label': f'Watch {keys[0]}', 'message': gone}]
    leave(job.id, done=2, failed=1, errors=errors, message='2 done, 1 failed.')
    await open_as(visitor, MIA, f'/jobs/{job.id}', 'job-panel')
    await visitor.should_see('Finished with errors')
    assert _text(visitor, 'job-message') == '2 done, 1 failed.'
    (errors_panel,) = visitor.find(marker='job-errors').elements
    assert errors_panel.text == '1 item failed: show why'
    await visitor.should_see(gone)
    await visitor.should_see(f'Watch {keys[0]}')
    assert _shown(visitor, 'job-retry') and _text(visitor, 'job-retry') == 'Retry 1 failed'
    assert _shown(visitor, 'job-download')
    visitor.find(marker='job-retry').click()
    await eventually(lambda: _says(visitor, '3 done.'), 'the retried run to finish clean', patience=RUN)
    await visitor.should_see('Finished')
    assert not _shown(visitor, 'job-errors') and not _shown(visitor, 'job-retry')


async def test_an_interrupted_job_is_resumed_from_where_it_stopped(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia, count=4)
    leave(job.id, status=JobStatus.INTERRUPTED, done=2, position=2, result={}, message='Interrupted: the worker '
          'stopped. Resume it to continue where it left off.')  # fmt: skip
    await open_as(visitor, MIA, f'/jobs/{job.id}', 'job-panel')
    await visitor.should_see('Interrupted')
    assert _text(visitor, 'job-count') == '2 of 4' and _bar(visitor).value == 0.5
    assert _shown(visitor, 'job-resume') and not _shown(visitor, 'job-download')
    visitor.find(marker='job-resume').click()
    await eventually(lambda: _says(visitor, '4 done.'), 'the resumed run to finish', patience=RUN)
    assert not _shown(visitor, 'job-resume') and _shown(visitor, 'job-download')


async def test_a_waiting_job_is_cancelled_from_the_panel(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia)
    leave(job.id, status=JobStatus.QUEUED, done=0, position=0, finished_at=None, message=None, result={})
    await open_as(visitor, MIA, f'/jobs/{job.id}', 'job-panel')
    await visitor.should_see('Waiting to start')
    await press(visitor, 'job-cancel')
    await visitor.should_see('Cancelled', retries=PATIENCE)
    assert _text(visitor, 'job-message') == 'Cancelled before it started.'
    assert not _shown(visitor, 'job-cancel') and _shown(visitor, 'job-resume')


async def test_another_persons_job_is_not_shown_nor_its_file_handed_out(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    make_user(Role.MANAGER, email='max@example.com')
    job = await finished_job(mia)
    await open_as(visitor, 'max@example.com', f'/jobs/{job.id}', 'job')
    await visitor.should_see('No such job.')
    await visitor.should_not_see(marker='job-panel')
    assert (await visitor.http_client.get(f'/jobs/{job.id}/download')).status_code == 403
    assert (await visitor.http_client.get('/jobs/999999/download')).status_code == 404


async def test_an_admin_sees_anyones_job_and_may_download_its_file(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    make_user(Role.ADMIN, email='ada@example.com')
    job = await finished_job(mia)
    await open_as(visitor, 'ada@example.com', f'/jobs/{job.id}', 'job-panel')
    assert mia.name in _text(visitor, 'job-subtitle')
    response = await visitor.http_client.get(f'/jobs/{job.id}/download')
    assert response.status_code == 200 and response.content.startswith(b'%PDF')
