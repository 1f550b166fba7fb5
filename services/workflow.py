"""The workflow: which stage a watch is in, who may move it where, its history, and the admin's configuration.

A move is legal only along a configured transition and only for the roles named on it (an admin may make any
configured move by hand; the system makes only the moves marked automatic). A refusal says exactly why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.workflow import Stage, StageEvent, StageTransition
from services import audit
from services.bulk import BulkResult
from services.errors import InvalidTransition, NotFound, ServiceError, ValidationFailed
from services.permissions import SYSTEM, Actor, Permission, require
from services.scope import watch_in_scope
from services.watches import WatchRead, read_watch, save_versioned

NOTE_MAX_LENGTH = 500
_COLOUR = re.compile(r'#(?:[0-9a-f]{3}){1,2}')


class StageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    colour: str
    position: int
    is_initial: bool
    in_stock: bool
    active: bool


class TransitionRead(BaseModel):
    id: int
    from_stage_id: int
    from_name: str
    to_stage_id: int
    to_name: str
    roles: list[Role]
    automatic: bool


class StageEventRead(BaseModel):
    """One move in a watch's history; `from_name` is None for the first event (intake)."""

    id: int
    at: datetime
    actor_name: str
    from_stage_id: int | None
    from_name: str | None
    to_stage_id: int
    to_name: str
    note: str | None


def stages() -> list[StageRead]:
    """Every stage in workflow order, inactive ones included (old history still names them)."""
    with session_scope() as session:
        return [StageRead.model_validate(stage) for stage in session.exec(select(Stage).order_by(Stage.position))]


def transitions() -> list[TransitionRead]:
    """Every configured move in workflow order of where it starts, then where it leads (the admin's matrix)."""
    with session_scope() as session:
        by_id = {stage.id: stage for stage in session.exec(select(Stage))}
        rows = session.exec(select(StageTransition)).all()
        reads = [_transition_read(row, by_id[row.from_stage_id], by_id[row.to_stage_id]) for row in rows]
    positions = {stage_id: stage.position for stage_id, stage in by_id.items()}
    return sorted(reads, key=lambda read: (positions[read.from_stage_id], positions[read.to_stage_id]))


def allowed_moves(actor: Actor, watch_id: int) -> list[StageRead]:
    """The active stages this actor may move this watch to now, in workflow order (what a move menu offers)."""
    with session_scope() as session:
        watch = watch_in_scope(session, actor, watch_id)
        if not actor.can(Permission.STAGE_MOVE):
            return []
        rows = session.exec(
            select(StageTransition, Stage)
            .join(Stage, Stage.id == StageTransition.to_stage_id)
            .where(StageTransition.from_stage_id == watch.stage_id, Stage.active)
            .order_by(Stage.position)
        ).all()
        return [StageRead.model_validate(stage) for transition, stage in rows if _may_make(actor, transition)]


def move_watch(
    actor: Actor, watch_id: int, to_stage_id: int, *, note: str | None = None, version: int | None = None
) -> WatchRead:
    """Move one watch by hand; with `version` the move is refused if someone saved the watch since it was read."""
    require(actor, Permission.STAGE_MOVE)
    note = _note(note)
    with session_scope() as session:
        watch = watch_in_scope(session, actor, watch_id)
        _move(session, actor, watch, _stage(session, to_stage_id), note=note, version=version)
        return read_watch(session, actor, watch)


def move_watches(actor: Actor, watch_ids: Iterable[int], to_stage_id: int) -> BulkResult:
    """Move many watches at once; a refused one is reported with its reason and does not stop the rest.

    Every check comes before the one write of a move, so a refused watch has changed nothing and the moved
    ones commit together.
    """
    require(actor, Permission.STAGE_MOVE)
    result = BulkResult()
    with session_scope() as session:
        target = _stage(session, to_stage_id)
        for watch_id in dict.fromkeys(watch_ids):
            watch = None
            try:
                watch = watch_in_scope(session, actor, watch_id)
                _move(session, actor, watch, target, note=None, version=None)
                result.done.append(watch_id)
            except ServiceError as error:
                result.refuse(watch_id, watch.sku if watch else None, str(error))
    return result


