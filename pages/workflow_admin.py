"""Workflow configuration: the stages in order, and which moves between them each role may make.

Every change is saved at once through the service and the screen is drawn again from its answer; a refusal
(a stage still holding watches, a name already taken) is shown above the lists until the next change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from nicegui import ui

from components import theme
from components.offload import call
from db.enums import Role
from services import workflow
from services.errors import ServiceError
from services.permissions import Actor

Change = Callable[[], Awaitable[object]]


async def view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE) as page:
        with ui.column().classes('gap-0'):
            ui.label('Workflow').classes(theme.TITLE)
            ui.label('The stages a watch passes through, and who may move it from one to the next.').classes(
                theme.SUBTITLE
            )
        body = ui.column().classes('w-full gap-6')
    await _draw(actor, body, None)
    page.mark('workflow-admin')  # once the lists are drawn


async def _draw(actor: Actor, body: ui.column, refusal: str | None) -> None:
    stages = await call(workflow.stages)
    transitions = await call(workflow.transitions)

    async def apply(change: Change) -> None:
        """Run one change; draw everything again, with the service's refusal if there was one."""
        try:
            await change()
            problem = None
        except ServiceError as error:
            problem = str(error)
        body.clear()
        await _draw(actor, body, problem)

    with body:
        if refusal:
            with ui.row().classes(theme.PROBLEM).mark('workflow-refusal'):
                ui.icon('block').classes('text-xl shrink-0')
                ui.label(refusal).classes('text-sm')
        _stages(actor, stages, apply)
        _transitions(actor, stages, transitions, apply)


def _service(function: Callable[..., object], *args: object, **kwargs: object) -> Change:
    """A change as a coroutine factory, run off the event loop like every service call."""
    return lambda: call(function, *args, **kwargs)


# --- stages -----------------------------------------------------------------------------------------------------


def _stages(actor: Actor, stages: list[workflow.StageRead], apply: Callable[[Change], Awaitable[None]]) -> None:
    with ui.card().classes(theme.CARD + ' max-w-3xl').mark('stages'):
        ui.label('Stages').classes(theme.CARD_TITLE)
        order = [stage.id for stage in stages]
        for index, stage in enumerate(stages):
            _stage_row(actor, stage, index, order, apply)
        ui.separator()
        _new_stage(actor, apply)


def _stage_row(
    actor: Actor,
    stage: workflow.StageRead,
    index: int,
    order: list[int],
    apply: Callable[[Change], Awaitable[None]],
) -> None:
    def moved(step: int) -> list[int]:
        ids = list(order)
        ids.insert(index + step, ids.pop(index))
        return ids

    with ui.row().classes('w-full items-center gap-2 no-wrap').mark(f'stage-{stage.key}'):
        with ui.column().classes('gap-0'):
            up = ui.button(
                icon='keyboard_arrow_up', on_click=lambda: apply(_service(workflow.reorder_stages, actor, moved(-1)))
            )
            up.props('flat round dense size=sm aria-label="Move up"').mark(f'up-{stage.key}').set_enabled(index > 0)
            down = ui.button(
                icon='keyboard_arrow_down', on_click=lambda: apply(_service(workflow.reorder_stages, actor, moved(1)))
            )
            down.props('flat round dense size=sm aria-label="Move down"').mark(f'down-{stage.key}')
            down.set_enabled(index < len(order) - 1)
        _colour_button(
            stage.colour, lambda colour: apply(_service(workflow.update_stage, actor, stage.id, colour=colour))
        )
        name = (
            ui.input(value=stage.name).props('dense outlined').classes('flex-1 min-w-[8rem]').mark(f'name-{stage.key}')
        )

        async def rename() -> None:
            if (name.value or '').strip() != stage.name:
                await apply(_service(workflow.update_stage, actor, stage.id, name=name.value))

        name.on('blur', rename).on('keydown.enter', rename)
        ui.switch('In stock', value=stage.in_stock).classes('whitespace-nowrap').on_value_change(
            lambda e: apply(_service(workflow.update_stage, actor, stage.id, in_stock=e.value))
        ).mark(f'in-stock-{stage.key}')
        ui.switch('Active', value=stage.active).classes('whitespace-nowrap').on_value_change(
            lambda e: apply(_service(workflow.update_stage, actor, stage.id, active=e.value))
        ).mark(f'active-{stage.key}')
        with ui.element('div').classes('w-12 shrink-0'):  # every row keeps the room, so the switches line up
            if stage.is_initial:
                ui.badge('Start').props('outline').classes('text-xs')


