"""Local accounts: login, lock-out, first admin, password rules, and refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry
from services import accounts
from services.errors import AccountLocked, AuthenticationFailed, Conflict, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, make_user


def _audit_actions() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def test_login_with_the_right_password_returns_the_actor(db):
    agent = make_user(Role.AGENT, email='Agent.Smith@Example.com')
    actor = accounts.authenticate('  AGENT.SMITH@example.com ', PASSWORD, ip='10.0.0.1')
    assert actor.id == agent.id
    assert actor.role is Role.AGENT
    assert 'user.login' in _audit_actions()


def test_wrong_password_and_unknown_user_get_the_same_sentence(db):
    make_user(email='a@example.com')
    with pytest.raises(AuthenticationFailed) as wrong:
        accounts.authenticate('a@example.com', 'not the password')
    with pytest.raises(AuthenticationFailed) as unknown:
        accounts.authenticate('nobody@example.com', 'whatever it is')
    assert str(wrong.value) == str(unknown.value) == 'The email or password is not correct.'


def test_repeated_failures_lock_the_account_even_for_the_right_password(db):
    make_user(email='b@example.com')
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('b@example.com', 'wrong password!')
    with pytest.raises(AccountLocked, match='locked for 15 min'):
        accounts.authenticate('b@example.com', 'wrong password!')
    with pytest.raises(AccountLocked, match='try again in'):
        accounts.authenticate('b@example.com', PASSWORD)
    assert _audit_actions().count('user.login_failed') == 4
    assert 'user.locked' in _audit_actions()


def test_a_success_resets_the_failure_count(db):
    make_user(email='c@example.com')
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('c@example.com', 'wrong password!')
    accounts.authenticate('c@example.com', PASSWORD)
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == 'c@example.com')).one()
        assert user.failed_logins == 0
        assert user.last_login_at is not None


def test_deactivated_user_cannot_log_in_or_act(db):
    actor = make_user(email='d@example.com')
    with session_scope() as session:
        session.get(User, actor.id).active = False
    with pytest.raises(AuthenticationFailed, match='deactivated'):
        accounts.authenticate('d@example.com', PASSWORD)
    assert accounts.load_actor(actor.id) is None


def test_first_start_creates_one_admin_with_a_one_time_password(db):
    email, password = accounts.ensure_first_admin()
    assert accounts.ensure_first_admin() is None
    actor = accounts.authenticate(email, password)
    assert actor.role is Role.ADMIN
    assert accounts.get_user(actor, actor.id).password_must_change


def test_password_change_needs_the_current_password_and_follows_the_rules(db):
    actor = make_user()
    with pytest.raises(ValidationFailed, match='not correct'):
        accounts.change_password(actor, 'wrong current', 'a brand new password')
    with pytest.raises(ValidationFailed, match='at least 10'):
        accounts.change_password(actor, PASSWORD, 'short')
    accounts.change_password(actor, PASSWORD, 'a brand new password')
    accounts.authenticate(actor.email, 'a brand new password')
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(actor.email, PASSWORD)


def test_only_user_managers_create_users_and_bad_input_writes_nothing(db):
    manager = make_user(Role.MANAGER)
    data = accounts.parse_user(email='new@example.com', name='New Person', role=Role.SELLER)
    with pytest.raises(PermissionDenied, match='may not manage users'):
        accounts.create_user(manager, data)
    with pytest.raises(ValidationFailed, match='email is not a valid email address'):
        accounts.parse_user(email='not-an-email', name='X', role=Role.SELLER)
    with pytest.raises(ValidationFailed, match='role'):
        accounts.parse_user(email='x@example.com', name='X', role='emperor')
    with session_scope() as session:
        assert session.exec(select(User).where(User.email == 'new@example.com')).first() is None


def test_created_user_gets_a_generated_password_shown_once(db):
    admin = make_user(Role.ADMIN)
    _, password = accounts.create_user(admin, accounts.parse_user(email='s@example.com', name='S', role='seller'))
    assert password and len(password) >= 10
    assert accounts.authenticate('s@example.com', password).role is Role.SELLER
    with pytest.raises(Conflict, match='already exists'):
        accounts.create_user(admin, accounts.parse_user(email='S@example.com', name='S', role='seller'))


def test_names_lists_active_users_of_the_roles_asked_for_by_name(db):
    manager = make_user(Role.MANAGER, name='Mia Manager')
    zed = make_user(Role.AGENT, name='Zed Agent')
    abe = make_user(Role.AGENT, name='Abe Agent')
    make_user(Role.SELLER, name='Sam Seller')
    with session_scope() as session:
        gone = make_user(Role.AGENT, name='Gone Agent')
        session.get(User, gone.id).active = False
    assert accounts.names(manager, [Role.AGENT]) == [(abe.id, 'Abe Agent'), (zed.id, 'Zed Agent')]
    assert [name for _, name in accounts.names(manager, [Role.SELLER, Role.MANAGER])] == ['Mia Manager', 'Sam Seller']
