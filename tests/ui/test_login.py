"""Logging in and out: where people land, what a refusal looks like, and what stays closed afterwards."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from db.enums import Role
from tests.factories import PASSWORD, make_user
from tests.ui.session import PATIENCE, location, log_in


def _error(user: User) -> str:
    return user.find(marker='login-error').elements.pop().text


async def _fail_once(user: User, password: str) -> None:
    """Press the button with `password` and wait for the refusal (the form empties the password field)."""
    user.find(marker='password').type(password)
    user.find(marker='submit').click()
    field = user.find(marker='password').elements.pop()
    for _ in range(PATIENCE):
        if not field.value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError('the login was neither refused nor accepted')


async def test_the_right_password_lands_on_the_dashboard(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com', name='Mia Manager')
    await log_in(visitor, 'MIA@example.com ')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    assert location(visitor) == '/'
    with visitor.scope(marker='user-menu'):
        await visitor.should_see('Mia Manager')


async def test_a_wrong_password_is_refused_inline_and_the_page_stays(visitor: User):
    make_user(email='mia@example.com')
    await log_in(visitor, 'mia@example.com', 'not the password')
    await visitor.should_see('The email or password is not correct.', retries=PATIENCE)
    assert _error(visitor) == 'The email or password is not correct.'
    assert location(visitor) == '/login'
    assert visitor.find(marker='password').elements.pop().value == ''
    await visitor.should_not_see(marker='user-menu')


async def test_five_failures_lock_the_account_even_against_the_right_password(visitor: User):
    make_user(email='mia@example.com')
    await visitor.open('/login')
    visitor.find(marker='email').type('mia@example.com')
    for _ in range(4):
        await _fail_once(visitor, 'not the password')
        assert _error(visitor) == 'The email or password is not correct.'
    await _fail_once(visitor, 'not the password')
    assert _error(visitor) == 'Too many failed logins: this account is locked for 15 min.'
    await _fail_once(visitor, PASSWORD)
    assert _error(visitor) == 'This account is locked after too many failed logins; try again in 15 min.'
    assert location(visitor) == '/login'


async def test_logging_out_returns_to_login_and_closes_the_shell(visitor: User):
    make_user(email='mia@example.com')
    await log_in(visitor, 'mia@example.com')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    visitor.find(marker='logout').click()
    await visitor.should_see(marker='email', retries=PATIENCE)
    assert location(visitor) == '/login'
    response = await visitor.http_client.get('/', follow_redirects=False)
    assert response.is_redirect
    assert response.headers['location'] == '/login'


async def test_a_deep_link_asks_for_a_login_and_then_opens(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    response = await visitor.http_client.get('/audit', follow_redirects=False)
    assert response.is_redirect
    assert response.headers['location'] == '/login?redirect_to=%2Faudit'
    await log_in(visitor, 'ada@example.com', path=response.headers['location'])
    await visitor.should_see(marker='audit', retries=PATIENCE)
    assert location(visitor) == '/audit'


async def test_a_redirect_never_leaves_the_site(visitor: User):
    make_user(email='mia@example.com')
    await log_in(visitor, 'mia@example.com', path='/login?redirect_to=//evil.example/phish')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    assert location(visitor) == '/'
