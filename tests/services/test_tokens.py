"""Personal access tokens: made and shown once, kept only as a hash, refused when unknown, revoked, expired or
their owner deactivated, revoked only by their owner (or an admin), and audited without the token itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from db.accounts import ApiToken, User
from db.engine import session_scope
from db.enums import Role, TokenScope
from db.system import AuditEntry
from db.types import utcnow
from services import tokens
from services.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from services.permissions import SYSTEM, Permission
from tests.factories import make_user


def _rows() -> list[ApiToken]:
    with session_scope() as session:
        return list(session.exec(select(ApiToken)).all())


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _set(token_id: int, **values) -> None:
    with session_scope() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


def test_a_token_is_shown_once_and_only_its_hash_is_kept(db):
    mia = make_user(Role.SELLER)
    token, plaintext = tokens.create(mia, '  Stock   sync ', 'read', 30)
    assert plaintext.startswith('svpat_') and len(plaintext) > 40
    assert token.name == 'Stock sync' and token.scope is TokenScope.READ and token.status == 'active'
    assert plaintext.startswith(token.prefix) and len(token.prefix) == tokens.PREFIX_LENGTH
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    (row,) = _rows()
    assert row.token_hash == tokens.digest(plaintext) and plaintext not in row.token_hash
    actor, scope = tokens.authenticate(plaintext)
    assert actor.id == mia.id and actor.role is Role.SELLER and scope is TokenScope.READ
    (entry,) = _audit('token.created')
    assert entry.after['prefix'] == token.prefix and entry.after['name'] == 'Stock sync'
    assert plaintext not in str(entry.after) and row.token_hash not in str(entry.after)


def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(db):
    mia = make_user()
    with pytest.raises(ValidationFailed, match='not a token scope; choose "read" or "read-write"'):
        tokens.create(mia, 'Sync', 'admin', None)
    with pytest.raises(ValidationFailed, match='give the token a name') as refused:
        tokens.create(mia, '   ', 'read', None)
    assert 'name' in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        tokens.create(mia, 'Sync', 'read', 0)
    assert 'expires_in_days' in refused.value.fields
    with pytest.raises(ValidationFailed):
        tokens.create(mia, 'x' * 81, 'read', None)
    assert _rows() == [] and _audit('token.created') == []


def test_the_system_holds_no_tokens(db):
    with pytest.raises(PermissionDenied, match='Only a person'):
        tokens.create(SYSTEM, 'Sync', 'read', None)
    assert _rows() == []


def test_the_number_of_active_tokens_is_bounded(db):
    mia = make_user()
    for number in range(tokens.MAX_ACTIVE_TOKENS):
        tokens.create(mia, f'Token {number}', 'read', None)
    with pytest.raises(ValidationFailed, match='revoke one'):
        tokens.create(mia, 'One more', 'read', None)
    tokens.revoke(mia, tokens.list_mine(mia)[0].id)
    tokens.create(mia, 'One more', 'read', None)


@pytest.mark.parametrize(
    ('change', 'message'),
    [
        ({'revoked_at': utcnow()}, 'has been revoked'),
        ({'expires_at': utcnow() - timedelta(minutes=1)}, 'This token expired on'),
    ],
)
def test_revoked_and_expired_tokens_are_refused(db, change, message):
    token, plaintext = tokens.create(make_user(), 'Sync', 'read-write', None)
    _set(token.id, **change)
    with pytest.raises(AuthenticationFailed, match=message):
        tokens.authenticate(plaintext)
    assert _rows()[0].last_used_at is None


def test_unknown_and_malformed_tokens_are_refused(db):
    _, plaintext = tokens.create(make_user(), 'Sync', 'read', None)
    with pytest.raises(AuthenticationFailed, match='not known; check that it was copied whole'):
        tokens.authenticate(plaintext[:-1])
    with pytest.raises(AuthenticationFailed, match='not a personal access token'):
        tokens.authenticate('hunter2')


def test_a_deactivated_users_token_is_refused(db):
    mia = make_user()
    _, plaintext = tokens.create(mia, 'Sync', 'read', None)
    with session_scope() as session:
        user = session.get(User, mia.id)
        assert user is not None
        user.active = False
    with pytest.raises(AuthenticationFailed, match='has been deactivated'):
        tokens.authenticate(plaintext)
    assert _rows()[0].last_used_at is None


def test_last_use_is_written_at_most_about_once_a_minute(db):
    token, plaintext = tokens.create(make_user(), 'Sync', 'read', None)
    tokens.authenticate(plaintext)
    first = _rows()[0].last_used_at
    assert first is not None
    tokens.authenticate(plaintext)
    assert _rows()[0].last_used_at == first
    _set(token.id, last_used_at=first - tokens.TOUCH_EVERY)
    tokens.authenticate(plaintext)
    assert _rows()[0].last_used_at > first


def test_the_owner_lists_and_revokes_their_own_tokens(db):
    mia, tom = make_user(Role.AGENT), make_user(Role.AGENT)
    older, _ = tokens.create(mia, 'Old', 'read', None)
    newer, plaintext = tokens.create(mia, 'New', 'read-write', 7)
    tokens.create(tom, 'Toms', 'read', None)
    assert [token.name for token in tokens.list_mine(mia)] == ['New', 'Old']
    revoked = tokens.revoke(mia, newer.id)
    assert revoked.status == 'revoked'
    with pytest.raises(AuthenticationFailed):
        tokens.authenticate(plaintext)
    with pytest.raises(ValidationFailed, match='already been revoked'):
        tokens.revoke(mia, newer.id)
    (entry,) = _audit('token.revoked')
    assert entry.actor_id == mia.id and entry.after['prefix'] == newer.prefix and plaintext not in str(entry.after)
    assert older.id in {token.id for token in tokens.list_mine(mia) if token.status == 'active'}


def test_someone_elses_token_is_refused_unless_an_admin_revokes_it(db):
    mia, tom, boss = make_user(Role.MANAGER), make_user(Role.MANAGER), make_user(Role.ADMIN)
    token, plaintext = tokens.create(mia, 'Sync', 'read', None)
    with pytest.raises(NotFound, match='not one of yours'):
        tokens.revoke(tom, token.id)
    assert tokens.authenticate(plaintext)[0].id == mia.id
    assert _audit('token.revoked') == []
    assert boss.can(Permission.USERS_MANAGE)
    assert tokens.revoke(boss, token.id).status == 'revoked'
    with pytest.raises(NotFound):
        tokens.revoke(boss, 10_000)


def test_a_token_follows_its_owners_permissions_as_they_are_now(db):
    mia = make_user(Role.MANAGER)
    _, plaintext = tokens.create(mia, 'Sync', 'read', None)
    with session_scope() as session:
        user = session.get(User, mia.id)
        assert user is not None
        user.role = Role.SELLER
    actor, _ = tokens.authenticate(plaintext)
    assert actor.role is Role.SELLER and not actor.can(Permission.COST_VIEW)


def test_an_operator_makes_a_token_for_a_user_by_email(db):
    mia = make_user(email='mia@example.com')
    token, plaintext = tokens.create_for_email(' MIA@example.com ', 'read-write', None, None)
    assert token.user_id == mia.id and token.name == 'Command line' and token.expires_at is None
    assert tokens.authenticate(plaintext)[0].id == mia.id
    (entry,) = _audit('token.created')
    assert entry.actor_label == 'system'
    with pytest.raises(NotFound, match=r'no user with the email nobody@example\.com'):
        tokens.create_for_email('nobody@example.com', 'read', None, None)
    with pytest.raises(ValidationFailed, match='not a token scope'):
        tokens.create_for_email('mia@example.com', 'write', None, None)
    assert len(_rows()) == 1
