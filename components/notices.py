"""Messages in place of or above content: a banner asking for action, a polite refusal, an empty list."""

from __future__ import annotations

from nicegui import ui

from components import theme


def banner(text: str, *, icon: str, action: str, target: str) -> ui.row:
    """A full-width amber strip under the header with one link to where the matter is settled."""
    with ui.row().classes(
        'w-full items-center gap-3 px-4 md:px-6 py-2 no-wrap '
        'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-100'
    ) as strip:
        ui.icon(icon).classes('text-xl shrink-0')
        ui.label(text).classes('text-sm')
        ui.space()
        ui.link(action, target).classes('text-sm font-medium text-inherit whitespace-nowrap')
    return strip


def refusal(reason: str) -> None:
    """Shown instead of a screen the role may not open; the services would refuse its data anyway."""
    title = 'This screen is not open to your role.'
    dead_end('lock', title, reason, back=('Back to the dashboard', '/'), mark='forbidden')


def dead_end(icon: str, title: str, reason: str, *, back: tuple[str, str], mark: str) -> None:
    """A calm card in place of a screen that cannot be shown, with one way back."""
    label, target = back
    with ui.column().classes(f'{theme.NARROW_PAGE} items-center py-16').mark(mark):
        with ui.card().classes(f'{theme.CARD} max-w-lg items-center text-center gap-3 py-10'):
            ui.icon(icon, size='2.5rem').classes('text-stone-400')
            ui.label(title).classes('text-lg font-medium')
            ui.label(reason).classes(theme.SUBTITLE)
            back_button = ui.button(label, icon='arrow_back', on_click=lambda: ui.navigate.to(target))
            back_button.props('outline').classes('mt-2')


def empty_state(icon: str, title: str, hint: str) -> ui.column:
    """What a list shows when there is nothing in it yet: what is missing, and how it comes to be."""
    with ui.column().classes('w-full items-center text-center gap-1 py-10') as block:
        ui.icon(icon, size='2rem').classes('text-stone-300 dark:text-stone-600')
        ui.label(title).classes('text-sm font-medium')
        ui.label(hint).classes(theme.SUBTITLE)
    return block
