"""User administration on screen: the paged list with search and filters, the new-user dialog with inline errors and
the one-time password, a user's page, and the live effect on the person concerned (logged out when deactivated,
the shell redrawn when their rights change)."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import accounts, permission_matrix, users
from tests.factories import make_user
from tests.ui.session import PATIENCE, eventually, location, log_in, open_as, press


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _names(user: User) -> list[str]:
    return [row['name'] for row in _element(user, 'user-table').rows]


async def test_the_list_is_searched_and_filtered_on_the_server(visitor: User):
    admin = make_user(Role.ADMIN, email='ada@example.com', name='Ada Admin')
    make_user(Role.SELLER, name='Sam Seller', email='sam@shop.example')
    gone = make_user(Role.AGENT, name='Abe Agent')
    users.set_active(admin, gone.id, False)
    await open_as(visitor, 'ada@example.com', '/settings/users', 'user-table')
    await eventually(lambda: _names(visitor) == ['Abe Agent', 'Ada Admin', 'Sam Seller'], 'everyone by name')
    visitor.find(marker='user-search').type('shop')
    await eventually(lambda: _names(visitor) == ['Sam Seller'], 'only Sam for "shop"')
    visitor.find(marker='user-search').clear()
    _element(visitor, 'user-status').value = 'inactive'
    await eventually(lambda: _names(visitor) == ['Abe Agent'], 'only the deactivated agent')
    _element(visitor, 'user-status').value = 'all'
    _element(visitor, 'user-role-filter').value = 'admin'
    await eventually(lambda: _names(visitor) == ['Ada Admin'], 'only the admin')


async def test_a_new_user_is_checked_inline_and_gets_a_one_time_password(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    await open_as(visitor, 'ada@example.com', '/settings/users', 'user-table')
    visitor.find(marker='new-user').click()
    await visitor.should_see(marker='user-dialog', retries=PATIENCE)
    await press(visitor, 'user-save')
    assert _element(visitor, 'user-name').error == 'Required.'
    assert _element(visitor, 'user-email').error == 'Required.'
    visitor.find(marker='user-name').type('Nia North')
    visitor.find(marker='user-email').type('nia@')
    await press(visitor, 'user-save')
    assert _element(visitor, 'user-email').error == 'is not a valid email address'
    visitor.find(marker='user-email').clear().type('ada@example.com')
    await press(visitor, 'user-save')
    assert 'already exists' in _element(visitor, 'user-email').error
    visitor.find(marker='user-email').clear().type('nia@example.com')
    await press(visitor, 'user-save')
    await visitor.should_see(marker='one-time', retries=PATIENCE)
    password = _element(visitor, 'one-time-password').text
    assert accounts.authenticate('nia@example.com', password).role is Role.SELLER
    visitor.find(marker='one-time-done').click()
    await eventually(lambda: 'Nia North' in _names(visitor), 'the new user in the list')


async def test_a_users_page_changes_the_role_deactivates_and_resets_the_password(visitor: User):
    ada = make_user(Role.ADMIN, email='ada@example.com')
    sam = make_user(Role.SELLER, name='Sam Seller')
    await open_as(visitor, 'ada@example.com', f'/settings/users/{sam.id}', 'user-detail')
    await visitor.should_see('Sam Seller', marker='user-title')
    _element(visitor, 'user-role').value = 'manager'
    await eventually(lambda: accounts.load_actor(sam.id).role is Role.MANAGER, 'the new role stored')
    await visitor.should_see('user.role_changed by', retries=PATIENCE)
    visitor.find(marker='toggle-active').click()
    await visitor.should_see(marker='confirm', retries=PATIENCE)
    visitor.find(marker='confirm-yes').click()
    await visitor.should_see(marker='user-inactive', retries=PATIENCE)
    assert accounts.load_actor(sam.id) is None
    visitor.find(marker='reset-password').click()
    await visitor.should_see(marker='confirm', retries=PATIENCE)
    visitor.find(marker='confirm-yes').click()
    await visitor.should_see(marker='one-time', retries=PATIENCE)
    password = _element(visitor, 'one-time-password').text
    assert users.get_user(ada, sam.id).password_must_change
    users.set_active(ada, sam.id, True)
    assert accounts.authenticate(sam.email, password).id == sam.id


async def test_a_deactivated_persons_open_screen_lands_on_the_login_page(visitor: User):
    admin = make_user(Role.ADMIN)
    sam = make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/watches', 'inventory-table')
    users.set_active(admin, sam.id, False)
    await eventually(lambda: location(visitor) == '/login?notice=deactivated', 'the login page')
    await log_in(visitor, 'sam@example.com')
    await visitor.should_see('This account has been deactivated; ask an administrator.', retries=PATIENCE)


async def test_a_new_role_or_matrix_redraws_the_drawer_and_the_screen(visitor: User):
    admin = make_user(Role.ADMIN)
    sam = make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/watches', 'inventory-table')
    with visitor.scope(marker='nav'):
        await visitor.should_not_see('Contacts')
    users.change_role(admin, sam.id, 'manager')
    await visitor.should_see('Your permissions have changed.', retries=PATIENCE)
    with visitor.scope(marker='nav'):
        await visitor.should_see('Contacts')
    permission_matrix.set_permission(admin, 'manager', 'inventory.view', False)
    await visitor.should_see(marker='forbidden', retries=PATIENCE)  # the screen shown is no longer open to them
    with visitor.scope(marker='nav'):
        await visitor.should_not_see('Inventory')
    assert location(visitor) == '/watches'
