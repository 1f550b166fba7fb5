"""Local accounts: creating users, checking passwords, lock-out after repeated failures, password changes, profiles."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from sqlmodel import Session, func, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.types import utcnow
from services import audit, login_limits
from services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from services.permissions import SYSTEM, Actor, Permission, effective_permissions, require

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# A local part or name shorter than this is left out of the "contains" rule: "ada" is in too many words.
_MIN_PERSONAL_PART = 4
# The most used passwords of ten characters or more (shorter ones already fail on length), from the public
# breach lists; compared without case. A short list, on purpose: it stops the obvious, not a determined guesser.
COMMON_PASSWORDS = frozenset({
    '0123456789', '0987654321', '1111111111', '1234567890', '12345678910', '123456789a', '123456789q',
    '1234567890a', '123123123123', '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx3edc', 'abc1234567', 'abcdefghij',
    'administrator', 'asdfghjkl1', 'baseball123', 'changeme123', 'dragon1234', 'football123', 'iloveyou123',
    'letmein123', 'letmein1234', 'liverpool1', 'michael123', 'monkey1234', 'passw0rd123', 'password!!',
    'password01', 'password1!', 'password12', 'password123', 'password1234', 'password12345', 'p@ssw0rd123',
    'p@ssword123', 'princess123', 'q1w2e3r4t5', 'q1w2e3r4t5y6', 'qazwsxedcrfv', 'qwerty1234', 'qwerty12345',
    'qwerty123456', 'qwertyuiop', 'qwertyuiop1', 'qwertyuiop123', 'starwars123', 'sunshine123', 'superman123',
    'trustno1234', 'welcome123', 'welcome1234', 'zaq12wsxcde', 'secondvintage', 'secondvintage1',
})  # fmt: skip
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
        return clean_name(value)

    @field_validator('password')
    @classmethod
    def _password(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            check_password_rules(value, email=info.data.get('email', ''), name=info.data.get('name', ''))
        return value


def clean_name(value: str) -> str:
    """A person's name with its spacing tidied; raises ValueError (a sentence fragment) when empty or too long."""
    value = ' '.join(value.split())
    if not 1 <= len(value) <= 120:
        raise ValueError('must be 1 to 120 characters')
    return value


def password_problem(password: str, *, email: str = '', name: str = '') -> str | None:
    """What is wrong with a new password, as a fragment after "The password ...", or None when it is acceptable.

    The rules, in one place for the services and for the forms that show them as the person types: long enough
    (length beats composition rules), and not guessable from who the person is or from the lists attackers try
    first. `email` and `name` are the account's own.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f'must be at least {MIN_PASSWORD_LENGTH} characters long'
    if len(password) > MAX_PASSWORD_LENGTH:
        return f'must be at most {MAX_PASSWORD_LENGTH} characters long'
    if len(set(password)) == 1:
        return 'must not be one character repeated'
    folded = _fold(password)
    if folded in COMMON_PASSWORDS or password.lower() in COMMON_PASSWORDS:
        return 'is one of the most common passwords; choose a less obvious one'
    local_part = _fold(email.split('@')[0])
    if len(local_part) >= _MIN_PERSONAL_PART and local_part in folded:
        return 'must not contain your email address'
    full_name = _fold(name)
    if len(full_name) >= _MIN_PERSONAL_PART and full_name in folded:
        return 'must not contain your name'
    return None


def check_password_rules(password: str, *, email: str = '', name: str = '') -> None:
    """Raise ValueError with the sentence fragment of the first rule `password` breaks (see `password_problem`)."""
    if problem := password_problem(password, email=email, name=name):
        raise ValueError(problem)


def _fold(text: str) -> str:
    """Lower case without spaces, dots, dashes or underscores: "Mia.Manager" and "mia manager" compare equal."""
    return re.sub(r'[\s._-]+', '', text.lower())


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id with a fresh salt)."""
    return _hasher.hash(password)


