"""User administration: the list of accounts, one account's details, and what an administrator changes on it.

Every change is one unit of work with its audit entry. Once it has committed, the change is announced on the bus
(topic `user`: id, active, role), so the open browsers of that person, in every web process, follow at once: a
deactivated person is logged out, a new role redraws their screens. Two guards keep the system manageable: nobody
deactivates themselves, and the last active administrator can be neither demoted nor deactivated.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, func, or_, select

from db.accounts import SsoIdentity, User
from db.engine import session_scope
from db.enums import Role
from db.types import utcnow
from services import accounts, audit, bus
from services.accounts import UserRead
from services.errors import Conflict, NotFound, ValidationFailed
from services.paging import Page, clamp
from services.permissions import Actor, Permission, notice_change, parse_role, require

TOPIC = 'user'
_IDENTITIES = select(func.count(SsoIdentity.id)).where(SsoIdentity.user_id == User.id).correlate(User).scalar_subquery()
SORTABLE = {'name': User.name, 'email': User.email, 'role': User.role, 'active': User.active,
            'last_login_at': User.last_login_at, 'identities': _IDENTITIES}  # fmt: skip


class UserRow(BaseModel):
    """A line of the users list."""

    id: int
    name: str
    email: str
    role: Role
    active: bool
    last_login_at: datetime | None
    identities: int


class IdentityRead(BaseModel):
    """A single sign-on account linked to a user."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    provider: str
    subject: str
    email: str | None
    created_at: datetime
    last_login_at: datetime | None


class UserDetail(UserRead):
    """One account as its administration page shows it."""

    has_password: bool
    locked_until: datetime | None
    identities: list[IdentityRead]


def list_users(
    actor: Actor,
    query: str = '',
    *,
    role: Role | str | None = None,
    active: bool | None = None,
    offset: int = 0,
    limit: int = 25,
    sort: str = 'name',
    descending: bool = False,
) -> Page[UserRow]:
    """A page of accounts; `query` matches name or email, `role` and `active` narrow the list (None: all)."""
    require(actor, Permission.USERS_MANAGE)
    offset, limit = clamp(offset, limit)
    statement = select(User.id, User.name, User.email, User.role, User.active, User.last_login_at,
                       _IDENTITIES.label('identities'))  # fmt: skip
    if text := query.strip()[:100]:
        statement = statement.where(or_(User.name.ilike(f'%{text}%'), User.email.ilike(f'%{text}%')))
    if role:
        statement = statement.where(User.role == parse_role(role))
    if active is not None:
        statement = statement.where(User.active == active)
    column = SORTABLE.get(sort, User.name)
    order = (column.desc(), User.id.desc()) if descending else (column.asc(), User.id.asc())
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = session.exec(statement.order_by(*order).offset(offset).limit(limit)).all()
    return Page(total=total, items=[UserRow.model_validate(row, from_attributes=True) for row in rows])


def get_user(actor: Actor, user_id: int) -> UserDetail:
    """An account with its single sign-on identities."""
    require(actor, Permission.USERS_MANAGE)
    with session_scope() as session:
        user = _user(session, user_id)
        rows = session.exec(
            select(SsoIdentity).where(SsoIdentity.user_id == user_id).order_by(SsoIdentity.provider, SsoIdentity.id)
        ).all()
        return UserDetail(
            **UserRead.model_validate(user).model_dump(),
            has_password=user.password_hash is not None,
            locked_until=user.locked_until,
            identities=[IdentityRead.model_validate(row) for row in rows],
        )


def create_user(actor: Actor, *, email: str, name: str, role: Role | str, invite: bool) -> tuple[UserRead, str | None]:
    """A new account; returns it with its one-time password (shown once), or None for an invitation.

    An invited person has no password: they log in by single sign-on with this email address.
    """
    require(actor, Permission.USERS_MANAGE)
    data = accounts.parse_user(email=email, name=name, role=role)
    if not invite:
        user, password = accounts.create_user(actor, data)
    else:
        with session_scope() as session:
            if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
                raise Conflict(f'A user with the email {data.email} already exists.')
            row = User(email=data.email, name=data.name, role=data.role, password_hash=None)
            session.add(row)
            session.flush()
            audit.record(session, actor, 'user.invited', 'user', row.id, after={'email': row.email, 'role': row.role})
            user, password = UserRead.model_validate(row), None
    _announce(user.id, user.active, user.role, affects_rights=False)
    return user, password


def set_active(actor: Actor, user_id: int, active: bool) -> UserRead:
    """Deactivate (logs the person out everywhere at once) or reactivate an account."""
    require(actor, Permission.USERS_MANAGE)
    if not active and user_id == actor.id:
        raise ValidationFailed('You cannot deactivate your own account; ask another administrator.')
    with session_scope() as session:
        user = _user(session, user_id)
        if user.active == active:
            return UserRead.model_validate(user)
        if not active and user.role is Role.ADMIN:
            _keep_an_admin(session, user, 'deactivate')
        user.active, user.updated_at = active, utcnow()
        action = 'user.reactivated' if active else 'user.deactivated'
        audit.record(session, actor, action, 'user', user.id, before={'active': not active}, after={'active': active})
        read = UserRead.model_validate(user)
    _announce(read.id, read.active, read.role, affects_rights=True)
    return read


def change_role(actor: Actor, user_id: int, role: Role | str) -> UserRead:
    """Give an account another role; the person's open screens redraw with what the new role may do."""
    require(actor, Permission.USERS_MANAGE)
    role = parse_role(role)
    with session_scope() as session:
        user = _user(session, user_id)
        if user.role is role:
            return UserRead.model_validate(user)
        if user.role is Role.ADMIN and user.active:
            _keep_an_admin(session, user, 'demote')
        before = user.role
        user.role, user.updated_at = role, utcnow()
        audit.record(
            session, actor, 'user.role_changed', 'user', user.id, before={'role': before}, after={'role': role}
        )
        read = UserRead.model_validate(user)
    _announce(read.id, read.active, read.role, affects_rights=True)
    return read


def reset_password(actor: Actor, user_id: int) -> str:
    """A new one-time password (returned once, to hand over), to be changed at the next login; unlocks the account."""
    require(actor, Permission.USERS_MANAGE)
    password = secrets.token_urlsafe(12)
    with session_scope() as session:
        user = _user(session, user_id)
        user.password_hash = accounts.hash_password(password)
        user.password_must_change = True
        user.failed_logins, user.locked_until, user.updated_at = 0, None, utcnow()
        audit.record(session, actor, 'user.password_reset', 'user', user.id)
    return password


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound('No such user.')
    return user


def _keep_an_admin(session: Session, user: User, verb: str) -> None:
    """Refuse to remove the last active administrator. The other admins' rows are locked (on PostgreSQL), so two
    admins removing each other at the same moment cannot both succeed; SQLite lets one writer through at a time."""
    others = session.exec(
        select(User.id).where(User.role == Role.ADMIN, User.active, User.id != user.id).with_for_update()
    ).all()
    if not others:
        raise ValidationFailed(f'You cannot {verb} the last active administrator; make someone else an admin first.')


def _announce(user_id: int, active: bool, role: Role, *, affects_rights: bool) -> None:
    """After commit: this process refuses the person's stale actors at once; every web process tells their screens."""
    if affects_rights:
        notice_change(user_ids=[user_id])
    bus.get_bus().publish(TOPIC, {'id': user_id, 'active': active, 'role': role.value})
