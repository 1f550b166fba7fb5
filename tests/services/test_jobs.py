"""Jobs as a service: who may start and see them, and the runner's promises (failed items, cancel, resume,
retry), with the four product kinds producing their results. The runner is called directly here; the Huey
path is tests/tasks/test_job_task.py."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import JobStatus, Role
from db.inventory import Watch
from db.system import AuditEntry, Job
from db.types import utcnow
from services import job_runner, job_views, jobs, notifications
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.job_kinds import JobKind, Plan, RunContext, job_directory
from services.permissions import Permission
from tests.background import until
from tests.factories import make_user, make_watch


class ProbeKind(JobKind):
    """A kind for the runner's own tests: items '0'..'n-1' that note themselves, fail when told to, and can
    hold at one key until the test lets them go on."""

    name = 'probe'
    label = 'Probe'
    permission = Permission.INVENTORY_VIEW

    def __init__(self) -> None:
        self.processed: list[str] = []
        self.failing: set[str] = set()
        self.hold_at: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.pause = 0.0
        self.outcome: str | None = None

    def plan(self, session, actor, params, directory) -> Plan:
        count = int(params.get('count', 10))
        return Plan(params={'count': count}, keys=[str(number) for number in range(count)], title=f'Probe of {count}')

    def item(self, ctx: RunContext, key: str) -> None:
        if key == self.hold_at:
            self.holding.set()
            self.release.wait(30)
        time.sleep(self.pause)
        self.processed.append(key)
        if self.outcome:
            ctx.outcome = self.outcome
        if key in self.failing:
            raise ValueError(f'item {key} is broken')


@pytest.fixture
def probe(db) -> Iterator[ProbeKind]:
    kind = ProbeKind()
    job_views.register(kind)
    yield kind
    kind.release.set()
    job_views.KINDS.pop(kind.name, None)


def _jobs_written() -> tuple[int, int]:
    with session_scope() as session:
        count = session.exec(select(func.count()).select_from(Job)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == 'job')).one()
        return count, audits


def _row(job_id: int) -> Job:
    with session_scope() as session:
        return session.get(Job, job_id)


# --- starting and seeing -----------------------------------------------------------------------------------------


def test_start_is_refused_without_the_kinds_permission(db):
    agent, seller = make_user(Role.AGENT), make_user(Role.SELLER)
    watch_id = make_watch()
    with pytest.raises(PermissionDenied):
        jobs.start(agent, 'export', {'fmt': 'csv', 'ids': [watch_id]})
    with pytest.raises(PermissionDenied):
        jobs.start(seller, 'reindex', {})
    with pytest.raises(PermissionDenied):
        jobs.start(seller, 'labels', {'layout': 'zpl', 'ids': [watch_id]})
    assert _jobs_written() == (0, 0)


@pytest.mark.parametrize(
    ('kind', 'params', 'says'),
    [
        ('export', {'fmt': 'pdf', 'ids': None}, 'fmt'),
        ('export', {'fmt': 'csv', 'ids': [], 'filters': None}, 'No watches to export'),
        ('labels', {'layout': 'a4', 'ids': []}, 'at least one watch'),
        ('labels', {'layout': 'inkjet', 'ids': [1]}, 'layout'),
        ('import', {'upload': 'not-a-token', 'filename': 'a.csv'}, 'upload it again'),
        ('import', {'upload': '0' * 32, 'filename': 'a.csv'}, 'upload it again'),
        ('reindex', {'everything': True}, 'no parameters'),
        ('teleport', {}, 'no kind of job'),
    ],
)
def test_start_refuses_bad_parameters_and_writes_nothing(db, kind, params, says):
    admin = make_user(Role.ADMIN)
    with pytest.raises(ValidationFailed, match=says):
        jobs.start(admin, kind, params)
    assert _jobs_written() == (0, 0)


def test_an_upload_is_only_for_the_person_who_stashed_it(db):
    first, second = make_user(Role.MANAGER), make_user(Role.MANAGER)
    token = jobs.stash_upload(first, 'w.csv', b'Brand,Model\nRolex,Submariner\n')
    with pytest.raises(ValidationFailed, match='upload it again'):
        jobs.start(second, 'import', {'upload': token, 'filename': 'w.csv'})
    with pytest.raises(PermissionDenied):
        jobs.stash_upload(make_user(Role.SELLER), 'w.csv', b'Brand,Model\n')
    with pytest.raises(ValidationFailed, match=r'\.csv or \.xlsx'):
        jobs.stash_upload(first, 'w.pdf', b'%PDF')


def test_someone_elses_job_is_seen_only_with_jobs_view_all(probe):
    owner, colleague, admin = make_user(Role.MANAGER), make_user(Role.MANAGER), make_user(Role.ADMIN)
    job = jobs.start(owner, 'probe', {'count': 3})
    assert jobs.get(owner, job.id).status == 'queued'
    with pytest.raises(PermissionDenied):
        jobs.get(colleague, job.id)
    with pytest.raises(PermissionDenied):
        jobs.cancel(colleague, job.id)
    with pytest.raises(PermissionDenied):
        jobs.list_jobs(colleague, everyone=True)
    assert jobs.list_jobs(colleague).total == 0
    assert jobs.get(admin, job.id).created_by_name == owner.name
    assert [view.id for view in jobs.list_jobs(admin, everyone=True, kind='probe', status='queued').items] == [job.id]
    with pytest.raises(NotFound):
        jobs.get(admin, job.id + 1000)


def test_start_audits_and_queues(probe):
    manager = make_user(Role.MANAGER)
    job = jobs.start(manager, 'probe', {'count': 4})
    assert (job.status, job.total, job.done, job.title, job.kind_label) == ('queued', 4, 0, 'Probe of 4', 'Probe')
    assert job.can_cancel and not job.can_retry and not job.can_resume
    assert _jobs_written() == (1, 1)
    assert ('probe', 'Probe') in jobs.kinds()


# --- the runner --------------------------------------------------------------------------------------------------


def test_an_item_that_raises_is_a_failed_item_and_the_rest_complete(probe):
    manager = make_user(Role.MANAGER)
    probe.failing = {'3'}
    job = jobs.start(manager, 'probe', {'count': 6})
    assert jobs.run(job.id) == 'succeeded'
    view = jobs.get(manager, job.id)
    assert (view.status, view.done, view.failed, view.total) == ('succeeded', 5, 1, 6)
    assert view.errors == [jobs.ItemError(key='3', label='3', message='ValueError: item 3 is broken')]
    assert probe.processed == [str(number) for number in range(6)]
    assert view.can_retry and view.finished
    assert [(n.kind, n.link) for n in notifications.latest(manager).items] == [('job.succeeded', f'/jobs/{job.id}')]


def test_a_job_that_says_what_it_achieved_ends_with_that_sentence(probe):
    manager = make_user(Role.MANAGER)
    probe.outcome, probe.failing = '3 rates added', {'1'}
    job = jobs.start(manager, 'probe', {'count': 3})
    assert jobs.run(job.id) == 'succeeded'
    assert jobs.get(manager, job.id).message == '3 rates added, 1 failed.'
    assert notifications.latest(manager).items[0].body == '3 rates added, 1 failed.'  # the starter hears it too


def test_a_job_whose_every_item_failed_has_failed(probe):
    manager = make_user(Role.MANAGER)
    probe.failing = {'0', '1'}
    job = jobs.start(manager, 'probe', {'count': 2})
    assert jobs.run(job.id) == 'failed'
    assert jobs.get(manager, job.id).message == 'All 2 items failed.'
    assert notifications.latest(manager).items[0].kind == 'job.failed'


def test_a_job_runs_once_even_if_enqueued_twice(probe):
    job = jobs.start(make_user(Role.MANAGER), 'probe', {'count': 2})
    assert jobs.run(job.id) == 'succeeded'
    assert jobs.run(job.id) == 'skipped'
    assert probe.processed == ['0', '1']


def test_retry_failed_reruns_only_the_failed_items(probe):
    manager = make_user(Role.MANAGER)
    probe.failing = {'2', '5'}
    job = jobs.start(manager, 'probe', {'count': 7})
    jobs.run(job.id)
    probe.processed.clear()
    probe.failing = set()
    retried = jobs.retry_failed(manager, job.id)
    assert (retried.status, retried.done, retried.failed, retried.errors) == ('queued', 5, 0, [])
    assert jobs.run(job.id) == 'succeeded'
    assert probe.processed == ['2', '5']
    view = jobs.get(manager, job.id)
    assert (view.done, view.failed, view.total, view.can_retry) == (7, 0, 7, False)
    with pytest.raises(ValidationFailed, match='failed items'):
        jobs.retry_failed(manager, job.id)


def test_cancel_stops_a_running_job_promptly(probe, monkeypatch):
    manager = make_user(Role.MANAGER)
    probe.pause = 0.002  # 20,000 items: a minute of work, which a cancel cuts to about a second
    job = jobs.start(manager, 'probe', {'count': 20_000})
    runner = threading.Thread(target=jobs.run, args=(job.id,))
    runner.start()
    assert until(lambda: len(probe.processed) > 10)
    cancelling = jobs.cancel(manager, job.id)
    assert cancelling.status == 'running' and not cancelling.can_cancel
    runner.join(30)
    view = jobs.get(manager, job.id)
    assert view.status == 'cancelled'
    assert view.done == len(probe.processed) < 20_000
    assert view.can_resume
    assert notifications.latest(manager).total == 0  # whoever cancelled knows


def test_a_queued_job_is_cancelled_at_once_and_never_runs(probe):
    manager = make_user(Role.MANAGER)
    job = jobs.start(manager, 'probe', {'count': 3})
    assert jobs.cancel(manager, job.id).status == 'cancelled'
    assert jobs.run(job.id) == 'skipped'
    assert probe.processed == []
    with pytest.raises(ValidationFailed, match='already ended'):
        jobs.cancel(manager, job.id)


def test_an_interrupted_job_resumes_without_redoing_finished_items(probe, monkeypatch):
    monkeypatch.setattr(job_runner, 'CHECKPOINT_SECONDS', 0.0)  # a checkpoint after every item
    manager = make_user(Role.MANAGER)
    probe.hold_at = '30'
    job = jobs.start(manager, 'probe', {'count': 50})
    runner = threading.Thread(target=jobs.run, args=(job.id,))
    runner.start()
    assert probe.holding.wait(20)
    assert until(lambda: _row(job.id).position == 30)
    # The worker is lost: start-up marks the job interrupted; the old runner notices at its next checkpoint.
    assert jobs.mark_interrupted(stale_after=None) == [job.id]
    probe.release.set()
    runner.join(20)
    view = jobs.get(manager, job.id)
    assert (view.status, view.done, view.can_resume) == ('interrupted', 30, True)
    assert probe.processed == [str(number) for number in range(31)]  # item 30 ran, but was never recorded

    probe.processed.clear()
    probe.hold_at = None
    assert jobs.resume(manager, job.id).status == 'queued'
    assert jobs.run(job.id) == 'succeeded'
    assert probe.processed == [str(number) for number in range(30, 50)]
    assert (jobs.get(manager, job.id).done, jobs.get(manager, job.id).total) == (50, 50)


def test_only_silent_running_jobs_are_swept(probe):
    manager = make_user(Role.MANAGER)
    job = jobs.start(manager, 'probe', {'count': 2})
    with session_scope() as session:
        row = session.get(Job, job.id)
        row.status, row.heartbeat_at = JobStatus.RUNNING, utcnow()
    assert jobs.mark_interrupted() == []
    with session_scope() as session:
        session.get(Job, job.id).heartbeat_at = utcnow() - timedelta(minutes=5)
    assert jobs.mark_interrupted() == [job.id]
    assert notifications.latest(manager).items[0].title == 'Probe of 2 was interrupted'


def test_resume_and_retry_are_refused_when_they_make_no_sense(probe):
    manager = make_user(Role.MANAGER)
    job = jobs.start(manager, 'probe', {'count': 2})
    with pytest.raises(ValidationFailed, match='resumed'):
        jobs.resume(manager, job.id)
    jobs.run(job.id)
    with pytest.raises(ValidationFailed, match='resumed'):
        jobs.resume(manager, job.id)
    with pytest.raises(ValidationFailed, match='retried'):
        jobs.retry_failed(manager, job.id)


# --- the product's kinds -----------------------------------------------------------------------------------------


def test_export_writes_the_file_and_fails_watches_deleted_meanwhile(media):
    manager = make_user(Role.MANAGER)
    ids = [make_watch(brand=brand) for brand in ('Rolex', 'Omega', 'Tudor')]
    job = jobs.start(manager, 'export', {'fmt': 'csv', 'ids': ids, 'filters': None})
    assert job.title == 'Export of 3 watches (CSV)'
    with session_scope() as session:
        session.get(Watch, ids[1]).deleted_at = utcnow()
    assert jobs.run(job.id) == 'succeeded'
    view = jobs.get(manager, job.id)
    assert (view.done, view.failed, view.errors[0].label) == (2, 1, f'Watch {ids[1]}')
    name, path, media_type = jobs.download(manager, job.id)
    assert (name, media_type) == (view.download_name, 'text/csv') and name.endswith('.csv')
    rows = list(csv.DictReader(io.StringIO(path.read_text('utf-8-sig'))))
    assert [row['Brand'] for row in rows] == ['Rolex', 'Tudor']
    with pytest.raises(PermissionDenied):
        jobs.download(make_user(Role.MANAGER), job.id)


def test_export_by_filter_as_xlsx(media):
    from openpyxl import load_workbook

    manager = make_user(Role.MANAGER)
    for brand in ('Rolex', 'Rolex', 'Omega'):
        make_watch(brand=brand)
    job = jobs.start(manager, 'export', {'fmt': 'xlsx', 'ids': None, 'filters': {'brands': ['Rolex']}})
    assert job.total == 2
    jobs.run(job.id)
    _, path, _ = jobs.download(manager, job.id)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    assert [row[1] for row in sheet.iter_rows(values_only=True)] == ['Brand', 'Rolex', 'Rolex']


def test_labels_come_out_in_the_chosen_order(media):
    manager = make_user(Role.MANAGER)
    first, second = make_watch(brand='Rolex'), make_watch(brand='Omega')
    job = jobs.start(manager, 'labels', {'layout': 'zpl', 'ids': [second, first]})
    assert jobs.run(job.id) == 'succeeded'
    name, path, media_type = jobs.download(manager, job.id)
    text = path.read_text()
    assert (name, media_type, text.count('^XA')) == ('labels.zpl', 'text/plain', 2)
    assert text.index('Omega') < text.index('Rolex')


def test_import_takes_in_the_good_rows_and_names_the_bad_ones(media):
    manager = make_user(Role.MANAGER)
    data = 'Brand,Model,Year\nRolex,Submariner,1969\nNoSuchBrand,Thing,1970\nOmega,Speedmaster,1968\n'
    token = jobs.stash_upload(manager, 'watches.csv', data.encode())
    job = jobs.start(manager, 'import', {'upload': token, 'filename': 'watches.csv'})
    assert (job.title, job.total) == ('Import of 3 rows from watches.csv', 3)
    assert jobs.run(job.id) == 'succeeded'
    view = jobs.get(manager, job.id)
    assert (view.done, view.failed) == (2, 1)
    assert view.errors[0].label == 'Row 3' and view.errors[0].message.startswith('Brand: "NoSuchBrand"')
    with session_scope() as session:
        assert sorted(session.exec(select(Watch.brand)).all()) == ['Omega', 'Rolex']


def test_an_unreadable_import_is_refused_at_start(media):
    manager = make_user(Role.MANAGER)
    token = jobs.stash_upload(manager, 'w.csv', b'Colour,Size\nred,4\n')
    with pytest.raises(ValidationFailed, match='Brand and a Model'):
        jobs.start(manager, 'import', {'upload': token, 'filename': 'w.csv'})
    assert _jobs_written() == (0, 0)


def test_reindex_rebuilds_the_search_index(media):
    admin = make_user(Role.ADMIN)
    make_watch(brand='Rolex')
    job = jobs.start(admin, 'reindex', {})
    assert jobs.run(job.id) == 'succeeded'
    view = jobs.get(admin, job.id)
    assert (view.done, view.total, view.download_name) == (1, 1, None)


# --- housekeeping ------------------------------------------------------------------------------------------------


def test_retention_removes_old_history_and_expired_files(media):
    manager = make_user(Role.MANAGER)
    ids = [make_watch()]
    old, recent = (jobs.start(manager, 'export', {'fmt': 'csv', 'ids': ids}) for _ in range(2))
    for job in (old, recent):
        jobs.run(job.id)
    with session_scope() as session:
        session.get(Job, old.id).finished_at = utcnow() - timedelta(days=31)
        session.get(Job, recent.id).finished_at = utcnow() - timedelta(hours=25)
    assert jobs.purge_expired() == (1, 1)
    assert not job_directory(old.id).exists()
    with pytest.raises(NotFound):
        jobs.get(manager, old.id)
    with pytest.raises(NotFound, match='no file'):
        jobs.download(manager, recent.id)
    assert jobs.get(manager, recent.id).download_name is None