def authenticate(email: str, password: str, *, ip: str | None = None) -> Actor:
    """Check a login; count failures, lock the account after too many, and audit the outcome.

    Failures are committed even though the login is refused, so the count survives the refusal. An address
    (`ip`) that failed too often lately, whatever the accounts it tried, is refused before any password is
    checked (`services.login_limits`); the per-account lock-out below still applies to everyone.
    """
    settings = get_settings()
    if ip and login_limits.blocked(ip):
        _refuse_address(email, ip)
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            _verify(_DUMMY_HASH, password)
            login_limits.record_failure(ip)
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
            login_limits.record_failure(ip)
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


def _refuse_address(email: str, ip: str) -> None:
    """Refuse a login from an address that failed too often; the first refusal of a spell goes in the audit log.

    Only the first, so a script hammering the form cannot fill the audit log; the refusals themselves go on.
    """
    if login_limits.first_refusal(ip):
        with session_scope() as session:
            audit.record(
                session, SYSTEM, 'login.address_blocked', 'address', ip, after={'email': email.strip()[:254]}, ip=ip
            )
    raise login_limits.AddressBlocked(login_limits.refusal_sentence())


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
    with session_scope() as session:
        user = _own_user(session, actor)
        if problem := password_problem(new, email=user.email, name=user.name):
            raise ValidationFailed(f'The new password {problem}.', {'new': f'The new password {problem}.'})
        if not user.password_hash or not _verify(user.password_hash, current):
            raise ValidationFailed('The current password is not correct.', {'current': 'Not correct.'})
        if _verify(user.password_hash, new):
            raise ValidationFailed('Choose a password different from the current one.', {'new': 'Same as before.'})
        user.password_hash = hash_password(new)
        user.password_must_change = False
        user.updated_at = utcnow()
        audit.record(session, actor, 'user.password_changed', 'user', user.id)


def rename(actor: Actor, name: str) -> UserRead:
    """Change the actor's own display name (what colleagues see on watches, in the audit log and the header)."""
    try:
        cleaned = clean_name(name)
    except ValueError as error:
        raise ValidationFailed(f'The name {error}.', {'name': f'The name {error}.'}) from None
    with session_scope() as session:
        user = _own_user(session, actor)
        if cleaned != user.name:
            audit.record(
                session, actor, 'user.renamed', 'user', user.id, before={'name': user.name}, after={'name': cleaned}
            )
            user.name = cleaned
            user.updated_at = utcnow()
        return UserRead.model_validate(user)


# Languages a person may choose: Quasar's language-pack code -> the language's own name.
LANGUAGES = {'en-US': 'English', 'sv': 'Svenska', 'de': 'Deutsch', 'fr': 'Français', 'it': 'Italiano'}
DEFAULT_LANGUAGE = 'en-US'
# The personal preferences there are, each with the check its value must pass and the sentence when it does not.
_PREFERENCES: dict[str, tuple[Callable[[object], bool], str]] = {
    'dark_mode': (lambda value: isinstance(value, bool), 'Dark mode is either on or off.'),
    'language': (
        lambda value: value in LANGUAGES,
        f'Choose one of the languages offered: {", ".join(LANGUAGES.values())}.',
    ),
}


def set_preference(actor: Actor, key: str, value: object) -> None:
    """Remember a personal display preference (dark mode, language) for the actor."""
    if key not in _PREFERENCES:
        raise ValidationFailed(f'Unknown preference "{key}".')
    valid, sentence = _PREFERENCES[key]
    if not valid(value):
        raise ValidationFailed(sentence, {key: sentence})
    with session_scope() as session:
        user = _own_user(session, actor)
        before = dict(user.preferences)
        if before.get(key) == value:
            return
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


def _own_user(session: Session, actor: Actor) -> User:
    """The actor's own account, for changes people make to themselves; refused for anyone without an active one."""
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None or not user.active:
        raise PermissionDenied('Only the holder of an active account may change its profile.')
    return user


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
