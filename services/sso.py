"""Single sign-on policy: who may log in with an OpenID Connect provider, and as which user.

The web glue has already validated the ID token (signature, issuer, audience, expiry, nonce); this module
decides what the validated claims are worth. People are found by their (provider, subject) pair; failing that,
a verified email links the provider account to the existing user of that email; failing that, the provider's
policy may create a user.

Role mapping applies only when a user is created. Afterwards the role is the administrator's to change in the
app, and a later login never overwrites it (an admin who demoted someone would not expect the next login to
promote them again, nor a renamed group at the provider to silently change what people may do).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NoReturn

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from config import OidcProvider
from db.accounts import SsoIdentity, User
from db.engine import session_scope
from db.enums import Role
from db.types import utcnow
from services import accounts, audit
from services.errors import AuthenticationFailed, ServiceError
from services.permissions import SYSTEM, Actor, effective_permissions

log = logging.getLogger(__name__)


def sign_in(provider: OidcProvider, claims: Mapping[str, Any], *, ip: str | None = None) -> Actor:
    """The actor for a login with `provider` whose ID token carried `claims`; refusals change nothing.

    Two first logins of the same person at once both try to create the user; the loser of that race finds the
    winner's rows on its second pass.
    """
    try:
        return _sign_in(provider, claims, ip)
    except IntegrityError:
        return _sign_in(provider, claims, ip)


def _sign_in(provider: OidcProvider, claims: Mapping[str, Any], ip: str | None) -> Actor:
    subject, email = _checked(provider, claims)
    with session_scope() as session:
        identity = session.exec(
            select(SsoIdentity).where(SsoIdentity.provider == provider.name, SsoIdentity.subject == subject)
        ).first()
        if identity is not None:
            user = session.get(User, identity.user_id)
            assert user is not None  # the foreign key cascades deletes
            _refuse_inactive(user)
        else:
            user = _linked_or_created(session, provider, claims, subject, email)
            identity = SsoIdentity(user_id=user.id, provider=provider.name, subject=subject)
            session.add(identity)
        now = utcnow()
        identity.email = email
        identity.last_login_at = now
        user.last_login_at = now
        actor = Actor(user.id, user.email, user.name, user.role, effective_permissions(session, user.role))
        audit.record(session, actor, 'user.login', 'user', user.id, after={'method': provider.name}, ip=ip)
        return actor


def _checked(provider: OidcProvider, claims: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, lower-case email) once the claims pass the provider's checks."""
    subject = str(claims.get('sub') or '')
    email = str(claims.get('email') or '').strip().lower()
    if not subject or not email:
        _refuse(provider, f'{provider.label} did not tell us your email address; ask an administrator.')
    if claims.get('email_verified') not in (True, 'true'):
        _refuse(provider, f'Your email address at {provider.label} is not verified; verify it there and try again.')
    domain = email.rpartition('@')[2]
    if provider.allowed_domains and domain not in provider.allowed_domains:
        _refuse(provider, f'Accounts at {domain} may not log in here; use your work account.')
    return subject, email


def _linked_or_created(
    session: Session, provider: OidcProvider, claims: Mapping[str, Any], subject: str, email: str
) -> User:
    """The user of this verified email, now linked to the provider account, or a new user by the policy."""
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return _created(session, provider, claims, email)
    _refuse_inactive(user)
    other = session.exec(
        select(SsoIdentity.id).where(SsoIdentity.user_id == user.id, SsoIdentity.provider == provider.name)
    ).first()
    if other is not None:  # the provider gave the address to someone new: never hand them the old account
        _refuse(provider, f'Your account here is linked to another account at {provider.label}; ask an administrator.')
    actor = Actor(user.id, user.email, user.name, user.role)
    after = {'provider': provider.name, 'subject': subject}
    audit.record(session, actor, 'user.sso_linked', 'user', user.id, after=after)
    return user


def _created(session: Session, provider: OidcProvider, claims: Mapping[str, Any], email: str) -> User:
    role = mapped_role(provider, claims) or provider.default_role
    if role is None:
        _refuse(provider, f'Your account at {provider.label} is not known here; ask an administrator to add you.')
    try:
        data = accounts.parse_user(email=email, name=_name(claims, email)[:120], role=role)
    except ServiceError as refusal:
        _refuse(provider, str(refusal))
    user = User(email=data.email, name=data.name, role=data.role, password_hash=None)
    session.add(user)
    session.flush()
    after = {'email': user.email, 'role': user.role, 'sso': provider.name}
    audit.record(session, SYSTEM, 'user.created', 'user', user.id, after=after)
    return user


def mapped_role(provider: OidcProvider, claims: Mapping[str, Any]) -> Role | None:
    """The role of the first `role_map` entry that the role claim (one value or a list of groups) holds."""
    if not provider.role_claim:
        return None
    held = claims.get(provider.role_claim)
    values = {str(item) for item in held} if isinstance(held, list | tuple) else {str(held)} if held else set()
    return next((role for value, role in provider.role_map.items() if value in values), None)


def _name(claims: Mapping[str, Any], email: str) -> str:
    """The person's name as the provider gives it, else the part of the email before the @."""
    given = ' '.join(str(claims.get(key) or '') for key in ('given_name', 'family_name')).strip()
    return str(claims.get('name') or '').strip() or given or email.partition('@')[0]


def _refuse_inactive(user: User) -> None:
    if not user.active:
        raise AuthenticationFailed('This account has been deactivated; ask an administrator.')


def _refuse(provider: OidcProvider, sentence: str) -> NoReturn:
    log.info('Single sign-on with %s refused: %s', provider.name, sentence)
    raise AuthenticationFailed(sentence)
