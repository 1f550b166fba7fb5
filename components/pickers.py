"""Finger-sized choosers for the tablet intake: brand buttons with a searchable list, and big on/off tiles."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nicegui import ui

TOUCH = 'min-h-12 text-base'  # 48 px: the smallest target a fingertip hits reliably


class BrandPicker:
    """The most common brands as big buttons (one tap), every other brand in a searchable list below them.

    The list is the one source of the value; a button only sets it, so both always agree.
    """

    def __init__(self, common: Sequence[str], every: Sequence[str], on_change: Callable[[], object]) -> None:
        self._on_change = on_change
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-4 gap-2'):
            self._buttons = {
                name: ui.button(name, on_click=lambda name=name: self.set_value(name))
                .props('outline')
                .classes(f'{TOUCH} w-full')
                .mark(f'brand-{name}')
                for name in common
            }
        self.select = (
            choice_select(list(every), 'Brand', on_change=self._changed)
            .props('clearable')
            .classes('w-full')
            .mark('brand')
        )

    @property
    def value(self) -> str | None:
        return self.select.value or None

    def set_value(self, name: str | None) -> None:
        set_choice(self.select, name)

    def _changed(self) -> None:
        for name, button in self._buttons.items():
            chosen = name == self.select.value
            button.props(remove='outline unelevated').props('unelevated' if chosen else 'outline')
        self._on_change()


def choice_select(options: list[str], label: str, *, on_change: Callable[[], object]) -> ui.select:
    """A searchable list that also takes a value not in it (a vintage model the reference table lacks)."""
    return ui.select(
        options, label=label, with_input=True, new_value_mode='add-unique', on_change=lambda _: on_change()
    ).props('outlined input-debounce=0')


def set_choice(select: ui.select, value: str | None) -> None:
    """Set a `choice_select`, first adding the value to its options when it is not one of them."""
    if value and value not in select.options:
        select.set_options([*select.options, value], value=value)
    else:
        select.value = value or None


class BigToggle:
    """An on/off tile the size of a button, for yes/no facts such as "box" and "papers"."""

    def __init__(self, label: str, on_change: Callable[[], object]) -> None:
        self._on_change = on_change
        self.value = False
        self.button = ui.button(label, icon='check_box_outline_blank', on_click=self.flip)
        self.button.props('outline align=left').classes(f'{TOUCH} flex-1')

    def flip(self) -> None:
        self.set_value(not self.value)
        self._on_change()

    def set_value(self, value: bool) -> None:
        self.value = bool(value)
        icon = 'check_box' if self.value else 'check_box_outline_blank'
        look = 'unelevated' if self.value else 'outline'
        self.button.props(remove='outline unelevated icon').props(f'{look} icon={icon}')
