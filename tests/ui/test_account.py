"""My account: changing the password, refusals shown at the field, and the banner a one-time password brings."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import accounts
from services.errors import AuthenticationFailed
from services.permissions import SYSTEM
from tests.factories import PASSWORD, make_user
from tests.ui.session import PATIENCE, log_in, open_as, press

NEW_PASSWORD = 'a brand new passphrase'


def _field(user: User, marker: str) -> ui.input:
    field = user.find(marker=marker).elements.pop()
    assert isinstance(field, ui.input)
    return field


def _fill(user: User, current: str, new: str, repeat: str) -> None:
    user.find(marker='current').type(current)
    user.find(marker='new').type(new)
    user.find(marker='repeat').type(repeat)


async def test_the_password_is_changed(visitor: User):
    make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    await visitor.should_see('mia@example.com')
    _fill(visitor, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    await press(visitor, 'save-password')
    await visitor.should_see('Your password has been changed.')
    assert _field(visitor, 'current').value == ''
    assert _field(visitor, 'current').error is None
    assert accounts.authenticate('mia@example.com', NEW_PASSWORD).email == 'mia@example.com'


async def test_a_wrong_current_password_is_refused_at_the_field(visitor: User):
    make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    _fill(visitor, 'not my password', NEW_PASSWORD, NEW_PASSWORD)
    await press(visitor, 'save-password')
    assert _field(visitor, 'current').error == 'Not correct.'
    await visitor.should_not_see('Your password has been changed.')
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate('mia@example.com', NEW_PASSWORD)


async def test_a_short_or_mismatched_new_password_never_reaches_the_server(visitor: User):
    make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    _fill(visitor, PASSWORD, 'short', 'short')
    await press(visitor, 'save-password')
    assert _field(visitor, 'new').error == 'The new password must be at least 10 characters long.'
    _fill(visitor, '', ' and longer', ' but different')
    await press(visitor, 'save-password')
    assert _field(visitor, 'new').error is None
    assert _field(visitor, 'repeat').error == 'Does not match'
    assert accounts.authenticate('mia@example.com', PASSWORD).email == 'mia@example.com'


async def test_a_one_time_password_asks_for_a_change_until_it_is_made(visitor: User):
    data = accounts.parse_user(email='new@example.com', name='New Person', role=Role.SELLER)
    _, one_time = accounts.create_user(SYSTEM, data)
    await log_in(visitor, 'new@example.com', one_time)
    await visitor.should_see(marker='must-change', retries=PATIENCE)
    visitor.find('Change it now').click()
    await visitor.should_see(marker='account', retries=PATIENCE)
    _fill(visitor, one_time, NEW_PASSWORD, NEW_PASSWORD)
    await press(visitor, 'save-password')
    await visitor.should_see('Your password has been changed.')
    await visitor.should_not_see(marker='must-change')
    await visitor.open('/')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    await visitor.should_not_see(marker='must-change')