def system_move(watch_id: int, to_stage_key: str, *, reason: str) -> WatchRead:
    """A move the system makes by itself (a listing went live, a sale was booked, DHL delivered), only along
    transitions marked automatic; `reason` is kept as the history note."""
    with session_scope() as session:
        watch = watch_in_scope(session, SYSTEM, watch_id)
        system_move_in(session, watch, to_stage_key, reason=reason)
        return read_watch(session, SYSTEM, watch)


def system_move_in(
    session: Session,
    watch: Watch,
    to_stage_key: str,
    *,
    reason: str,
    actor: Actor = SYSTEM,
    values: dict[str, Any] | None = None,
) -> None:
    """`system_move` inside the caller's unit of work, so a sale's bookings and its move commit or fail together;
    `values` are written with the move (the sale's date as `sold_on`), `actor` is named in the history."""
    target = session.exec(select(Stage).where(Stage.key == to_stage_key)).first()
    if target is None:
        raise NotFound(f'There is no stage "{to_stage_key}".')
    _move(session, actor, watch, target, note=_note(reason), version=None, automatic=True, values=values)


def restore_stage_in(
    session: Session, actor: Actor, watch: Watch, stage_id: int, *, reason: str, values: dict[str, Any] | None = None
) -> None:
    """Put a watch back in the stage it left by an automatic move now being taken back (a reversed sale).

    Undoing follows no configured transition: it is not a new step in the workflow but the removal of one.
    """
    target = _stage(session, stage_id)
    if target.id != watch.stage_id:
        _move(session, actor, watch, target, note=_note(reason), version=None, undo=True, values=values)


def history(actor: Actor, watch_id: int) -> list[StageEventRead]:
    """Who moved the watch when, from where to where, newest first."""
    source, target = aliased(Stage), aliased(Stage)
    with session_scope() as session:
        watch_in_scope(session, actor, watch_id)
        rows = session.exec(
            select(StageEvent, User.name, source.name, target.name)
            .outerjoin(User, User.id == StageEvent.actor_id)
            .outerjoin(source, source.id == StageEvent.from_stage_id)
            .join(target, target.id == StageEvent.to_stage_id)
            .where(StageEvent.watch_id == watch_id)
            .order_by(StageEvent.at.desc(), StageEvent.id.desc())
        ).all()
        return [
            StageEventRead(
                **event.model_dump(include={'id', 'at', 'from_stage_id', 'to_stage_id', 'note'}),
                actor_name=actor_name or SYSTEM.name,
                from_name=from_name,
                to_name=to_name,
            )
            for event, actor_name, from_name, to_name in rows
        ]


def create_stage(actor: Actor, name: str, colour: str, *, in_stock: bool = True) -> StageRead:
    """Add a stage at the end of the workflow; its key is derived from the name and never changes."""
    require(actor, Permission.WORKFLOW_CONFIGURE)
    colour = _colour(colour)
    with session_scope() as session:
        name = _unique_name(session, name)
        last = session.exec(select(func.max(Stage.position))).one() or 0
        stage = Stage(key=_unique_key(session, name), name=name, colour=colour, position=last + 10, in_stock=in_stock)
        session.add(stage)
        session.flush()
        audit.record(session, actor, 'stage.created', 'stage', stage.id, after=stage.model_dump(exclude={'id'}))
        return StageRead.model_validate(stage)


def update_stage(
    actor: Actor,
    stage_id: int,
    *,
    name: str | None = None,
    colour: str | None = None,
    in_stock: bool | None = None,
    active: bool | None = None,
) -> StageRead:
    """Rename, recolour, count in or out of stock, or switch a stage off (only once no watch is in it)."""
    require(actor, Permission.WORKFLOW_CONFIGURE)
    with session_scope() as session:
        stage = _stage(session, stage_id)
        wanted = {'colour': None if colour is None else _colour(colour), 'in_stock': in_stock, 'active': active}
        if name is not None:
            wanted['name'] = _unique_name(session, name, exclude_id=stage.id)
        if active is False:
            _check_can_deactivate(session, stage)
        before, after = audit.changes(
            stage.model_dump(), {key: value for key, value in wanted.items() if value is not None}
        )
        for key, value in after.items():
            setattr(stage, key, value)
        if after:
            audit.record(session, actor, 'stage.updated', 'stage', stage.id, before=before, after=after)
        return StageRead.model_validate(stage)


