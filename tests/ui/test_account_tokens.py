"""My account, API tokens: a token made on screen is shown once and works on the API; revoking asks first."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import TokenScope
from services import tokens
from services.errors import AuthenticationFailed
from tests.factories import make_user
from tests.ui.session import eventually, open_as, press


def _table(user: User) -> ui.table:
    table = user.find(marker='token-table').elements.pop()
    assert isinstance(table, ui.table)
    return table


def _value(user: User, marker: str) -> object:
    return user.find(marker=marker).elements.pop().value


async def test_a_token_is_made_shown_once_and_works(visitor: User):
    mia = make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    await visitor.should_see(marker='api-tokens')
    assert _table(visitor).rows == []
    visitor.find(marker='new-token').click()
    await visitor.should_see(marker='token-dialog')
    visitor.find(marker='token-name').type('Stock sync')
    visitor.find(marker='token-scope').elements.pop().value = TokenScope.READ_WRITE.value
    visitor.find(marker='token-expires_in_days').elements.pop().value = 30
    await press(visitor, 'token-create')
    await visitor.should_see(marker='token-shown')
    await visitor.should_see('you will not see it again')
    plaintext = str(_value(visitor, 'token-value'))
    actor, scope = tokens.authenticate(plaintext)
    assert actor.id == mia.id and scope is TokenScope.READ_WRITE
    await eventually(lambda: len(_table(visitor).rows) == 1, 'the new token in the list')
    row = _table(visitor).rows[0]
    assert row['name'] == 'Stock sync' and row['scope_label'] == 'Read and write' and row['status'] == 'active'
    assert plaintext[: tokens.PREFIX_LENGTH] in row['prefix_shown'] and plaintext not in str(row)
    visitor.find(marker='token-done').click()
    await visitor.should_not_see(marker='token-shown')


async def test_a_nameless_token_is_refused_at_the_field(visitor: User):
    mia = make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    visitor.find(marker='new-token').click()
    await visitor.should_see(marker='token-dialog')
    await press(visitor, 'token-create')
    assert user_error(visitor, 'token-name') == 'Required.'
    visitor.find(marker='token-name').type('   ')
    await press(visitor, 'token-create')
    assert 'give the token a name' in str(user_error(visitor, 'token-name'))
    assert tokens.list_mine(mia) == []


async def test_revoking_asks_first_and_the_token_stops_working(visitor: User):
    mia = make_user(email='mia@example.com')
    token, plaintext = tokens.create(mia, 'Old script', TokenScope.READ, None)
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    await eventually(lambda: len(_table(visitor).rows) == 1, 'the token in the list')
    visitor.find(marker='token-table').trigger('revoke', _table(visitor).rows[0])
    await visitor.should_see(marker='confirm')
    visitor.find(marker='confirm-no').click()
    await visitor.should_not_see(marker='confirm')
    assert tokens.authenticate(plaintext)[0].id == mia.id
    visitor.find(marker='token-table').trigger('revoke', _table(visitor).rows[0])
    await visitor.should_see(marker='confirm')
    await press(visitor, 'confirm-yes')
    await visitor.should_see('The token "Old script" is revoked.')
    await eventually(lambda: _table(visitor).rows[0]['status'] == 'revoked', 'the token marked revoked')
    try:
        tokens.authenticate(plaintext)
    except AuthenticationFailed as refused:
        assert 'revoked' in str(refused)
    else:
        raise AssertionError(f'the revoked token {token.prefix} still works')


def user_error(user: User, marker: str) -> object:
    return user.find(marker=marker).elements.pop().error
