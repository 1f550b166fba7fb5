"""The header's bell: a live unread count, the newest notifications in a menu, and a toast when one arrives.

The bell follows `live.notification`, which carries every person's notifications: it keeps only the ones
addressed to its own user, and then re-reads count and list from the database (the message only says "look
again"; a reading in another tab arrives with no notification at all and just lowers the count).
"""

from __future__ import annotations

from datetime import UTC, datetime

from nicegui import background_tasks, ui

from components import format, live, theme
from components.live_screen import Coalescer
from components.offload import call
from services import notifications
from services.errors import ServiceError
from services.notifications import NotificationRead
from services.permissions import Actor

SHOWN = 8
_LOOK = {  # kind -> (icon, toast type)
    notifications.JOB_SUCCEEDED: ('task_alt', 'positive'),
    notifications.JOB_FAILED: ('error_outline', 'negative'),
    notifications.WATCH_ASSIGNED: ('assignment_ind', 'info'),
}
_DEFAULT_LOOK = ('notifications', 'info')


class NotificationBell:
    """Built once per tab inside the header; its subscriptions end with the tab."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        with (
            ui.button(icon='notifications')
            .props('flat round color=white aria-label=Notifications')
            .classes('shrink-0')
            .mark('bell') as self.button
        ):
            self.badge = ui.badge().props('floating rounded color=red-7').classes('text-[0.7rem]').mark('bell-count')
            self.badge.visible = False
            with ui.menu().props('anchor="bottom right" self="top right"').classes('w-[24rem] max-w-[95vw]'):
                self._menu_header()
                ui.separator()
                self.items = ui.column().classes('w-full gap-0 max-h-[70vh] overflow-y-auto no-wrap')
        self.refresher = Coalescer(self.refresh, self.button)
        live.notification.subscribe(self._heard)
        live.reconnected.subscribe(self.refresher.poke)
        background_tasks.create(self.refresh(), name='bell', context=self.button)

    def _menu_header(self) -> None:
        with ui.row().classes('w-full items-center justify-between no-wrap px-4 py-2'):
            ui.label('Notifications').classes(theme.CARD_TITLE)
            self.mark_all = ui.button('Mark all read', icon='done_all', on_click=self._mark_all_read).props(
                'flat dense no-caps size=sm'
            )
            self.mark_all.mark('mark-all-read')

    async def refresh(self) -> None:
        """Re-read the count and the newest few, and redraw the badge and the menu."""
        inbox = await call(notifications.inbox, self.actor, limit=SHOWN)
        self.badge.text = '99+' if inbox.unread > 99 else str(inbox.unread)
        self.badge.visible = inbox.unread > 0
        self.button.props(f'aria-label="Notifications ({inbox.unread} unread)"')
        self.mark_all.enabled = inbox.unread > 0
        self.items.clear()
        with self.items:
            for item in inbox.latest:
                self._item(item)
            if not inbox.latest:
                with ui.column().classes('w-full items-center gap-1 px-4 py-6').mark('no-notifications'):
                    ui.icon('notifications_none').classes(f'text-3xl {theme.MUTED}')
                    ui.label('Nothing yet. Finished jobs and watches assigned to you show up here.').classes(
                        f'text-sm text-center {theme.MUTED}'
                    )

    def _heard(self, message: dict) -> None:
        """A message for someone: if it is for us, toast a new notification and re-read the count."""
        if message.get('user_id') != self.actor.id:
            return
        if new := message.get('notification'):
            item = NotificationRead.model_validate(new)
            ui.notify(item.title, caption=item.body, type=_LOOK.get(item.kind, _DEFAULT_LOOK)[1], position='top-right')
        self.refresher.poke()

    def _item(self, item: NotificationRead) -> None:
        unread = item.read_at is None
        icon = _LOOK.get(item.kind, _DEFAULT_LOOK)[0]
        entry = ui.menu_item(on_click=lambda: self._open(item)).classes('w-full px-4 py-2')
        with entry.mark(f'notification-{item.id}'), ui.row().classes('w-full items-start gap-3 no-wrap'):
            ui.icon(icon).classes('text-xl mt-0.5 ' + ('text-amber-700' if unread else theme.MUTED))
            with ui.column().classes('gap-0 flex-1 min-w-0'):
                ui.label(item.title).classes('text-sm break-words ' + ('font-semibold' if unread else ''))
                if item.body:
                    ui.label(item.body).classes(f'text-xs break-words {theme.MUTED}')
                ui.label(_ago(item.created_at)).classes(f'text-xs {theme.MUTED}').tooltip(format.when(item.created_at))
            if unread:
                ui.element('span').classes('w-2 h-2 mt-2 rounded-full bg-amber-600 shrink-0').mark('unread-dot')

    async def _open(self, item: NotificationRead) -> None:
        """Mark it read (if it was not), then go where it points; the count follows through the bus."""
        if item.read_at is None:
            try:
                await call(notifications.mark_read, self.actor, item.id)
            except ServiceError as error:
                ui.notify(str(error), type='negative')
                return
            await self.refresh()
        if item.link and item.link.startswith('/'):
            ui.navigate.to(item.link)

    async def _mark_all_read(self) -> None:
        await call(notifications.mark_all_read, self.actor)
        await self.refresh()


def _ago(moment: datetime) -> str:
    """ "just now", "5 min ago", "3 h ago", then the date: how people scan a list of recent events."""
    seconds = (datetime.now(UTC) - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))).total_seconds()
    if seconds < 60:
        return 'just now'
    if seconds < 3600:
        return f'{int(seconds // 60)} min ago'
    if seconds < 24 * 3600:
        return f'{int(seconds // 3600)} h ago'
    return format.when(moment)
