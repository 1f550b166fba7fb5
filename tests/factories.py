"""Plain factory functions: make a row with sensible defaults, override what the test cares about."""

from __future__ import annotations

import itertools

from db.enums import Role
from services import accounts
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
