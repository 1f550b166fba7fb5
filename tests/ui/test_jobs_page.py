"""The jobs page: my jobs only, everyone's for an admin, filters, rows that follow their jobs live, actions from
the row, opening a job, the admin's reindex, and the drawer entry."""

from __future__ import annotations

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from db.enums import Role
from services import jobs
from services.job_views import publish
from services.permissions import Actor
from tests.factories import make_user, make_watch
from tests.ui.job_states import RUN, finished_job, leave
from tests.ui.session import PATIENCE, eventually, location, open_as

pytestmark = pytest.mark.usefixtures('task_workers')
MIA = 'mia@example.com'


def _table(user: User) -> ui.table:
    (table,) = user.find(marker='jobs-table').elements
    return table


def _titles(user: User) -> list[str]:
    return [row['title'] for row in _table(user).rows]


def _shown(user: User, marker: str) -> bool:
    with user:
        return any(ElementFilter(marker=marker, only_visible=True))


def _export(actor: Actor) -> jobs.JobView:
    return jobs.start(actor, 'export', {'fmt': 'csv', 'ids': None, 'filters': None})


async def test_my_jobs_only_then_everyones_for_an_admin_filtered_by_status_and_kind(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA, name='Mia Manager')
    ada = make_user(Role.ADMIN, email='ada@example.com', name='Ada Admin')
    await finished_job(mia)
    make_watch(brand='Omega')
    exported = _export(ada)
    await eventually(lambda: jobs.get(ada, exported.id).finished, 'the export to finish', patience=RUN)
    await open_as(visitor, 'ada@example.com', '/jobs', 'jobs-table')
    await eventually(lambda: _titles(visitor) == ['Export of 4 watches (CSV)'], 'only my own job')
    assert _table(visitor).rows[0]['status_label'] == 'Finished'
    visitor.find(marker='jobs-everyone').elements.pop().value = True
    await eventually(lambda: len(_table(visitor).rows) == 2, "everyone's two jobs")
    assert [row['created_by_name'] for row in _table(visitor).rows] == ['Ada Admin', 'Mia Manager']
    assert 'who' in [column['name'] for column in _table(visitor).columns]
    visitor.find(marker='job-kind-filter').elements.pop().value = 'labels'
    await eventually(lambda: _titles(visitor) == ['3 labels (A4 sheet)'], 'the label run only')
    visitor.find(marker='job-status-filter').elements.pop().value = 'failed'
    await eventually(lambda: _table(visitor).rows == [], 'no failed label runs')


async def test_a_manager_sees_no_switch_nor_reindex_and_a_new_job_appears_live(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    make_watch(brand='Omega')
    await open_as(visitor, MIA, '/jobs', 'jobs-table')
    assert not _shown(visitor, 'jobs-everyone') and not _shown(visitor, 'reindex')
    assert _table(visitor).rows == []
    exported = _export(mia)  # as if from another tab: the list hears of it by the bus
    await eventually(lambda: _titles(visitor) == ['Export of 1 watch (CSV)'], 'the new job in the list', patience=RUN)
    await eventually(lambda: _table(visitor).rows[0]['status'] == 'succeeded', 'its row to follow it', patience=RUN)
    (row,) = _table(visitor).rows
    assert row['count_text'] == '1 / 1' and row['fraction'] == 1.0
    assert row['download'] == f'/jobs/{exported.id}/download'
    visitor.find(marker='jobs-table').trigger('rowClick', [{}, row, 0])
    await visitor.should_see(marker='job-panel', retries=PATIENCE)
    assert location(visitor) == f'/jobs/{exported.id}'


async def test_a_row_follows_its_running_job_and_is_cancelled_from_the_list(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia)
    leave(job.id, status='queued', done=0, position=0, finished_at=None, message=None, result={})
    await open_as(visitor, MIA, '/jobs', 'jobs-table')
    await eventually(lambda: _table(visitor).rows and _table(visitor).rows[0]['status'] == 'queued', 'the queued job')
    assert [action['name'] for action in _table(visitor).rows[0]['actions']] == ['cancel']
    running = jobs.get(mia, job.id).model_copy(update={'status': 'running', 'done': 2, 'total': 3, 'can_cancel': True})
    publish(running)
    await eventually(lambda: _table(visitor).rows[0]['count_text'] == '2 / 3', 'the row to show 2 of 3')
    assert _table(visitor).rows[0]['status_label'] == 'Running'
    publish(jobs.get(mia, job.id))  # back to what the row says: waiting
    await eventually(lambda: _table(visitor).rows[0]['status'] == 'queued', 'the row to wait again')
    visitor.find(marker='jobs-table').trigger('act', {'id': job.id, 'action': 'cancel'})
    await eventually(lambda: _table(visitor).rows[0]['status'] == 'cancelled', 'the job to be cancelled')
    assert jobs.get(mia, job.id).status == 'cancelled'
    assert [action['name'] for action in _table(visitor).rows[0]['actions']] == ['resume']


async def test_an_action_the_job_no_longer_allows_is_refused_with_its_reason(visitor: User):
    mia = make_user(Role.MANAGER, email=MIA)
    job = await finished_job(mia)
    await open_as(visitor, MIA, '/jobs', 'jobs-table')
    await eventually(lambda: _titles(visitor) == ['3 labels (A4 sheet)'], 'the finished job')
    visitor.find(marker='jobs-table').trigger('act', {'id': job.id, 'action': 'cancel'})
    await visitor.should_see('This job has already ended.', retries=PATIENCE)


async def test_an_admin_rebuilds_the_search_index_as_a_job(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    make_watch(brand='Omega')
    await open_as(visitor, 'ada@example.com', '/jobs', 'jobs-table')
    visitor.find(marker='reindex').click()
    await visitor.should_see(marker='job-panel', retries=PATIENCE)
    assert location(visitor).startswith('/jobs/')
    await visitor.should_see('Rebuild of the search index')
    await eventually(lambda: _shown(visitor, 'job-message'), 'the rebuild to finish', patience=RUN)
    await visitor.should_see('Finished')


async def test_every_role_finds_jobs_in_the_drawer(visitor: User):
    make_user(Role.AGENT, email='agnes@example.com')
    await open_as(visitor, 'agnes@example.com', '/jobs', 'jobs-table')
    await visitor.should_see(marker='nav-jobs')
    assert _table(visitor).rows == [] and _table(visitor).props['no-data-label'] == 'No jobs here yet.'
