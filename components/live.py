"""Live screens: the web process's one bus listener turns messages into NiceGUI events that screens subscribe to.

A screen subscribes inside its own builder (`live.watch_changed.subscribe(...)`): NiceGUI then runs the
callback in that screen's context and unsubscribes it when the browser tab goes away, so a closed tab leaves
nothing behind. Messages arrive on the event loop; callbacks must stay quick and push blocking reads through
`offload.call`.
"""

from __future__ import annotations

from nicegui import Event, app, background_tasks

from services import bus, descriptions, events, fx, permission_matrix, permissions, users

watch_changed = Event[[list[int]]]()  # ids of watches created, edited, moved or deleted by anyone, anywhere
job_changed = Event[[dict]]()  # a job's state (services.jobs snapshot)
notification = Event[[dict]]()  # a new notification or a change of someone's unread count
reconnected = Event[[]]()  # the bus was cut off: messages may have been lost, re-read what is shown
user_changed = Event[[dict]]()  # an account was created or changed: {'id', 'active', 'role'}
permissions_changed = Event[[list[str]]]()  # the permission matrix changed for these roles
descriptions_changed = Event[[int]]()  # a watch's listing texts changed (a draft, an edit, an approval, a callback)
ledger_changed = Event[[list[int]]]()  # ids of transactions just booked (sales, fees, reversals, payouts, ...)
watch_booked = Event[[list[int]]]()  # ids of the watches those bookings were on
fx_changed = Event[[list[str]]]()  # currencies whose exchange rates were imported or set by hand

_TOPICS = {
    events.WATCH_CHANGED: lambda message: watch_changed.emit(message['ids']),
    events.LEDGER_CHANGED: lambda message: ledger_changed.emit(message['ids']),
    events.WATCH_BOOKED: lambda message: watch_booked.emit(message['ids']),
    'job': job_changed.emit,
    'notification': notification.emit,
    bus.RECONNECTED: lambda _message: reconnected.emit(),
    users.TOPIC: lambda message: _user_changed(message),
    permission_matrix.TOPIC: lambda message: _permissions_changed(message['roles']),
    descriptions.TOPIC: lambda message: descriptions_changed.emit(message['watch_id']),
    fx.TOPIC: lambda message: fx_changed.emit(message['currencies']),
}


def start() -> None:
    """Listen to the bus for as long as the app runs (called once when the app is assembled)."""
    app.on_startup(lambda: background_tasks.create(bus.get_bus().listen(_dispatch), name='bus listener'))


def _dispatch(topic: str, message: bus.Message) -> None:
    if handler := _TOPICS.get(topic):
        handler(message)


def _user_changed(message: bus.Message) -> None:
    """Actors of that person loaded before now are refused by the services here too, then the screens follow."""
    permissions.notice_change(user_ids=[message['id']])
    user_changed.emit(message)


def _permissions_changed(roles: list[str]) -> None:
    permissions.notice_change(roles=[permissions.parse_role(role) for role in roles])
    permissions_changed.emit(roles)
