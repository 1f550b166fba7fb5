"""My profile: renaming myself and my preferences, audited, refusing bad input and people without an account."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.accounts import User
from db.engine import session_scope
from db.system import AuditEntry
from services import accounts
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import SYSTEM
from tests.factories import make_user


def _entries(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_renaming_tidies_the_name_and_audits_before_and_after(db):
    actor = make_user(name='Mia Manager')
    saved = accounts.rename(actor, '  Mia   Lindqvist ')
    assert saved.name == 'Mia Lindqvist'
    assert accounts.get_user(actor, actor.id).name == 'Mia Lindqvist'
    [entry] = _entries('user.renamed')
    assert (entry.before, entry.after) == ({'name': 'Mia Manager'}, {'name': 'Mia Lindqvist'})
    accounts.rename(actor, 'Mia Lindqvist')
    assert len(_entries('user.renamed')) == 1  # no change, no entry


@pytest.mark.parametrize('name', ['', '   ', 'x' * 121])
def test_a_bad_name_is_refused_at_the_field_and_changes_nothing(db, name: str):
    actor = make_user(name='Mia Manager')
    with pytest.raises(ValidationFailed, match='The name must be 1 to 120 characters') as refusal:
        accounts.rename(actor, name)
    assert refusal.value.fields == {'name': 'The name must be 1 to 120 characters.'}
    assert accounts.get_user(actor, actor.id).name == 'Mia Manager'


def test_without_an_active_account_nothing_of_the_profile_changes(db):
    actor = make_user(name='Mia Manager')
    with session_scope() as session:
        session.get(User, actor.id).active = False
    for change in (
        lambda who: accounts.rename(who, 'Someone Else'),
        lambda who: accounts.set_preference(who, 'language', 'sv'),
        lambda who: accounts.set_preference(who, 'dark_mode', True),
    ):
        for who in (actor, SYSTEM):
            with pytest.raises(PermissionDenied, match='active account'):
                change(who)
    with session_scope() as session:
        user = session.get(User, actor.id)
        assert (user.name, user.preferences) == ('Mia Manager', {})


def test_language_and_dark_mode_are_remembered_and_audited(db):
    actor = make_user()
    accounts.set_preference(actor, 'language', 'sv')
    accounts.set_preference(actor, 'dark_mode', True)
    assert accounts.get_user(actor, actor.id).preferences == {'language': 'sv', 'dark_mode': True}
    assert [(entry.before, entry.after) for entry in _entries('user.preference')] == [
        ({'language': None}, {'language': 'sv'}),
        ({'dark_mode': None}, {'dark_mode': True}),
    ]


@pytest.mark.parametrize(
    ('key', 'value', 'sentence'),
    [
        ('language', 'tlh', 'Choose one of the languages offered: English, Svenska, Deutsch, Français, Italiano.'),
        ('dark_mode', 'yes', 'Dark mode is either on or off.'),
        ('font_size', 12, 'Unknown preference "font_size".'),
    ],
)
def test_a_bad_preference_is_refused_and_changes_nothing(db, key: str, value: object, sentence: str):
    actor = make_user()
    with pytest.raises(ValidationFailed) as refusal:
        accounts.set_preference(actor, key, value)
    assert str(refusal.value) == sentence
    assert accounts.get_user(actor, actor.id).preferences == {}
    assert _entries('user.preference') == []
