"""Domain events: what changed, recorded inside a unit of work and announced only once it has committed.

A service records an event in its session next to its audit entry (`record(session, WATCH_CHANGED, ids=...)`).
When that transaction commits, the events are handed to this process's subscribers; when it rolls back they
are dropped, so nothing ever reacts to a change that did not happen. Events of one name recorded in one unit
of work are published once, with all their ids (an import of 5,000 watches is one event, not 5,000).

Subscribers run in the committing thread right after the commit, so they must be quick (enqueue a task,
hand a message to a queue). One that fails is logged and never breaks the write, which is already durable.
An event may also arrive for a change that a savepoint later undid: subscribers re-read what they need from
the database, so an extra event costs a little work and never shows anything false.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

# Watches were created, edited, moved between stages, batches or locations, given photos, or deleted.
WATCH_CHANGED = 'watch.changed'
# Bookings were added to the ledger (a sale, a fee, a reversal, a payout, ...): ids are the transactions'.
LEDGER_CHANGED = 'ledger.changed'
# Some of those bookings were on watches: ids are the watches', so a watch's own screen can tell it was touched.
WATCH_BOOKED = 'ledger.watch_booked'

log = logging.getLogger(__name__)
_PENDING = 'svcrm.events'  # key in Session.info: {name: {id: None}} in the order recorded
_lock = threading.Lock()
_subscribers: dict[str, list[Handler]] = {}


@dataclass(frozen=True)
class Event:
    """Something that happened to the entities with these ids."""

    name: str
    ids: tuple[int, ...]


Handler = Callable[[Event], None]


def record(session: Session, name: str, *, ids: Iterable[int]) -> None:
    """Note the event in the caller's unit of work; it is published only if that unit of work commits."""
    if not session.in_transaction():
        session.begin()  # so that a rollback before any write still ends this unit of work and drops the event
    pending: dict[str, dict[int, None]] = session.info.setdefault(_PENDING, {})
    pending.setdefault(name, {}).update(dict.fromkeys(ids))


def subscribe(name: str, handler: Handler) -> Callable[[], None]:
    """Call `handler` after every commit that recorded `name`; returns the call that unsubscribes it.

    Subscribing the same handler twice keeps one subscription, so start-up code may run more than once.
    """
    with _lock:
        handlers = _subscribers.setdefault(name, [])
        if handler not in handlers:
            handlers.append(handler)
    return lambda: unsubscribe(name, handler)


def unsubscribe(name: str, handler: Handler) -> None:
    with _lock:
        handlers = _subscribers.get(name, [])
        if handler in handlers:
            handlers.remove(handler)


def publish(event: Event) -> None:
    """Hand the event to every subscriber of its name; a subscriber that raises is logged and skipped."""
    with _lock:
        handlers = list(_subscribers.get(event.name, ()))
    for handler in handlers:
        try:
            handler(event)
        except Exception:
            log.exception('A subscriber to %s failed (ids %s)', event.name, _sample(event.ids))


@sa.event.listens_for(Session, 'after_commit')
def _after_commit(session: Session) -> None:
    for name, ids in session.info.pop(_PENDING, {}).items():
        if ids:
            publish(Event(name, tuple(ids)))


@sa.event.listens_for(Session, 'after_soft_rollback')
def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """The whole unit of work was rolled back: forget its events (a savepoint's rollback keeps them)."""
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def _sample(ids: tuple[int, ...]) -> str:
    shown = ', '.join(map(str, ids[:10]))
    return shown if len(ids) <= 10 else f'{shown} and {len(ids) - 10:,} more'