def reorder_stages(actor: Actor, stage_ids: list[int]) -> list[StageRead]:
    """Put the stages in the order given, which must name every stage exactly once."""
    require(actor, Permission.WORKFLOW_CONFIGURE)
    with session_scope() as session:
        by_id = {stage.id: stage for stage in session.exec(select(Stage).order_by(Stage.position))}
        if sorted(stage_ids) != sorted(by_id):
            raise ValidationFailed('To reorder the stages, list every stage exactly once.')
        before = [stage.key for stage in by_id.values()]
        for index, stage_id in enumerate(stage_ids):
            by_id[stage_id].position = (index + 1) * 10
        after = [by_id[stage_id].key for stage_id in stage_ids]
        audit.record(session, actor, 'stage.reordered', 'stage', None, before={'order': before}, after={'order': after})
        return [StageRead.model_validate(by_id[stage_id]) for stage_id in stage_ids]


def set_transition(
    actor: Actor, from_id: int, to_id: int, roles: list[Role], automatic: bool = False
) -> TransitionRead:
    """Allow a move (or change who may make it); `automatic` lets the system make it by itself."""
    require(actor, Permission.WORKFLOW_CONFIGURE)
    if from_id == to_id:
        raise ValidationFailed('A stage cannot move to itself.', {'to_stage_id': 'Choose a different stage.'})
    names = _roles(roles)
    with session_scope() as session:
        source, target = _stage(session, from_id), _stage(session, to_id)
        row = _transition(session, from_id, to_id)
        before = None if row is None else {'roles': row.roles, 'automatic': row.automatic}
        row = row or StageTransition(from_stage_id=from_id, to_stage_id=to_id)
        row.roles, row.automatic = names, automatic
        session.add(row)
        session.flush()
        after = {'from': source.key, 'to': target.key, 'roles': names, 'automatic': automatic}
        audit.record(session, actor, 'transition.set', 'stage_transition', row.id, before=before, after=after)
        return _transition_read(row, source, target)


def remove_transition(actor: Actor, from_id: int, to_id: int) -> None:
    require(actor, Permission.WORKFLOW_CONFIGURE)
    with session_scope() as session:
        source, target = _stage(session, from_id), _stage(session, to_id)
        row = _transition(session, from_id, to_id)
        if row is None:
            raise NotFound(f'There is no move from {source.name} to {target.name}.')
        before = {'from': source.key, 'to': target.key, 'roles': row.roles, 'automatic': row.automatic}
        session.delete(row)
        audit.record(session, actor, 'transition.removed', 'stage_transition', row.id, before=before)


def _move(
    session: Session,
    actor: Actor,
    watch: Watch,
    target: Stage,
    *,
    note: str | None,
    version: int | None,
    automatic: bool = False,
    undo: bool = False,
    values: dict[str, Any] | None = None,
) -> None:
    """Check the move (unless it undoes one), then make it: one versioned write, a history event and an audit entry."""
    source = _stage(session, watch.stage_id)
    if not undo:
        _check_move(session, actor, source, target, automatic=automatic)
    values = {**(values or {}), 'stage_id': target.id}
    if target.key == 'sold' and watch.sold_on is None and 'sold_on' not in values:
        values['sold_on'] = date.today()
    save_versioned(session, actor, watch, watch.version if version is None else version, values)
    event = StageEvent(watch_id=watch.id, from_stage_id=source.id, to_stage_id=target.id, actor_id=actor.id, note=note)
    session.add(event)
    after = {'stage': target.key, 'note': note}
    if 'sold_on' in values:
        after['sold_on'] = values['sold_on']
    audit.record(session, actor, 'watch.stage_moved', 'watch', watch.id, before={'stage': source.key}, after=after)


