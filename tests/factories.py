"""Plain factory functions: make a row with sensible defaults, override what the test cares about."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlmodel import select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from db.workflow import Stage
from services import accounts, watches
from services.permissions import SYSTEM, Actor

PASSWORD = 'correct horse battery'
_numbers = itertools.count(1)


def make_user(role: Role = Role.MANAGER, *, email: str | None = None, password: str = PASSWORD, **fields) -> Actor:
    """A user of the given role who can log in with `PASSWORD`; returns their actor."""
    number = next(_numbers)
    data = accounts.parse_user(
        email=email or f'{role.value}{number}@example.com',
        name=fields.pop('name', f'{role.value.title()} {number}'),
        role=role,
        password=password,
    )
    user, _ = accounts.create_user(SYSTEM, data)
    actor = accounts.load_actor(user.id)
    assert actor is not None
    return actor


def make_watch(
    stage: str = 'intake',
    *,
    cost: Decimal | str | None = '1000.00',
    agent: Actor | None = None,
    brand: str = 'Omega',
    model: str = 'Seamaster',
    **fields,
) -> int:
    """Insert a watch straight into the table (bypassing the intake service) and return its id.

    `stage` is a stage key from the default workflow; `cost` is the purchase cost in the base currency.
    The SKU comes from the same counter as intake's, so watches made both ways never share one.
    """
    amount = None if cost is None else Decimal(cost)
    with session_scope() as session:
        stage_id = session.exec(select(Stage.id).where(Stage.key == stage)).one()
        watch = Watch(
            sku=watches.allocate_sku(session, date.today()),
            brand=brand,
            model=model,
            stage_id=stage_id,
            agent_id=agent.id if agent else None,
            purchase_cost=amount,
            purchase_currency='EUR' if amount is not None else None,
            purchase_cost_base=amount,
            **fields,
        )
        session.add(watch)
        session.flush()
        assert watch.id is not None
        return watch.id


def take_in(actor: Actor, **values) -> watches.WatchRead:
    """A watch taken in through the intake service (SKU, initial stage, history, audit) by `actor`."""
    return watches.create_watch(actor, watches.parse_watch({'brand': 'Omega', 'model': 'Seamaster', **values}))
