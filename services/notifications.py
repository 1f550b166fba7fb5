"""Notifications: messages for one person (their job finished, a watch was assigned to them), kept until read.

`notify` adds the row in the caller's unit of work, so a notification exists only if what it tells of
happened. Once that unit of work commits, the bus tells the recipient's open screens (the bell's count, a
toast) through the `notification` topic, with the recipient's id so every other screen ignores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.system import Notification
from db.types import utcnow
from services import bus, events
from services.errors import NotFound
from services.paging import Page, clamp
from services.permissions import Actor

CREATED = 'notification.created'  # ids: the new notifications
READ = 'notification.read'  # ids: the people whose unread count went down
TOPIC = 'notification'


JOB_SUCCEEDED = 'job.succeeded'
JOB_FAILED = 'job.failed'
WATCH_ASSIGNED = 'watch.assigned'
BOOKKEEPERS = (Role.FINANCE, Role.ADMIN)  # who hears of what happens to the books (rates, reports)


class NotificationRead(BaseModel):
    id: int
    kind: str
    title: str
    body: str | None
    link: str | None
    created_at: datetime
    read_at: datetime | None


def notify(
    session: Session, user_id: int, *, kind: str, title: str, body: str | None = None, link: str | None = None
) -> None:
    """Leave a message for `user_id`; it is announced to their screens after the caller commits."""
    row = Notification(user_id=user_id, kind=kind, title=title[:200], body=body and body[:1000], link=link)
    session.add(row)
    session.flush()
    events.record(session, CREATED, ids=[row.id])


def notify_roles(
    session: Session, roles: Iterable[Role], *, kind: str, title: str, body: str | None = None, link: str | None = None
) -> None:
    """Leave the same message for every active user holding one of the roles, in the caller's unit of work."""
    people = session.execute(
        sa.select(User.id).where(User.active.is_(True), User.role.in_(list(roles))).order_by(User.id)
    ).scalars()
    for user_id in people:
        notify(session, user_id, kind=kind, title=title, body=body, link=link)


def latest(actor: Actor, *, offset: int = 0, limit: int = 20) -> Page[NotificationRead]:
    """The actor's own notifications, newest first."""
    offset, limit = clamp(offset, limit)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Notification).where(Notification.user_id == actor.id))
        rows = session.exec(_newest(actor).offset(offset).limit(limit)).all()
        return Page(total=total.one(), items=[_read(row) for row in rows])


class Inbox(BaseModel):
    """What the bell shows: how many are unread, and the newest few (read or not)."""

    unread: int
    latest: list[NotificationRead]


def inbox(actor: Actor, *, limit: int = 8) -> Inbox:
    """The bell's count and menu in one read, so the two never disagree."""
    _, limit = clamp(0, limit)
    with session_scope() as session:
        rows = session.exec(_newest(actor).limit(limit)).all()
        return Inbox(unread=_count_unread(session, actor), latest=[_read(row) for row in rows])


def unread_count(actor: Actor) -> int:
    with session_scope() as session:
        return _count_unread(session, actor)


def mark_read(actor: Actor, notification_id: int) -> None:
    """Mark one of the actor's own notifications read (someone else's is not found, not refused: no probing)."""
    with session_scope() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.user_id != actor.id:
            raise NotFound('That notification does not exist.')
        if row.read_at is None:
            row.read_at = utcnow()
            events.record(session, READ, ids=[actor.id])


def mark_all_read(actor: Actor) -> int:
    """Mark everything the actor has not read as read; returns how many."""
    with session_scope() as session:
        result = session.execute(sa.update(Notification).where(*_unread(actor)).values(read_at=utcnow()))
        if result.rowcount:
            events.record(session, READ, ids=[actor.id])
        return result.rowcount


def announce(event: events.Event) -> None:
    """After commit: tell the recipients' screens about new notifications (subscribed at start-up)."""
    with session_scope() as session:
        rows = session.exec(select(Notification).where(col(Notification.id).in_(event.ids))).all()
        for row in rows:
            message = _read(row).model_dump(mode='json')
            bus.get_bus().publish(TOPIC, {'user_id': row.user_id, 'notification': message})


def announce_read(event: events.Event) -> None:
    """After commit: reading happened in one tab, so the person's other tabs update their bells (no body)."""
    for user_id in event.ids:
        bus.get_bus().publish(TOPIC, {'user_id': user_id, 'notification': None})


def broadcast_notifications() -> None:
    """Announce committed notifications and reads on the bus (called once by each process that writes them)."""
    events.subscribe(CREATED, announce)
    events.subscribe(READ, announce_read)


def _newest(actor: Actor) -> SelectOfScalar[Notification]:
    return select(Notification).where(Notification.user_id == actor.id).order_by(col(Notification.id).desc())


def _count_unread(session: Session, actor: Actor) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(*_unread(actor))).one()


def _read(row: Notification) -> NotificationRead:
    return NotificationRead.model_validate(row, from_attributes=True)


def _unread(actor: Actor) -> tuple[sa.ColumnElement[bool], ...]:
    return Notification.user_id == actor.id, col(Notification.read_at).is_(None)