def _colour_button(colour: str, on_pick: Callable[[str], Awaitable[None]]) -> None:
    """A swatch that opens a colour picker; the pick is saved when the picker reports it."""
    with ui.element('div').classes('w-8 h-8 shrink-0 rounded-full cursor-pointer border border-stone-300') as swatch:
        ui.color_picker(on_pick=lambda e: on_pick(e.color))
    swatch.style(f'background:{colour}').props('role=button aria-label="Change colour" tabindex=0')


def _new_stage(actor: Actor, apply: Callable[[Change], Awaitable[None]]) -> None:
    with ui.row().classes('w-full items-center gap-2').mark('new-stage'):
        name = ui.input('New stage').props('dense outlined').classes('flex-1').mark('new-stage-name')
        colour = (
            ui.color_input('Colour', value='#64748b').props('dense outlined').classes('w-36').mark('new-stage-colour')
        )
        in_stock = ui.checkbox('In stock', value=True).mark('new-stage-in-stock')
        ui.button(
            'Add stage',
            icon='add',
            on_click=lambda: apply(
                _service(workflow.create_stage, actor, name.value, colour.value, in_stock=in_stock.value)
            ),
        ).props('unelevated').mark('add-stage')


# --- transitions ------------------------------------------------------------------------------------------------


def _transitions(
    actor: Actor,
    stages: list[workflow.StageRead],
    transitions: list[workflow.TransitionRead],
    apply: Callable[[Change], Awaitable[None]],
) -> None:
    roles = list(Role)
    with ui.card().classes(theme.CARD).mark('transitions'):
        ui.label('Moves').classes(theme.CARD_TITLE)
        ui.label('Admins may make any configured move; automatic moves are also made by the system.').classes(
            theme.SUBTITLE
        )
        with ui.grid(columns=f'minmax(10rem,1fr) repeat({len(roles) + 2}, auto)').classes(
            'w-full items-center gap-x-3 gap-y-0 text-sm'
        ):
            for heading in ('Move', *(role.value.title() for role in roles), 'Automatic', ''):
                ui.label(heading).classes(f'text-xs font-medium {theme.MUTED}')
            for transition in transitions:
                _transition_row(actor, transition, roles, apply)
        ui.separator()
        _new_transition(actor, stages, apply)


def _transition_row(
    actor: Actor, move: workflow.TransitionRead, roles: list[Role], apply: Callable[[Change], Awaitable[None]]
) -> None:
    mark = f'{move.from_stage_id}-{move.to_stage_id}'

    def save(role: Role | None = None, allowed: bool = False, automatic: bool | None = None) -> Change:
        wanted = [r for r in move.roles if r is not role] + ([role] if role and allowed else [])
        auto = move.automatic if automatic is None else automatic
        return _service(workflow.set_transition, actor, move.from_stage_id, move.to_stage_id, wanted, auto)

    ui.label(f'{move.from_name} → {move.to_name}').mark(f'move-{mark}')
    for role in roles:
        ui.checkbox(value=role in move.roles).on_value_change(
            partial(lambda e, r: apply(save(r, e.value)), r=role)
        ).mark(f'role-{mark}-{role.value}')
    ui.checkbox(value=move.automatic).on_value_change(lambda e: apply(save(automatic=e.value))).mark(f'auto-{mark}')
    ui.button(
        icon='delete',
        on_click=lambda: apply(_service(workflow.remove_transition, actor, move.from_stage_id, move.to_stage_id)),
    ).props('flat round dense aria-label="Remove move"').mark(f'remove-{mark}')


def _new_transition(actor: Actor, stages: list[workflow.StageRead], apply: Callable[[Change], Awaitable[None]]) -> None:
    options = {stage.id: stage.name for stage in stages}
    with ui.row().classes('w-full items-center gap-2').mark('new-move'):
        source = ui.select(options, label='From').props('dense outlined').classes('w-48').mark('new-move-from')
        target = ui.select(options, label='To').props('dense outlined').classes('w-48').mark('new-move-to')

        async def add() -> None:
            if source.value is None or target.value is None:
                source.error = None if source.value else 'Choose a stage.'
                target.error = None if target.value else 'Choose a stage.'
                return
            await apply(_service(workflow.set_transition, actor, source.value, target.value, [Role.MANAGER]))

        ui.button('Add move', icon='add', on_click=add).props('unelevated').mark('add-move')
