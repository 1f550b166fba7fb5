"""Password rules: each rule refuses with its own sentence, for new users and for password changes alike."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.accounts import User
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry
from services import accounts
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ('password', 'problem'),
    [
        ('short', 'must be at least 10 characters long'),
        ('x' * 257, 'must be at most 256 characters long'),
        ('aaaaaaaaaaaa', 'must not be one character repeated'),
        ('qwertyuiop', 'is one of the most common passwords; choose a less obvious one'),
        ('Password123', 'is one of the most common passwords; choose a less obvious one'),
        ('mia.manager-2024!', 'must not contain your email address'),
        ('MIAMANAGER', 'must not contain your email address'),
        ('i am Maria Svensson really', 'must not contain your name'),
        ('mariasvensson', 'must not contain your name'),
    ],
)
def test_each_rule_has_its_sentence(password: str, problem: str):
    assert accounts.password_problem(password, email='mia.manager@example.com', name='Maria Svensson') == problem
    with pytest.raises(ValueError, match=problem):
        accounts.check_password_rules(password, email='mia.manager@example.com', name='Maria Svensson')


@pytest.mark.parametrize('password', ['correct horse battery', 'Mia likes 4 old watches', 'x' * 9 + 'y'])
def test_good_passwords_pass(password: str):
    assert accounts.password_problem(password, email='mia@example.com', name='Mia Manager') is None


def test_short_names_and_local_parts_do_not_forbid_common_words():
    assert accounts.password_problem('canada day in summer', email='ada@example.com', name='Ada') is None


def test_a_new_user_with_a_password_that_breaks_a_rule_is_refused_and_not_created(db):
    with pytest.raises(ValidationFailed, match='The password must not contain your name') as refusal:
        accounts.parse_user(email='sam@example.com', name='Samantha', role=Role.SELLER, password='samantha rules!')
    assert refusal.value.fields == {'password': 'must not contain your name'}
    with pytest.raises(ValidationFailed, match='The password is one of the most common'):
        accounts.parse_user(email='sam@example.com', name='Sam', role=Role.SELLER, password='password123')
    with session_scope() as session:
        assert session.exec(select(User)).first() is None


def test_a_password_change_follows_every_rule_and_changes_nothing_when_refused(db):
    actor = make_user(email='mia.manager@example.com', name='Maria Svensson')
    for bad, sentence in (
        ('1234567890', 'The new password is one of the most common passwords; choose a less obvious one.'),
        ('zzzzzzzzzzzzz', 'The new password must not be one character repeated.'),
        ('mia.manager rocks', 'The new password must not contain your email address.'),
        ('hello Maria Svensson', 'The new password must not contain your name.'),
    ):
        with pytest.raises(ValidationFailed) as refusal:
            accounts.change_password(actor, PASSWORD, bad)
        assert refusal.value.fields == {'new': sentence}
    assert accounts.authenticate(actor.email, PASSWORD).id == actor.id
    with session_scope() as session:
        assert 'user.password_changed' not in session.exec(select(AuditEntry.action)).all()


def test_only_the_holder_of_an_active_account_changes_its_password(db):
    actor = make_user()
    with session_scope() as session:
        session.get(User, actor.id).active = False
    with pytest.raises(PermissionDenied):
        accounts.change_password(actor, PASSWORD, 'a fine new passphrase')
    with pytest.raises(PermissionDenied):
        accounts.change_password(SYSTEM, PASSWORD, 'a fine new passphrase')
