"""Personal access tokens: how a program (a script, a spreadsheet, an integration) acts as one of us on the API.

A token is `svpat_` and 43 random URL-safe characters (256 bits), shown once when it is made. Only its SHA-256 is
kept, with the first characters (`prefix`) so a person can tell their tokens apart. A slow password hash
(argon2) exists to make guessing a *low*-entropy secret expensive; nobody can guess 256 random bits, so a fast
hash loses nothing and lets the API check a token in well under 2 ms, on every request. The token acts with
exactly its owner's permissions, at the moment of each request; a `read` token is further refused every write
(the API checks the scope, since it is the API's notion).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator
from sqlalchemy import update
from sqlmodel import Session, func, select

from db.accounts import ApiToken, User
from db.engine import session_scope
from db.enums import TokenScope
from db.types import utcnow
from services import accounts, audit
from services.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from services.permissions import STALE, SYSTEM, Actor, Permission, is_stale
from services.validation import validated

TOKEN_PREFIX = 'svpat_'
PREFIX_LENGTH = 12  # what is kept in clear: 'svpat_' and six random characters
MAX_ACTIVE_TOKENS = 20
MAX_DAYS = 3650
# `last_used_at` is written at most this often per token, so a busy script does not turn every read into a write.
TOUCH_EVERY = timedelta(minutes=1)
EXPIRY_CHOICES = (7, 30, 90, 365)  # days a screen offers; None (never) besides


class TokenRead(BaseModel):
    """A token as its owner sees it: never the token itself, nor its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @computed_field
    def status(self) -> str:
        """'active', 'revoked' or 'expired'."""
        if self.revoked_at is not None:
            return 'revoked'
        if self.expires_at is not None and self.expires_at <= utcnow():
            return 'expired'
        return 'active'


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra='forbid')

    name: str = Field(max_length=80)
    scope: TokenScope
    expires_in_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        value = ' '.join(value.split())
        if not value:
            raise ValueError('give the token a name, such as the program that will use it')
        return value


def create(actor: Actor, name: str, scope: TokenScope | str, expires_in_days: int | None) -> tuple[TokenRead, str]:
    """Make a token for the actor; returns it with the plaintext, which is never stored and never shown again."""
    _check_actor(actor)
    assert actor.id is not None
    data = _parse(name, scope, expires_in_days)
    with session_scope() as session:
        return _issue(session, actor, actor.id, data)


def create_for_email(email: str, scope: TokenScope | str, name: str | None, days: int | None) -> tuple[TokenRead, str]:
    """For operators at the command line: a token for the active user with this email (audited as the system)."""
    data = _parse(name or 'Command line', scope, days)
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise NotFound(f'There is no user with the email {email.strip()}.')
        if not user.active:
            raise ValidationFailed(f'The account {user.email} is deactivated; a token for it would not work.')
        assert user.id is not None
        return _issue(session, SYSTEM, user.id, data)


def list_mine(actor: Actor) -> list[TokenRead]:
    """The actor's tokens, newest first, revoked and expired ones included (so the history stays readable)."""
    _check_actor(actor)
    with session_scope() as session:
        query = select(ApiToken).where(ApiToken.user_id == actor.id)
        rows = session.exec(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
        return [TokenRead.model_validate(row) for row in rows]


def revoke(actor: Actor, token_id: int) -> TokenRead:
    """Stop a token from working, at once. One's own tokens; an admin who manages users may revoke anyone's."""
    _check_actor(actor)
    with session_scope() as session:
        token = session.get(ApiToken, token_id)
        if token is None or (token.user_id != actor.id and not actor.can(Permission.USERS_MANAGE)):
            raise NotFound('No such token, or it is not one of yours.')
        if token.revoked_at is not None:
            raise ValidationFailed('This token has already been revoked.')
        token.revoked_at = utcnow()
        audit.record(session, actor, 'token.revoked', 'api_token', token.id, before={'revoked_at': None},
                     after={'name': token.name, 'prefix': token.prefix, 'user_id': token.user_id,
                            'revoked_at': token.revoked_at})  # fmt: skip
        return TokenRead.model_validate(token)


def authenticate(plaintext: str) -> tuple[Actor, TokenScope]:
    """The actor a token acts as, and its scope; refused with a sentence when unknown, revoked, expired, or when its
    owner has been deactivated. The owner's permissions are read now, so a change to them applies at once."""
    if not plaintext.startswith(TOKEN_PREFIX):
        raise AuthenticationFailed(f'This is not a personal access token; they start with "{TOKEN_PREFIX}".')
    now = utcnow()
    with session_scope() as session:
        token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(plaintext))).first()
        if token is None:
            raise AuthenticationFailed('This token is not known; check that it was copied whole.')
        if token.revoked_at is not None:
            raise AuthenticationFailed('This token has been revoked; create a new one under My account.')
        if token.expires_at is not None and token.expires_at <= now:
            raise AuthenticationFailed(
                f'This token expired on {token.expires_at:%Y-%m-%d}; create a new one under My account.'
            )
        owner = session.get(User, token.user_id)
        if owner is None or not owner.active:
            raise AuthenticationFailed('The account this token belongs to has been deactivated.')
        if token.last_used_at is None or token.last_used_at <= now - TOUCH_EVERY:
            _touch(session, token, now)
        user_id, scope = token.user_id, token.scope
    actor = accounts.load_actor(user_id)
    if actor is None:  # deactivated in the instant between the two reads
        raise AuthenticationFailed('The account this token belongs to has been deactivated.')
    return actor, scope


def parse_scope(value: TokenScope | str) -> TokenScope:
    try:
        return TokenScope(value)
    except ValueError:
        choices = ' or '.join(f'"{scope.value}"' for scope in TokenScope)
        message = f'"{value}" is not a token scope; choose {choices}.'
        raise ValidationFailed(message, {'scope': 'Not a scope.'}) from None


def digest(plaintext: str) -> str:
    """What is stored for a token: its SHA-256 in hex."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _parse(name: str, scope: TokenScope | str, expires_in_days: int | None) -> TokenCreate:
    return validated(TokenCreate, {'name': name, 'scope': parse_scope(scope), 'expires_in_days': expires_in_days})


def _issue(session: Session, actor: Actor, user_id: int, data: TokenCreate) -> tuple[TokenRead, str]:
    now = utcnow()
    active = session.exec(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
    ).one()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed(f'There are {MAX_ACTIVE_TOKENS} active tokens already; revoke one you no longer use.')
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    token = ApiToken(user_id=user_id, name=data.name, token_hash=digest(plaintext), prefix=plaintext[:PREFIX_LENGTH],
                     scope=data.scope, expires_at=expires_at)  # fmt: skip
    session.add(token)
    session.flush()
    audit.record(session, actor, 'token.created', 'api_token', token.id,
                 after={'name': token.name, 'prefix': token.prefix, 'scope': token.scope, 'user_id': user_id,
                        'expires_at': expires_at})  # fmt: skip
    return TokenRead.model_validate(token), plaintext


def _touch(session: Session, token: ApiToken, now: datetime) -> None:
    """Note the use, unless another request noted it within the minute (the WHERE makes that race harmless)."""
    session.exec(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .where(ApiToken.last_used_at.is_(None) | (ApiToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def _check_actor(actor: Actor) -> None:
    """Tokens belong to people: the system has none. A stale actor reloads first, as `require` asks elsewhere."""
    if actor.id is None:
        raise PermissionDenied('Only a person can hold personal access tokens.')
    if is_stale(actor):
        raise PermissionDenied(STALE)
