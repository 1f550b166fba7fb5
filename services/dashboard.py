"""The figures on the home screen, computed in the database and limited to what the actor may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlmodel import Session, func, select

from config import get_settings
from db.engine import session_scope
from db.inventory import Watch
from db.types import utcnow
from db.workflow import Stage
from services.permissions import Actor, Permission, require
from services.scope import scoped


class StageCount(BaseModel):
    key: str
    name: str
    colour: str
    count: int
    in_stock: bool


class RecentWatch(BaseModel):
    id: int
    sku: str
    brand: str
    model: str
    reference: str | None
    stage: str
    stage_colour: str
    cost: Decimal | None
    created_at: datetime


class Figures(BaseModel):
    """`stock_value` is None for roles that may not see costs."""

    in_stock: int
    per_stage: list[StageCount]
    stock_value: Decimal | None
    base_currency: str
    added_this_week: int
    latest: list[RecentWatch]


def figures(actor: Actor) -> Figures:
    require(actor, Permission.DASHBOARD_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    with session_scope() as session:
        stages = session.exec(select(Stage).where(Stage.active).order_by(Stage.position)).all()
        # One pass over the covering index (stage, cost) of live watches gives both counts and values.
        grouped = session.exec(
            scoped(select(Watch.stage_id, func.count(), func.sum(Watch.purchase_cost_base)), actor).group_by(
                Watch.stage_id
            )
        ).all()
        counts = {stage_id: count for stage_id, count, _ in grouped}
        values = {stage_id: value or Decimal('0.00') for stage_id, _, value in grouped}
        per_stage = [
            StageCount(key=s.key, name=s.name, colour=s.colour, count=counts.get(s.id, 0), in_stock=s.in_stock)
            for s in stages
        ]
        stock_value = sum((values.get(s.id, Decimal('0.00')) for s in stages if s.in_stock), Decimal('0.00'))
        return Figures(
            in_stock=sum(item.count for item in per_stage if item.in_stock),
            per_stage=per_stage,
            stock_value=stock_value if sees_cost else None,
            base_currency=get_settings().base_currency,
            added_this_week=session.exec(
                scoped(select(func.count()).select_from(Watch), actor).where(Watch.created_at >= _week_start())
            ).one(),
            latest=_latest(session, actor, {s.id: s for s in stages}, sees_cost),
        )


def _latest(session: Session, actor: Actor, stages: dict[int, Stage], sees_cost: bool) -> list[RecentWatch]:
    rows = session.exec(scoped(select(Watch), actor).order_by(Watch.created_at.desc(), Watch.id.desc()).limit(10))
    return [
        RecentWatch(
            id=w.id,
            sku=w.sku,
            brand=w.brand,
            model=w.model,
            reference=w.reference,
            stage=stages[w.stage_id].name if w.stage_id in stages else '—',
            stage_colour=stages[w.stage_id].colour if w.stage_id in stages else '#64748b',
            cost=w.purchase_cost_base if sees_cost else None,
            created_at=w.created_at,
        )
        for w in rows
    ]


def _week_start() -> datetime:
    now = utcnow()
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
