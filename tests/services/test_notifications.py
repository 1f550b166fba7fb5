"""Notifications: kept per person, read only by their owner, announced on the bus after commit, and left for an
agent when someone else puts a watch in their name (intake, edit, import)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.system import Notification
from services import bus, events, notifications, users, watches
from services.errors import NotFound, PermissionDenied
from services.notifications import WATCH_ASSIGNED, notify
from services.permissions import Actor
from services.spreadsheets import import_watches
from tests.factories import make_user, make_watch, take_in


@pytest.fixture
def mia(db) -> Actor:
    return make_user(Role.MANAGER, name='Mia Manager')


@pytest.fixture
def ada(db) -> Actor:
    return make_user(Role.AGENT, name='Ada Agent')


@pytest.fixture
def announced() -> Iterator[None]:
    """This process announces committed notifications on the bus while the test runs (as main.py arranges)."""
    notifications.broadcast_notifications()
    yield
    events.unsubscribe(notifications.CREATED, notifications.announce)
    events.unsubscribe(notifications.READ, notifications.announce_read)


def _leave(user: Actor, title: str, *, kind: str = 'job.succeeded', link: str | None = '/jobs/1') -> None:
    with session_scope() as session:
        notify(session, user.id, kind=kind, title=title, body='All 12 items done.', link=link)


def _rows() -> list[tuple]:
    with session_scope() as session:
        return session.execute(sa.select(Notification.__table__).order_by(Notification.id)).all()


def _edit(actor: Actor, watch_id: int, values: dict, *, version: int) -> watches.WatchRead:
    return watches.update_watch(actor, watch_id, watches.parse_watch(values, partial=True), version=version)


def _assigned(user: Actor) -> list[notifications.NotificationRead]:
    return [item for item in notifications.latest(user).items if item.kind == WATCH_ASSIGNED]


# --- reading and marking -----------------------------------------------------------------------------------------


def test_each_person_sees_only_their_own_newest_first(mia, ada):
    _leave(mia, 'Export finished')
    _leave(ada, 'Not for Mia')
    _leave(mia, 'Labels failed', kind='job.failed')
    inbox = notifications.inbox(mia)
    assert inbox.unread == 2
    assert [item.title for item in inbox.latest] == ['Labels failed', 'Export finished']
    assert notifications.latest(mia).total == 2
    assert notifications.unread_count(ada) == 1


def test_marking_read_lowers_the_count_once(mia):
    _leave(mia, 'Export finished')
    _leave(mia, 'Import finished')
    first = notifications.latest(mia).items[0]
    notifications.mark_read(mia, first.id)
    notifications.mark_read(mia, first.id)  # again: nothing more happens
    assert notifications.unread_count(mia) == 1
    assert notifications.latest(mia).items[0].read_at is not None
    assert notifications.mark_all_read(mia) == 1
    assert notifications.mark_all_read(mia) == 0
    assert notifications.inbox(mia).unread == 0


def test_nobody_marks_someone_elses_notification(mia, ada):
    _leave(ada, 'For Ada only')
    before = _rows()
    theirs = notifications.latest(ada).items[0]
    with pytest.raises(NotFound, match='does not exist'):
        notifications.mark_read(mia, theirs.id)
    with pytest.raises(NotFound):
        notifications.mark_read(mia, 999_999)
    assert notifications.mark_all_read(mia) == 0
    assert _rows() == before
    assert notifications.unread_count(ada) == 1


def test_a_notification_exists_only_if_its_unit_of_work_commits(mia):
    with pytest.raises(RuntimeError), session_scope() as session:
        notify(session, mia.id, kind='job.failed', title='Never told')
        raise RuntimeError('the work that the notification tells of failed')
    assert notifications.inbox(mia).unread == 0


def test_a_message_for_roles_reaches_each_active_holder_once_and_nobody_else(mia, ada):
    finance, admin = make_user(Role.FINANCE), make_user(Role.ADMIN)
    gone = make_user(Role.FINANCE)
    users.set_active(admin, gone.id, False)
    with session_scope() as session:
        notifications.notify_roles(session, notifications.BOOKKEEPERS, kind='fx.failed', title='No rates today',
                                   body='The ECB did not answer.', link='/finance/fx')  # fmt: skip
    assert [(row.title, row.link) for row in notifications.latest(finance).items] == [('No rates today', '/finance/fx')]
    assert [row.title for row in notifications.latest(admin).items] == ['No rates today']
    with session_scope() as session:
        told = session.exec(select(Notification.user_id).where(Notification.kind == 'fx.failed')).all()
    assert sorted(told) == sorted([finance.id, admin.id])  # not the deactivated colleague, the manager or the agent


def test_long_titles_and_bodies_are_cut_to_fit(mia):
    with session_scope() as session:
        notify(session, mia.id, kind='job.failed', title='T' * 500, body='B' * 5000)
    (item,) = notifications.latest(mia).items
    assert (len(item.title), len(item.body or '')) == (200, 1000)


# --- on the bus --------------------------------------------------------------------------------------------------


async def test_new_and_read_notifications_reach_listeners_after_commit(mia, announced):
    """Through the real bus of this run: in-process, or Redis pub/sub when SV_TEST_REDIS_URL is set."""
    heard: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
    listener = asyncio.create_task(bus.get_bus().listen(lambda topic, message: heard.put_nowait((topic, message))))
    try:
        await _until_listening(heard)
        await asyncio.to_thread(_leave, mia, 'Export finished')  # a task's thread, as in the embedded default
        message = await _next(heard, notifications.TOPIC)
        assert message['user_id'] == mia.id
        assert (message['notification']['title'], message['notification']['link']) == ('Export finished', '/jobs/1')
        await asyncio.to_thread(notifications.mark_all_read, mia)
        message = await _next(heard, notifications.TOPIC)
        assert message == {'user_id': mia.id, 'notification': None}
    finally:
        listener.cancel()


async def _until_listening(heard: asyncio.Queue) -> None:
    """Redis pub/sub drops what is published before the subscription is in place: knock until someone answers."""
    for _ in range(100):
        bus.get_bus().publish('probe', {})
        try:
            await asyncio.wait_for(_next(heard, 'probe'), 0.1)
            return
        except TimeoutError:
            continue
    raise AssertionError('the bus listener never started')


async def _next(heard: asyncio.Queue, topic: str) -> dict:
    """The next message on `topic` (others, such as watch changes of the same commit, pass by)."""
    while True:
        got, message = await asyncio.wait_for(heard.get(), 10)
        if got == topic:
            return message


# --- "a watch was assigned to you" -------------------------------------------------------------------------------


def test_taking_a_watch_in_for_an_agent_tells_the_agent(mia, ada):
    watch = take_in(mia, agent_id=ada.id, model='Speedmaster')
    (item,) = _assigned(ada)
    assert item.link == f'/watches/{watch.id}'
    assert item.title == f'{watch.sku} was assigned to you'
    assert item.body == 'Omega Speedmaster · by Mia Manager'
    assert _assigned(mia) == []


def test_agents_are_not_told_of_their_own_watches(mia, ada):
    take_in(ada)  # an agent's intake is theirs by rule
    take_in(mia, agent_id=mia.id)
    assert _assigned(ada) == _assigned(mia) == []


def test_handing_a_watch_over_tells_the_new_agent_only_when_the_agent_changes(mia, ada):
    watch_id = make_watch()
    edited = _edit(mia, watch_id, {'notes': 'Boxed'}, version=1)
    assert _assigned(ada) == []
    handed = _edit(mia, watch_id, {'agent_id': ada.id}, version=edited.version)
    (item,) = _assigned(ada)
    assert item.link == f'/watches/{watch_id}'
    _edit(mia, watch_id, {'notes': 'Serviced'}, version=handed.version)
    assert len(_assigned(ada)) == 1


def test_a_refused_hand_over_tells_nobody(mia, ada):
    other = make_user(Role.AGENT)
    watch_id = make_watch(agent=ada)
    with pytest.raises(PermissionDenied):
        _edit(ada, watch_id, {'agent_id': other.id}, version=1)
    assert _assigned(other) == []
    assert watches.get_watch(mia, watch_id).agent_id == ada.id


def test_an_import_tells_each_agent_once_for_all_their_watches(mia, ada):
    bob = make_user(Role.AGENT, name='Bob Agent')
    rows = [f'Omega,Seamaster,{agent.id}' for agent in (ada, ada, ada, bob)]
    data = '\n'.join(['brand,model,agent_id', *rows]).encode()
    report = import_watches(mia, 'stock.csv', data, dry_run=False)
    assert report.imported == 4
    (for_ada,) = _assigned(ada)
    assert for_ada.title == '3 watches were assigned to you'
    assert for_ada.body.startswith(report.skus[0])
    (for_bob,) = _assigned(bob)
    assert for_bob.title == f'{report.skus[3]} was assigned to you'
    with session_scope() as session:
        assert session.exec(select(Notification).where(Notification.user_id == mia.id)).all() == []


def test_a_refused_import_tells_nobody(mia, ada):
    data = f'brand,model,agent_id\nOmega,,{ada.id}'.encode()  # no model: the row is refused
    report = import_watches(mia, 'stock.csv', data, dry_run=False)
    assert report.errors and not report.imported
    assert _assigned(ada) == []