def _check_move(session: Session, actor: Actor, source: Stage, target: Stage, *, automatic: bool) -> None:
    if source.id == target.id:
        raise InvalidTransition(f'This watch is already in {target.name}.')
    if not target.active:
        raise InvalidTransition(f'The stage {target.name} is no longer in use.')
    transition = _transition(session, source.id, target.id)
    if transition is None:
        raise InvalidTransition(f'There is no move from {source.name} to {target.name}.')
    if automatic and not transition.automatic:
        raise InvalidTransition(f'The move from {source.name} to {target.name} is never made automatically.')
    if not automatic and not _may_make(actor, transition):
        raise InvalidTransition(
            f'Your role ({actor.role.value}) may not move watches from {source.name} to {target.name}.'
        )


def _may_make(actor: Actor, transition: StageTransition) -> bool:
    return actor.role is Role.ADMIN or actor.role.value in transition.roles


def _stage(session: Session, stage_id: int) -> Stage:
    stage = session.get(Stage, stage_id)
    if stage is None:
        raise NotFound('No such stage.')
    return stage


def _transition(session: Session, from_id: int | None, to_id: int | None) -> StageTransition | None:
    query = select(StageTransition).where(
        StageTransition.from_stage_id == from_id, StageTransition.to_stage_id == to_id
    )
    return session.exec(query).first()


def _transition_read(row: StageTransition, source: Stage, target: Stage) -> TransitionRead:
    assert row.id is not None and source.id is not None and target.id is not None
    return TransitionRead(
        id=row.id,
        from_stage_id=source.id,
        from_name=source.name,
        to_stage_id=target.id,
        to_name=target.name,
        roles=row.roles,
        automatic=row.automatic,
    )


def _check_can_deactivate(session: Session, stage: Stage) -> None:
    if stage.is_initial:
        message = f'New watches start in {stage.name}, so it cannot be switched off.'
        raise ValidationFailed(message, {'active': message})
    count = session.exec(
        select(func.count()).select_from(Watch).where(Watch.stage_id == stage.id, Watch.deleted_at.is_(None))
    ).one()
    if count:
        message = f'{count} watch{"es are" if count > 1 else " is"} still in {stage.name}; move them elsewhere first.'
        raise ValidationFailed(message, {'active': message})


def _unique_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    clean = ' '.join(str(name).split())
    if not clean or len(clean) > 60:
        raise ValidationFailed('A stage needs a name of 1 to 60 characters.', {'name': 'Enter 1 to 60 characters.'})
    query = select(Stage.name).where(func.lower(Stage.name) == clean.lower())
    if exclude_id is not None:
        query = query.where(Stage.id != exclude_id)
    if taken := session.exec(query).first():
        raise ValidationFailed(f'There is already a stage called {taken}.', {'name': 'This name is taken.'})
    return clean


def _unique_key(session: Session, name: str) -> str:
    """A stable identifier from the name ("Värdering 2" -> "vardering_2"), numbered when it is taken."""
    ascii_name = unicodedata.normalize('NFKD', name).encode('ascii', 'ignore').decode()
    base = re.sub(r'[^a-z0-9]+', '_', ascii_name.lower()).strip('_')[:36] or 'stage'
    taken = set(session.exec(select(Stage.key).where(Stage.key.startswith(base))).all())
    key, number = base, 1
    while key in taken:
        number += 1
        key = f'{base}_{number}'
    return key


def _colour(colour: str) -> str:
    clean = str(colour).strip().lower()
    if not _COLOUR.fullmatch(clean):
        message = 'Enter the colour as #rgb or #rrggbb, e.g. #0ea5e9.'
        raise ValidationFailed(message, {'colour': message})
    return clean


def _roles(roles: Iterable[Role | str]) -> list[str]:
    """Known roles only, each once, in the order of the role list."""
    wanted = {str(role) for role in roles}
    unknown = sorted(wanted - {role.value for role in Role})
    if unknown:
        message = f'Unknown role {", ".join(unknown)}; choose from {", ".join(role.value for role in Role)}.'
        raise ValidationFailed(message, {'roles': message})
    return [role.value for role in Role if role.value in wanted]


def _note(note: str | None) -> str | None:
    clean = (note or '').strip() or None
    if clean and len(clean) > NOTE_MAX_LENGTH:
        message = f'Keep the note to {NOTE_MAX_LENGTH} characters.'
        raise ValidationFailed(message, {'note': message})
    return clean
