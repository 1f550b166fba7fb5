"""Single sign-on policy: who gets in with which role, whose account is linked, and refusals that write nothing.

The claims here are what the web glue hands over once Authlib has validated the ID token; tests/ui/test_sso.py
runs the same policy behind a real provider on loopback.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sqlmodel import func, select

from config import ConfigError, OidcProvider, get_settings, load_settings
from db.accounts import SsoIdentity, User
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry
from services import accounts, sso
from services.errors import AccountLocked, AuthenticationFailed
from tests.factories import PASSWORD, make_user
from tests.oidc import ROLE_MAP, provider_entry, providers_env

ACME = OidcProvider.model_validate(provider_entry('http://idp.example'))
DEFAULT_SELLER = ACME.model_copy(update={'default_role': Role.SELLER})
WORK_ONLY = ACME.model_copy(update={'allowed_domains': ('secondvintage.example',)})


def _claims(sub: str = 'sub-1', email: str = 'Sam@Example.com', **more: Any) -> dict[str, Any]:
    return {'sub': sub, 'email': email, 'email_verified': True, 'name': 'Sam Seller', **more}


def _counts() -> tuple[int, int, int]:
    """(users, identities, audit entries): what a refusal must leave as it was."""
    with session_scope() as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one() for table in (User, SsoIdentity, AuditEntry)
        )


def _actions() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def _user(email: str) -> User:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        session.expunge(user)
        return user


def _refused(provider: OidcProvider, claims: dict[str, Any], sentence: str) -> None:
    before = _counts()
    with pytest.raises(AuthenticationFailed) as refusal:
        sso.sign_in(provider, claims)
    assert str(refusal.value) == sentence
    assert _counts() == before


def test_a_new_person_is_created_with_the_role_their_group_maps_to(db):
    actor = sso.sign_in(ACME, _claims(groups=['everyone', 'watch-sellers']), ip='10.0.0.9')
    assert (actor.email, actor.name, actor.role) == ('sam@example.com', 'Sam Seller', Role.SELLER)
    user = _user('sam@example.com')
    assert user.password_hash is None
    assert user.last_login_at is not None
    with session_scope() as session:
        identity = session.exec(select(SsoIdentity)).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'user.login')).one()
    assert (identity.user_id, identity.provider, identity.subject, identity.email) == (
        user.id,
        'acme',
        'sub-1',
        'sam@example.com',
    )
    assert identity.last_login_at is not None
    assert (entry.actor_id, entry.after, entry.ip) == (user.id, {'method': 'acme'}, '10.0.0.9')
    assert _actions() == ['user.created', 'user.login']


def test_a_single_role_value_maps_too_and_the_first_mapped_group_wins(db):
    assert sso.sign_in(ACME, _claims('a', 'a@example.com', groups='watch-managers')).role is Role.MANAGER
    both = ['watch-sellers', 'watch-admins']  # role_map lists admins first
    assert sso.sign_in(ACME, _claims('b', 'b@example.com', groups=both)).role is Role.ADMIN
    assert list(ROLE_MAP) == ['watch-admins', 'watch-managers', 'watch-sellers']


def test_without_a_mapped_group_the_default_role_applies(db):
    assert sso.sign_in(DEFAULT_SELLER, _claims(groups=['everyone'])).role is Role.SELLER
    named = _claims('c', 'c@example.com', name=None, given_name='Cleo', family_name='Cole')
    assert sso.sign_in(DEFAULT_SELLER, named).name == 'Cleo Cole'


def test_an_unknown_person_is_refused_when_the_policy_says_refuse(db):
    _refused(
        ACME,
        _claims(groups=['everyone']),
        'Your account at Acme ID is not known here; ask an administrator to add you.',
    )


def test_a_verified_email_links_the_existing_user_and_keeps_their_role(db):
    agent = make_user(Role.AGENT, email='sam@example.com')
    actor = sso.sign_in(ACME, _claims(groups=['watch-admins']))
    assert (actor.id, actor.role) == (agent.id, Role.AGENT)
    assert _actions()[-2:] == ['user.sso_linked', 'user.login']
    with session_scope() as session:
        assert session.exec(select(SsoIdentity.user_id)).one() == agent.id
    assert accounts.authenticate('sam@example.com', PASSWORD).id == agent.id  # the password still works


def test_later_logins_go_by_subject_and_never_undo_an_admins_role_change(db):
    first = sso.sign_in(ACME, _claims(groups=['watch-sellers']))
    with session_scope() as session:
        session.get(User, first.id).role = Role.FINANCE
    again = sso.sign_in(ACME, _claims(email='sam.new@example.com', groups=['watch-admins']))
    assert (again.id, again.role, again.email) == (first.id, Role.FINANCE, 'sam@example.com')
    with session_scope() as session:
        assert session.exec(select(SsoIdentity.email)).one() == 'sam.new@example.com'


@pytest.mark.parametrize('verified', [False, 'false', None])
def test_an_unverified_email_is_refused_even_for_a_known_address(db, verified):
    make_user(Role.AGENT, email='sam@example.com')
    sentence = 'Your email address at Acme ID is not verified; verify it there and try again.'
    _refused(DEFAULT_SELLER, _claims(email_verified=verified), sentence)


def test_a_missing_email_is_refused(db):
    _refused(DEFAULT_SELLER, _claims(email=''), 'Acme ID did not tell us your email address; ask an administrator.')


def test_a_domain_outside_the_allowed_ones_is_refused(db):
    make_user(Role.AGENT, email='sam@example.com')
    _refused(WORK_ONLY, _claims(), 'Accounts at example.com may not log in here; use your work account.')
    sso.sign_in(WORK_ONLY.model_copy(update={'default_role': Role.SELLER}), _claims(email='Ann@SecondVintage.example'))


def test_a_deactivated_user_is_refused_by_subject_and_by_email(db):
    linked = sso.sign_in(DEFAULT_SELLER, _claims())
    local = make_user(Role.AGENT, email='lou@example.com')
    with session_scope() as session:
        for user_id in (linked.id, local.id):
            session.get(User, user_id).active = False
    sentence = 'This account has been deactivated; ask an administrator.'
    _refused(DEFAULT_SELLER, _claims(), sentence)
    _refused(DEFAULT_SELLER, _claims('sub-2', 'lou@example.com'), sentence)


def test_an_address_given_to_someone_new_at_the_provider_does_not_open_the_old_account(db):
    sso.sign_in(DEFAULT_SELLER, _claims('sub-1'))
    sentence = 'Your account here is linked to another account at Acme ID; ask an administrator.'
    _refused(DEFAULT_SELLER, _claims('sub-2'), sentence)


def test_a_user_without_a_password_is_refused_at_the_password_form_without_a_crash(db):
    """The form says what it says for any wrong password, so it never tells a stranger which addresses use SSO.

    Failed guesses may lock the password form, but single sign-on does not go through it and still works.
    """
    actor = sso.sign_in(DEFAULT_SELLER, _claims())
    with pytest.raises(AuthenticationFailed, match=r'^The email or password is not correct\.$'):
        accounts.authenticate('sam@example.com', '')
    for _ in range(get_settings().login_max_failures):
        with contextlib.suppress(AuthenticationFailed, AccountLocked):
            accounts.authenticate('sam@example.com', 'any password at all')
    with pytest.raises(AccountLocked):
        accounts.authenticate('sam@example.com', 'any password at all')
    assert sso.sign_in(DEFAULT_SELLER, _claims()).id == actor.id


def test_providers_are_read_from_the_environment(monkeypatch):
    entry = provider_entry('http://idp.example', allowed_domains=['@SecondVintage.example'], default_role='agent')
    monkeypatch.setenv('SV_OIDC_PROVIDERS', providers_env(entry, {**entry, 'name': 'other', 'scope': 'openid email'}))
    settings = load_settings()
    assert [provider.name for provider in settings.oidc_providers] == ['acme', 'other']
    acme = settings.oidc_provider('acme')
    assert acme is not None
    assert (acme.allowed_domains, acme.default_role, acme.role_map['watch-sellers']) == (
        ('secondvintage.example',),
        Role.AGENT,
        Role.SELLER,
    )
    assert acme.client_secret.get_secret_value() == 'not-a-real-secret'
    assert 'not-a-real-secret' not in repr(settings)
    assert settings.oidc_provider('missing') is None


@pytest.mark.parametrize(
    ('value', 'message'),
    [
        ('not json', 'SV_OIDC_PROVIDERS must be a JSON list of providers.'),
        ('{"name": "acme"}', 'SV_OIDC_PROVIDERS must be a JSON list of providers.'),
        (providers_env({**provider_entry('http://x'), 'name': 'Acme ID'}), 'SV_OIDC_PROVIDERS entry 1: name must be'),
        (providers_env(provider_entry('ftp://x')), 'SV_OIDC_PROVIDERS entry 1: discovery_url must start with http'),
        (providers_env({**provider_entry('http://x'), 'default_role': 'boss'}), 'entry 1: default_role input should'),
        (providers_env({**provider_entry('http://x'), 'scope': 'email'}), 'entry 1: scope must include openid'),
        (providers_env(provider_entry('http://x'), provider_entry('http://y')), 'names the provider "acme" twice'),
    ],
)
def test_malformed_providers_end_in_one_sentence_naming_the_variable(monkeypatch, value, message):
    monkeypatch.setenv('SV_OIDC_PROVIDERS', value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert message in str(error.value)
    assert str(error.value).startswith('Configuration error: SV_OIDC_PROVIDERS ')
