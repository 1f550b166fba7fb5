"""The frame around every staff screen: header with logo and user menu, and a drawer of what the role may open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from nicegui import ui

from components import theme
from components.global_search import GlobalSearch
from components.notification_bell import NotificationBell
from services.permissions import Actor, Permission

# Below this width the drawer leaves the page and opens over it from the menu button (Quasar's `lg`).
DRAWER_BREAKPOINT = 1024
_NAV_ROW = 'items-center gap-3 px-3 py-2 rounded-lg w-full no-wrap'
_NAV_IDLE = 'text-stone-700 dark:text-stone-200 hover:bg-stone-200 dark:hover:bg-stone-800'
_NAV_ACTIVE = 'bg-amber-100 text-amber-900 dark:bg-stone-800 dark:text-amber-200'


@dataclass(frozen=True)
class NavItem:
    """A drawer entry, shown with `permission` (any one of several, when a tuple), hidden from holders of `unless`
    (a "My ..." entry that those who see everyone's have no use for)."""

    label: str
    icon: str
    path: str
    permission: Permission | tuple[Permission, ...] | None = None
    unless: Permission | None = None

    def shown_to(self, actor: Actor) -> bool:
        if self.unless is not None and actor.can(self.unless):
            return False
        wanted = self.permission if isinstance(self.permission, tuple) else (self.permission,)
        return self.permission is None or any(actor.can(permission) for permission in wanted)


def app_shell(
    actor: Actor,
    nav: Sequence[NavItem],
    *,
    dark: bool,
    on_dark: Callable[[bool], Awaitable[None]],
    on_logout: Callable[[], object],
) -> None:
    """Build header and drawer once; the screens are swapped below them by `ui.sub_pages`."""
    theme.apply()
    dark_mode = ui.dark_mode(dark)
    with ui.header(elevated=False).classes(
        'bg-stone-900 text-white items-center px-3 py-2 gap-2 no-wrap border-b border-stone-800'
    ):
        ui.button(icon='menu', on_click=lambda: drawer.toggle()).props('flat round color=white aria-label=Menu').mark(
            'menu'
        )
        with ui.link(target='/').classes('flex items-center gap-2 no-underline text-white no-wrap'):
            ui.image('/static/logo.svg').classes('w-8 h-8 shrink-0')
            ui.label('SecondVintage').classes('text-lg font-semibold tracking-tight max-sm:hidden')  # room to search
        ui.space()
        if actor.can(Permission.INVENTORY_VIEW):
            GlobalSearch(actor)
        NotificationBell(actor)
        _user_menu(actor, dark_mode, on_dark, on_logout)
    with ui.left_drawer().props(f'width=232 breakpoint={DRAWER_BREAKPOINT} bordered') as drawer:
        drawer.classes('bg-stone-50 dark:bg-stone-900 p-2 gap-1').mark('nav')
        with ui.row().classes('lg:hidden items-center gap-2 px-3 pt-2 pb-4 no-wrap'):  # the header is covered then
            ui.image('/static/logo.svg').classes('w-7 h-7')
            ui.label('SecondVintage').classes('text-base font-semibold tracking-tight')
        allowed = [item for item in nav if item.shown_to(actor)]
        _nav_links(allowed, drawer)


def _user_menu(
    actor: Actor, dark_mode: ui.dark_mode, on_dark: Callable[[bool], Awaitable[None]], on_logout: Callable[[], object]
) -> None:
    """Who is logged in (name and role; just the initials on a phone), with account, dark mode and log out."""

    async def toggle_dark() -> None:
        dark_mode.value = not dark_mode.value
        await on_dark(bool(dark_mode.value))

    with ui.button().props('flat color=white').classes('px-2 shrink-0').mark('user-menu'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            with ui.avatar(color='amber-8', text_color='white', size='sm', font_size='0.8rem'):
                ui.label(_initials(actor.name)).classes('font-medium')
            with ui.column().classes('gap-0 items-start max-sm:hidden'):
                ui.label(actor.name).classes('text-sm leading-tight')
                ui.label(actor.role.value.title()).classes('text-xs text-stone-300 leading-tight')
            ui.icon('expand_more').classes('text-stone-400')
        with ui.menu().props('anchor="bottom right" self="top right"').classes('min-w-[14rem]'):
            with ui.column().classes('px-4 py-3 gap-0'):
                ui.label(actor.name).classes('text-sm font-medium')
                ui.label(actor.email).classes(f'text-xs {theme.MUTED}')
            ui.separator()
            with _menu_item('manage_accounts', lambda: ui.navigate.to('/account'), mark='menu-account'):
                ui.label('My account')
            with _menu_item('contrast', toggle_dark, mark='dark-toggle'):
                ui.label().bind_text_from(dark_mode, 'value', backward=_dark_toggle_label)
            ui.separator()
            with _menu_item('logout', on_logout, mark='logout'):
                ui.label('Log out')


def _dark_toggle_label(dark: bool | None) -> str:
    return 'Light mode' if dark else 'Dark mode'


@contextmanager
def _menu_item(icon: str, on_click: Callable, *, mark: str) -> Iterator[None]:
    """A menu entry with an icon in front; the caller adds the label inside the `with` block."""
    with ui.menu_item(on_click=on_click).mark(mark), ui.row().classes('items-center gap-3 no-wrap'):
        ui.icon(icon).classes(f'text-lg {theme.MUTED}')
        yield


def _nav_links(items: Sequence[NavItem], drawer: ui.left_drawer) -> None:
    """One link per screen; the current one is highlighted, and on a narrow screen choosing one closes the drawer."""
    rows: dict[str, ui.row] = {}
    close_overlay = f'() => {{ if (window.innerWidth < {DRAWER_BREAKPOINT}) getElement({drawer.id}).hide(); }}'
    for item in items:
        with ui.link(target=item.path).classes('no-underline w-full').on('click', js_handler=close_overlay):
            with ui.row().classes(f'{_NAV_ROW} {_NAV_IDLE}') as row:
                ui.icon(item.icon).classes('text-xl opacity-70')
                ui.label(item.label).classes('text-sm font-medium')
        rows[item.path] = row.mark(f'nav-{item.path.strip("/") or "home"}')

    def highlight(path: str) -> None:
        if drawer.is_deleted:  # the shell was redrawn for new rights; the router keeps its handlers for the tab
            return
        current = active_path(list(rows), path)
        for item_path, row in rows.items():
            active = item_path == current
            row.classes(add=_NAV_ACTIVE if active else _NAV_IDLE, remove=_NAV_IDLE if active else _NAV_ACTIVE)

    router = ui.context.client.sub_pages_router
    router.on_path_changed(highlight)
    highlight(router.current_path)


def active_path(paths: Sequence[str], location: str) -> str | None:
    """The menu entry a location belongs to: the longest path that is the location or a folder above it.

    The home page `/` counts only for itself, or every screen without an entry of its own would light it up.
    """
    location = urlsplit(location).path.rstrip('/') or '/'
    inside = [path for path in paths if location == path or (path != '/' and location.startswith(f'{path}/'))]
    return max(inside, key=len, default=None)


def _initials(name: str) -> str:
    return ''.join(part[0] for part in name.split()[:2]).upper() or '?'
