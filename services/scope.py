"""Row scope: which watches an actor may see at all. Agents see only the watches they sourced.

Every service that reads or writes a watch goes through here, so the rule lives in one place and an
out-of-scope watch looks exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from db.inventory import Watch
from services.errors import NotFound
from services.permissions import Actor, Permission, require


def scoped(query: Any, actor: Actor) -> Any:
    """Limit a query over `watches` to live watches within the actor's scope."""
    query = query.where(Watch.deleted_at.is_(None))
    return query if actor.sees_all_watches else query.where(Watch.agent_id == actor.id)


def watch_in_scope(session: Session, actor: Actor, watch_id: int) -> Watch:
    """The live watch, or NotFound when it does not exist or lies outside the actor's scope."""
    require(actor, Permission.INVENTORY_VIEW)
    watch = session.exec(scoped(select(Watch).where(Watch.id == watch_id), actor)).first()
    if watch is None:
        raise NotFound('No such watch, or it is not one of yours.')
    return watch
