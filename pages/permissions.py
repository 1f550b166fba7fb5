"""The permission matrix: what each role may do, one checkbox per role and permission, saved at once.

Cells that differ from the default are marked; "Reset to defaults" drops every change. The services read the same
matrix, and the open screens of the people concerned redraw themselves within a second.
"""

from __future__ import annotations

from itertools import groupby

from nicegui import ui

from components import theme
from components.dialogs import confirm
from components.offload import call
from db.enums import Role
from services import permission_matrix
from services.errors import ServiceError
from services.permission_matrix import MatrixCell, MatrixRow
from services.permissions import Actor

_CHANGED = 'bg-amber-50 dark:bg-amber-950 rounded ring-1 ring-amber-400'
_COLUMNS = f'minmax(12rem, 1fr) repeat({len(Role)}, minmax(4.5rem, auto))'


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('permissions'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Permissions').classes(theme.TITLE)
                ui.label('What each role may do. Changes are saved at once and apply immediately.').classes(
                    theme.SUBTITLE
                )
            reset = ui.button('Reset to defaults', icon='restart_alt').props('outline').mark('reset-permissions')
        _legend()
        grid = ui.column().classes('w-full gap-4')
    reset.on_click(lambda: _reset(actor, grid))
    await _draw(actor, grid)


async def _draw(actor: Actor, grid: ui.column) -> None:
    rows = await call(permission_matrix.matrix, actor)
    grid.clear()
    with grid:
        for group, members in groupby(rows, key=lambda row: row.group):
            _group(actor, group, list(members))


def _legend() -> None:
    with ui.row().classes(f'items-center gap-2 text-xs {theme.MUTED}'):
        ui.element('span').classes(f'inline-block w-4 h-4 {_CHANGED}')
        ui.label('Changed from the default')
        ui.icon('lock').classes('text-sm ml-4')
        ui.label('Always kept by admins, so the matrix can always be put right')


def _group(actor: Actor, group: str, rows: list[MatrixRow]) -> None:
    with ui.card().classes(theme.CARD + ' p-0 gap-0').mark(f'group-{group}'):
        with ui.element('div').classes('w-full overflow-x-auto'):
            with ui.grid(columns=_COLUMNS).classes('w-full min-w-[40rem] items-center gap-0 text-sm'):
                ui.label(group).classes(f'{theme.CARD_TITLE} px-4 py-3')
                for role in Role:
                    ui.label(role.value.title()).classes(f'text-xs font-medium text-center {theme.MUTED}')
                for row in rows:
                    _row(actor, row)


def _row(actor: Actor, row: MatrixRow) -> None:
    with ui.column().classes('gap-0 px-4 py-2 border-t border-stone-100 dark:border-stone-800 h-full justify-center'):
        ui.label(row.description)
        ui.label(row.permission.value).classes(f'text-xs font-mono {theme.MUTED}')
    for cell in row.cells:
        with ui.row().classes('justify-center items-center h-full border-t border-stone-100 dark:border-stone-800'):
            _checkbox(actor, row, cell)


def _checkbox(actor: Actor, row: MatrixRow, cell: MatrixCell) -> None:
    mark = f'cell-{cell.role.value}-{row.permission.value}'
    with ui.element('div').classes(f'p-0.5 {_CHANGED if cell.overridden else ""}') as frame:
        box = ui.checkbox(value=cell.granted).props('dense').mark(mark)
    label = f'{cell.role.value.title()} may {row.permission.description}'
    box.props(f'aria-label="{label}"').tooltip(f'Default: {"yes" if cell.default else "no"}')
    if cell.locked:
        box.disable()
        box.props('checked-icon=lock')

    async def changed() -> None:
        if bool(box.value) == cell.granted:  # the box was put back after a refusal
            return
        try:
            saved = await call(permission_matrix.set_permission, actor, cell.role, row.permission, bool(box.value))
        except ServiceError as error:
            box.value = cell.granted  # put the box back as it is stored
            ui.notify(str(error), type='negative')
            return
        cell.granted = saved.granted
        frame.classes(add=_CHANGED) if saved.overridden else frame.classes(remove=_CHANGED)
        verb = 'may now' if saved.granted else 'may no longer'
        ui.notify(f'{cell.role.value.title()} {verb} {row.permission.description}.', type='positive')

    box.on_value_change(changed)


async def _reset(actor: Actor, grid: ui.column) -> None:
    if not await confirm('Reset every role to the default permissions?', 'Reset', detail='Every change is undone.'):
        return
    try:
        dropped = await call(permission_matrix.reset_defaults, actor)
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return
    ui.notify(f'Defaults restored ({dropped} change{"" if dropped == 1 else "s"} undone).', type='positive')
    await _draw(actor, grid)
