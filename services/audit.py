"""The audit trail: every mutation appends who did what to which entity, with values before and after."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, func, or_, select

from db.engine import session_scope
from db.system import AuditEntry
from db.types import utcnow
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.scope import watch_in_scope


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry in the caller's transaction, so the change and its record commit together."""
    session.add(
        AuditEntry(
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=_plain(before) if before is not None else None,
            after=_plain(after) if after is not None else None,
            ip=ip,
        )
    )


def record_many(
    session: Session, actor: Actor, action: str, entity_type: str, afters: Sequence[tuple[object, dict[str, Any]]]
) -> None:
    """One entry per (entity id, values after) in one multi-row insert: a feed of a thousand bookings still gets
    an entry per booking, without building a thousand objects."""
    at = utcnow()
    rows = [{'at': at, 'actor_id': actor.id, 'actor_label': actor.label, 'action': action, 'entity_type': entity_type,
             'entity_id': str(entity_id), 'before': None, 'after': _plain(after), 'ip': None}
            for entity_id, after in afters]  # fmt: skip
    if rows:
        session.execute(sa.insert(AuditEntry), rows)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after), so an entry shows what actually changed."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain_value(value) for key, value in values.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return _plain(value)
    if isinstance(value, list | tuple):
        return [_plain_value(item) for item in value]
    return value


class EntryRead(BaseModel):
    id: int
    at: datetime
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict | None
    after: dict | None
    ip: str | None


SORTABLE = {'at': AuditEntry.at, 'actor_label': AuditEntry.actor_label, 'action': AuditEntry.action,
            'entity_type': AuditEntry.entity_type}  # fmt: skip


def list_entries(
    actor: Actor, *, offset: int = 0, limit: int = 50, sort: str = 'at', descending: bool = True, query: str = ''
) -> Page[EntryRead]:
    """A page of the audit log, newest first by default; `query` matches actor, action or entity."""
    require(actor, Permission.AUDIT_VIEW)
    offset, limit = clamp(offset, limit)
    column = SORTABLE.get(sort, AuditEntry.at)
    statement = select(AuditEntry)
    if text := query.strip()[:100]:
        pattern = f'%{text}%'
        statement = statement.where(
            or_(AuditEntry.actor_label.ilike(pattern), AuditEntry.action.ilike(pattern),
                AuditEntry.entity_type.ilike(pattern), AuditEntry.entity_id == text)
        )  # fmt: skip
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        order = (column.desc(), AuditEntry.id.desc()) if descending else (column.asc(), AuditEntry.id.asc())
        rows = session.exec(statement.order_by(*order).offset(offset).limit(limit)).all()
        return Page(total=total, items=[EntryRead.model_validate(row, from_attributes=True) for row in rows])


def entity_entries(actor: Actor, entity_type: str, entity_id: object, *, limit: int = 200) -> list[EntryRead]:
    """One entity's own timeline, newest first, for its page.

    A watch's timeline is part of the watch, so whoever may see the watch may read it (an agent only for the
    watches they sourced); every other entity's entries stay behind the audit permission.
    """
    with session_scope() as session:
        if entity_type == 'watch':
            require(actor, Permission.INVENTORY_VIEW)
            watch_in_scope(session, actor, int(str(entity_id)))
        else:
            require(actor, Permission.AUDIT_VIEW)
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(clamp(0, limit)[1])
        ).all()
        entries = [EntryRead.model_validate(row, from_attributes=True) for row in rows]
    hidden = _hidden_watch_fields(actor) if entity_type == 'watch' else frozenset()
    return [_without(entry, hidden) for entry in entries] if hidden else entries


# What a watch's timeline must not show a role that may not see it (as services.watches hides it on the record).
_COST_FIELDS = frozenset({'purchase_cost', 'purchase_currency', 'purchase_cost_base', 'supplier_id'})


def _hidden_watch_fields(actor: Actor) -> frozenset[str]:
    hidden = frozenset() if actor.can(Permission.COST_VIEW) else _COST_FIELDS
    return hidden if actor.can(Permission.SERIAL_VIEW) else hidden | {'serial'}


def _without(entry: EntryRead, hidden: frozenset[str]) -> EntryRead:
    def clean(values: dict | None) -> dict | None:
        return None if values is None else {key: value for key, value in values.items() if key not in hidden}

    return entry.model_copy(update={'before': clean(entry.before), 'after': clean(entry.after)})
