"""User administration: the list, creating and inviting, deactivating, roles, password resets, and the guards that
keep an administrator in charge; every refusal is a sentence and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.accounts import SsoIdentity, User
from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry
from services import accounts, users
from services.errors import AccountLocked, AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from services.permissions import STALE, Permission, require
from tests.factories import PASSWORD, make_user


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _user_count() -> int:
    with session_scope() as session:
        return len(session.exec(select(User.id)).all())


def test_the_list_is_searched_filtered_sorted_and_paged(db):
    admin = make_user(Role.ADMIN, name='Ada Admin', email='ada@example.com')
    seller = make_user(Role.SELLER, name='Sam Seller', email='sam@shop.example')
    make_user(Role.AGENT, name='Abe Agent')
    users.set_active(admin, seller.id, False)
    with session_scope() as session:
        session.add(SsoIdentity(user_id=admin.id, provider='google', subject='42', email='ada@example.com'))
    page = users.list_users(admin, sort='name')
    assert [row.name for row in page.items] == ['Abe Agent', 'Ada Admin', 'Sam Seller']
    assert page.items[1].identities == 1
    assert [row.name for row in users.list_users(admin, 'SHOP').items] == ['Sam Seller']
    assert [row.name for row in users.list_users(admin, role='agent').items] == ['Abe Agent']
    assert [row.name for row in users.list_users(admin, active=False).items] == ['Sam Seller']
    by_identities = users.list_users(admin, sort='identities', descending=True)
    assert by_identities.items[0].name == 'Ada Admin'
    second = users.list_users(admin, offset=2, limit=2)
    assert (second.total, [row.name for row in second.items]) == (3, ['Sam Seller'])
    with pytest.raises(ValidationFailed, match='"emperor" is not a role'):
        users.list_users(admin, role='emperor')


def test_only_user_managers_see_or_change_accounts(db):
    manager = make_user(Role.MANAGER)
    other = make_user(Role.SELLER)
    calls = [
        lambda: users.list_users(manager),
        lambda: users.get_user(manager, other.id),
        lambda: users.create_user(manager, email='x@example.com', name='X', role='seller', invite=False),
        lambda: users.set_active(manager, other.id, False),
        lambda: users.change_role(manager, other.id, 'admin'),
        lambda: users.reset_password(manager, other.id),
    ]
    for attempt in calls:
        with pytest.raises(PermissionDenied, match='may not manage users'):
            attempt()
    assert accounts.load_actor(other.id).role is Role.SELLER
    assert _audit('user.deactivated') == _audit('user.role_changed') == _audit('user.password_reset') == []


def test_a_created_user_gets_a_one_time_password_and_an_invited_one_none(db):
    admin = make_user(Role.ADMIN)
    user, password = users.create_user(
        admin, email='Nia@Example.com', name=' Nia  North ', role='finance', invite=False
    )
    assert (user.email, user.name, user.role) == ('nia@example.com', 'Nia North', Role.FINANCE)
    assert accounts.authenticate('nia@example.com', password).role is Role.FINANCE
    assert users.get_user(admin, user.id).password_must_change

    invited, none = users.create_user(admin, email='ivy@example.com', name='Ivy', role='seller', invite=True)
    assert none is None
    detail = users.get_user(admin, invited.id)
    assert (detail.has_password, detail.password_must_change, detail.identities) == (False, False, [])
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate('ivy@example.com', '')
    (entry,) = _audit('user.invited')
    assert (entry.actor_id, entry.entity_id, entry.after) == (admin.id, str(invited.id), {
        'email': 'ivy@example.com', 'role': 'seller'})  # fmt: skip


def test_bad_input_for_a_new_user_is_refused_and_writes_nothing(db):
    admin = make_user(Role.ADMIN)
    before = _user_count()
    with pytest.raises(ValidationFailed, match='email is not a valid email address') as caught:
        users.create_user(admin, email='not-an-email', name='X', role='seller', invite=True)
    assert 'email' in caught.value.fields
    with pytest.raises(ValidationFailed, match='role'):
        users.create_user(admin, email='x@example.com', name='X', role='emperor', invite=False)
    with pytest.raises(ValidationFailed, match='name'):
        users.create_user(admin, email='x@example.com', name='  ', role='seller', invite=False)
    with pytest.raises(Conflict, match='already exists'):
        users.create_user(admin, email=admin.email.upper(), name='Twin', role='seller', invite=True)
    assert _user_count() == before
    assert _audit('user.invited') == _audit('user.created')[1:] == []


def test_deactivating_refuses_login_and_the_actor_an_open_page_holds(db):
    admin = make_user(Role.ADMIN)
    seller = make_user(Role.SELLER, email='sam@example.com')
    read = users.set_active(admin, seller.id, False)
    assert not read.active
    assert accounts.load_actor(seller.id) is None
    with pytest.raises(AuthenticationFailed, match='deactivated'):
        accounts.authenticate('sam@example.com', PASSWORD)
    with pytest.raises(PermissionDenied) as caught:  # the seller's page still holds an actor: it is refused now
        require(seller, Permission.INVENTORY_VIEW)
    assert str(caught.value) == STALE
    (entry,) = _audit('user.deactivated')
    assert (entry.before, entry.after) == ({'active': True}, {'active': False})
    users.set_active(admin, seller.id, True)
    assert accounts.authenticate('sam@example.com', PASSWORD).id == seller.id
    assert len(_audit('user.reactivated')) == 1


def test_nobody_deactivates_themselves_or_the_last_admin(db):
    ada = make_user(Role.ADMIN)
    with pytest.raises(ValidationFailed, match='cannot deactivate your own account'):
        users.set_active(ada, ada.id, False)
    with pytest.raises(ValidationFailed, match='cannot demote the last active administrator'):
        users.change_role(ada, ada.id, 'manager')
    bob = make_user(Role.ADMIN)
    users.set_active(ada, bob.id, False)  # Ada is still there
    with pytest.raises(ValidationFailed, match='cannot demote the last active administrator'):
        users.change_role(ada, ada.id, Role.SELLER)
    system_admin = accounts.load_actor(ada.id)
    users.set_active(system_admin, bob.id, True)
    users.change_role(system_admin, ada.id, 'manager')  # Bob is an active admin: Ada may step down
    bob_now = accounts.load_actor(bob.id)
    with pytest.raises(ValidationFailed, match='cannot deactivate your own account'):
        users.set_active(bob_now, bob.id, False)
    assert accounts.load_actor(bob.id).role is Role.ADMIN
    assert [entry.after for entry in _audit('user.role_changed')] == [{'role': 'manager'}]


def test_a_role_change_takes_effect_at_once_and_refuses_the_old_actor(db):
    admin = make_user(Role.ADMIN)
    seller = make_user(Role.SELLER)
    users.change_role(admin, seller.id, 'manager')
    with pytest.raises(PermissionDenied, match='permissions have just changed'):
        require(seller, Permission.INVENTORY_VIEW)
    fresh = accounts.load_actor(seller.id)
    require(fresh, Permission.LOCATIONS_MANAGE)
    (entry,) = _audit('user.role_changed')
    assert (entry.before, entry.after) == ({'role': 'seller'}, {'role': 'manager'})
    with pytest.raises(ValidationFailed, match='"boss" is not a role'):
        users.change_role(admin, seller.id, 'boss')
    with pytest.raises(NotFound):
        users.change_role(admin, 99999, 'agent')
    assert accounts.load_actor(seller.id).role is Role.MANAGER


def test_a_password_reset_gives_a_one_time_password_and_unlocks(db):
    admin = make_user(Role.ADMIN)
    agent = make_user(Role.AGENT, email='abe@example.com')
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('abe@example.com', 'wrong password!')
    with pytest.raises(AccountLocked):
        accounts.authenticate('abe@example.com', 'wrong password!')
    password = users.reset_password(admin, agent.id)
    detail = users.get_user(admin, agent.id)
    assert (detail.password_must_change, detail.locked_until) == (True, None)
    assert accounts.authenticate('abe@example.com', password).id == agent.id
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate('abe@example.com', PASSWORD)
    (entry,) = _audit('user.password_reset')
    assert entry.after is None  # the password is never written down
    with pytest.raises(NotFound):
        users.reset_password(admin, 99999)


def test_identities_show_on_the_detail(db):
    admin = make_user(Role.ADMIN)
    with session_scope() as session:
        session.add(SsoIdentity(user_id=admin.id, provider='entra', subject='abc', email='ada@corp.example'))
    (identity,) = users.get_user(admin, admin.id).identities
    assert (identity.provider, identity.subject, identity.email) == ('entra', 'abc', 'ada@corp.example')
