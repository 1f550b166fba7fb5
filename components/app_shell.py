"""The frame around every staff screen: header with logo and user menu, and a drawer of what the role may open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nicegui import ui

from components import theme
from services.permissions import Actor, Permission


@dataclass(frozen=True)
class NavItem:
    label: str
    icon: str
    path: str
    permission: Permission | None = None


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
    with ui.header(elevated=False).classes('bg-stone-900 text-white items-center px-3 py-2 gap-2'):
        ui.button(icon='menu', on_click=lambda: drawer.toggle()).props('flat round color=white').mark('menu')
        with ui.link(target='/').classes('flex items-center gap-2 no-underline text-white'):
            ui.image('/static/logo.svg').classes('w-8 h-8')
            ui.label('SecondVintage').classes('text-lg font-semibold tracking-tight')
        ui.space()
        _user_menu(actor, dark_mode, on_dark, on_logout)
    with ui.left_drawer(value=True).props('width=232 breakpoint=1024 bordered') as drawer:
        drawer.classes('bg-stone-50 dark:bg-stone-900 p-2')
        for item in nav:
            if item.permission is None or actor.can(item.permission):
                _nav_link(item)


def _user_menu(
    actor: Actor, dark_mode: ui.dark_mode, on_dark: Callable[[bool], Awaitable[None]], on_logout: Callable[[], object]
) -> None:
    initials = ''.join(part[0] for part in actor.name.split()[:2]).upper() or '?'
    with ui.button().props('flat no-caps color=white').classes('px-2').mark('user-menu'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.avatar(initials, color='amber-8', text_color='white', size='sm')
            with ui.column().classes('gap-0 items-start max-sm:hidden'):
                ui.label(actor.name).classes('text-sm leading-tight')
                ui.label(actor.role.value.title()).classes('text-xs text-stone-300 leading-tight')
        with ui.menu().props('anchor="bottom right" self="top right"'):
            ui.menu_item('My account', on_click=lambda: ui.navigate.to('/account')).props('clickable')

            async def toggle_dark() -> None:
                dark_mode.value = not dark_mode.value
                await on_dark(bool(dark_mode.value))

            ui.menu_item('Dark mode on / off', on_click=toggle_dark).mark('dark-toggle')
            ui.separator()
            ui.menu_item('Log out', on_click=on_logout).mark('logout')


def _nav_link(item: NavItem) -> None:
    with ui.link(target=item.path).classes('no-underline w-full'):
        with ui.row().classes(
            'items-center gap-3 px-3 py-2 rounded-lg w-full text-stone-700 dark:text-stone-200 '
            'hover:bg-stone-200 dark:hover:bg-stone-800'
        ):
            ui.icon(item.icon).classes('text-xl text-stone-500')
            ui.label(item.label).classes('text-sm font-medium')
