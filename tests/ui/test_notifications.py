"""The bell: a live unread count for me only, a toast for my finished job, reading one opens what it is about."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.engine import session_scope
from db.enums import Role
from services import notifications, watches
from services.permissions import Actor
from tests.factories import make_user, take_in
from tests.ui.session import eventually, location, open_as, press


def _leave(user: Actor, title: str, *, kind: str = 'job.succeeded', link: str | None = None) -> None:
    """What the job runner does when a job ends: a notification in its unit of work."""
    with session_scope() as session:
        notifications.notify(session, user.id, kind=kind, title=title, body='12 of 12 done', link=link)


def _count(user: User) -> str:
    """The badge's number, or '' while it is hidden (nothing unread)."""
    (bell,) = user.find(marker='bell').elements
    (badge,) = (element for element in bell.descendants() if 'bell-count' in element._markers)
    assert isinstance(badge, ui.badge)
    return badge.text if badge.visible else ''


async def test_the_count_rises_for_my_notifications_only_and_mine_are_toasted(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    ada = make_user(Role.AGENT)
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await visitor.should_see(marker='bell')
    assert _count(visitor) == ''
    _leave(ada, 'Export for Ada finished')
    _leave(mia, 'Export finished', link='/watches')
    await eventually(lambda: _count(visitor) == '1', 'one unread notification: Ada’s is not counted')
    await eventually(lambda: visitor.notify.contains('Export finished'), 'a toast for my finished job')
    assert not visitor.notify.contains('Export for Ada finished')
    _leave(mia, 'Labels failed', kind='job.failed')
    await eventually(lambda: _count(visitor) == '2', 'two unread notifications')


async def test_opening_a_notification_marks_it_read_and_goes_to_its_object(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    watch = take_in(mia)
    _leave(mia, 'Export finished', link=f'/watches/{watch.id}')
    _leave(mia, 'Import finished')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await eventually(lambda: _count(visitor) == '2', 'two unread notifications')
    first = notifications.latest(mia).items[1]
    await visitor.should_see('Export finished', marker=f'notification-{first.id}')
    await press(visitor, f'notification-{first.id}')
    await eventually(lambda: location(visitor) == f'/watches/{watch.id}', 'the watch the notification is about')
    await eventually(lambda: _count(visitor) == '1', 'one left unread')
    assert notifications.latest(mia).items[1].read_at is not None


async def test_mark_all_read_clears_the_badge_in_every_tab(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    for title in ('Export finished', 'Import finished', 'Labels finished'):
        _leave(mia, title)
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    await eventually(lambda: _count(visitor) == '3', 'three unread notifications')
    await press(visitor, 'mark-all-read')
    await eventually(lambda: _count(visitor) == '', 'no unread notifications')
    _leave(mia, 'Backup finished')
    await eventually(lambda: _count(visitor) == '1', 'the next one counted again')
    notifications.mark_all_read(mia)  # as from another tab: the bus lowers this tab's count too
    await eventually(lambda: _count(visitor) == '', 'the count lowered by a reading elsewhere')


async def test_an_agent_hears_at_once_that_a_watch_was_assigned_to_them(visitor: User):
    mia = make_user(Role.MANAGER, name='Mia Manager')
    ada = make_user(Role.AGENT, email='ada@example.com')
    watch = take_in(mia)
    await open_as(visitor, 'ada@example.com', '/', 'dashboard')
    watches.update_watch(mia, watch.id, watches.parse_watch({'agent_id': ada.id}, partial=True), version=1)
    await eventually(lambda: _count(visitor) == '1', 'a notification for the agent')
    await eventually(lambda: visitor.notify.contains(f'{watch.sku} was assigned to you'), 'a toast for the agent')
    await visitor.should_see('Omega Seamaster · by Mia Manager')
