"""Local accounts: creating users, checking passwords, lock-out after repeated failures, password changes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlmodel import Session, func, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.types import utcnow
from services import audit
from services.errors import AccountLocked, AuthenticationFailed, Conflict, NotFound, ValidationFailed
from services.permissions import SYSTEM, Actor, Permission, effective_permissions, require

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Checked when the email is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


class UserRead(BaseModel):
    """A user as screens see it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    active: bool
    password_must_change: bool
    last_login_at: datetime | None
    created_at: datetime
    preferences: dict


class UserCreate(BaseModel):
    """What it takes to create a user; without a password one is generated and returned once."""

    email: str
    name: str
    role: Role
    password: str | None = None

    @field_validator('email')
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not _EMAIL.match(value) or len(value) > 254:
            raise ValueError('is not a valid email address')
        return value

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        value = ' '.join(value.split())
        if not 1 <= len(value) <= 120:
            raise ValueError('must be 1 to 120 characters')
        return value

    @field_validator('password')
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        if value is not None:
            check_password_rules(value)
        return value


def check_password_rules(password: str) -> None:
    """The one password rule: long enough to resist guessing (length beats composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f'must be at least {MIN_PASSWORD_LENGTH} characters long')
    if len(password) > 256:
        raise ValueError('must be at most 256 characters long')


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id with a fresh salt)."""
    return _hasher.hash(password)


def authenticate(email: str, password: str, *, ip: str | None = None) -> Actor:
    """Check a login; count failures, lock the account after too many, and audit the outcome.

    Failures are committed even though the login is refused, so the count survives the refusal.
    """
    settings = get_settings()
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            _verify(_DUMMY_HASH, password)
            raise AuthenticationFailed('The email or password is not correct.')
        now = utcnow()
        if user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise AccountLocked(f'This account is locked after too many failed logins; try again in {minutes} min.')
        actor = _actor(session, user)
        if not user.password_hash or not _verify(user.password_hash, password):
            user.failed_logins += 1
            locked = user.failed_logins >= settings.login_max_failures
            if locked:
                user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
            audit.record(session, actor, 'user.locked' if locked else 'user.login_failed', 'user', user.id, ip=ip)
            session.commit()
            if locked:
                raise AccountLocked(
                    f'Too many failed logins: this account is locked for {settings.login_lockout_minutes} min.'
                )
            raise AuthenticationFailed('The email or password is not correct.')
        if not user.active:
            raise AuthenticationFailed('This account has been deactivated; ask an administrator.')
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        audit.record(session, actor, 'user.login', 'user', user.id, ip=ip)
        return actor


def load_actor(user_id: int) -> Actor | None:
    """The actor for a logged-in session, or None when the user is gone or deactivated."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return _actor(session, user)


def get_user(actor: Actor, user_id: int) -> UserRead:
    if actor.id != user_id:
        require(actor, Permission.USERS_MANAGE)
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound('No such user.')
        return UserRead.model_validate(user)


def names(actor: Actor, roles: Iterable[Role]) -> list[tuple[int, str]]:
    """(id, name) of the active users with these roles, by name: what a list filter "by agent" offers.

    Only names, so anyone who may see watches may have them; the list itself stays scoped by the inventory service.
    """
    require(actor, Permission.INVENTORY_VIEW)
    wanted = list(roles)
    with session_scope() as session:
        query = select(User.id, User.name).where(User.active, User.role.in_(wanted)).order_by(User.name, User.id)
        return [(user_id, name) for user_id, name in session.exec(query).all()]


def create_user(actor: Actor, data: UserCreate) -> tuple[UserRead, str | None]:
    """Create a user; returns the generated password (shown once) when none was given."""
    require(actor, Permission.USERS_MANAGE)
    with session_scope() as session:
        read, generated = _create(session, actor, data, must_change=data.password is None)
        return read, generated


def ensure_first_admin() -> tuple[str, str] | None:
    """On the very first start create an administrator with a one-time password and return (email, password)."""
    with session_scope() as session:
        if session.exec(select(func.count()).select_from(User)).one():
            return None
        data = UserCreate(email='admin@secondvintage.local', name='Administrator', role=Role.ADMIN)
        read, password = _create(session, SYSTEM, data, must_change=True)
        return read.email, password or ''


def create_admin(email: str, password: str | None) -> tuple[UserRead, str | None]:
    """For operators at the command line: make (or re-enable) an administrator account."""
    data = parse_user(email=email, name=email.split('@')[0].title(), role=Role.ADMIN, password=password)
    return create_user(SYSTEM, data)


def change_password(actor: Actor, current: str, new: str) -> None:
    """Change the actor's own password, proving the current one first."""
    try:
        check_password_rules(new)
    except ValueError as error:
        raise ValidationFailed(f'The new password {error}.', {'new': f'The new password {error}.'}) from None
    with session_scope() as session:
        user = session.get(User, actor.id)
        if user is None:
            raise NotFound('No such user.')
        if not user.password_hash or not _verify(user.password_hash, current):
            raise ValidationFailed('The current password is not correct.', {'current': 'Not correct.'})
        if _verify(user.password_hash, new):
            raise ValidationFailed('Choose a password different from the current one.', {'new': 'Same as before.'})
        user.password_hash = hash_password(new)
        user.password_must_change = False
        user.updated_at = utcnow()
        audit.record(session, actor, 'user.password_changed', 'user', user.id)


def set_preference(actor: Actor, key: str, value: object) -> None:
    """Remember a personal display preference (dark mode, table columns) for the actor."""
    if key not in {'dark_mode'}:
        raise ValidationFailed(f'Unknown preference "{key}".')
    with session_scope() as session:
        user = session.get(User, actor.id)
        if user is None:
            raise NotFound('No such user.')
        before = dict(user.preferences)
        user.preferences = {**before, key: value}
        audit.record(
            session, actor, 'user.preference', 'user', user.id, before={key: before.get(key)}, after={key: value}
        )


def parse_user(**values: object) -> UserCreate:
    """Validate raw input into a `UserCreate`, turning pydantic's errors into one readable refusal."""
    try:
        return UserCreate.model_validate(values)
    except ValidationError as error:
        fields = {str(item['loc'][0]): str(item['msg']).removeprefix('Value error, ') for item in error.errors()}
        name, message = next(iter(fields.items()))
        raise ValidationFailed(f'The {name} {message}.', fields) from None


def _create(session: Session, actor: Actor, data: UserCreate, *, must_change: bool) -> tuple[UserRead, str | None]:
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict(f'A user with the email {data.email} already exists.')
    generated = None if data.password else secrets.token_urlsafe(12)
    user = User(
        email=data.email,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password or generated),
        password_must_change=must_change,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, 'user.created', 'user', user.id, after={'email': user.email, 'role': user.role})
    return UserRead.model_validate(user), generated


def _actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return Actor(user.id, user.email, user.name, user.role, effective_permissions(session, user.role))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Person(BaseModel):
    """Someone a watch can be linked to (its agent or seller): no email, no account details."""

    id: int
    name: str
    role: Role


def people(actor: Actor) -> list[Person]:
    """Active staff by name, for the agent and seller pickers of the watch form."""
    require(actor, Permission.INVENTORY_VIEW)
    with session_scope() as session:
        rows = session.exec(select(User.id, User.name, User.role).where(User.active).order_by(User.name)).all()
        return [Person(id=user_id, name=name, role=role) for user_id, name, role in rows]
