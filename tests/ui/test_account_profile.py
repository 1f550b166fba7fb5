"""My account: renaming myself, language and dark mode (in step with the header menu), password rules inline."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from db.engine import session_scope
from db.system import AuditEntry
from services import accounts
from tests.factories import PASSWORD, make_user
from tests.ui.session import eventually, open_as, press


def _element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


def _actions(action: str) -> int:
    with session_scope() as session:
        return len(session.exec(select(AuditEntry.id).where(AuditEntry.action == action)).all())


async def test_my_name_is_saved_and_a_bad_one_is_refused_at_the_field(visitor: User):
    mia = make_user(email='mia@example.com', name='Mia Manager')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    name = _element(visitor, 'name')
    name.value = '   '
    await press(visitor, 'save-name')
    assert name.error == 'The name must be 1 to 120 characters.'
    assert accounts.get_user(mia, mia.id).name == 'Mia Manager'
    name.value = 'Mia  Lindqvist'
    await press(visitor, 'save-name')
    await visitor.should_see('Your name has been saved; the header shows it from the next page load.')
    assert accounts.get_user(mia, mia.id).name == 'Mia Lindqvist'
    assert name.value == 'Mia Lindqvist'


async def test_the_language_is_remembered(visitor: User):
    mia = make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    language = _element(visitor, 'language')
    assert language.value == 'en-US'
    language.value = 'sv'
    await eventually(lambda: accounts.get_user(mia, mia.id).preferences.get('language') == 'sv', 'Swedish saved')
    await visitor.should_see('Saved.')
    await visitor.open('/account')
    await visitor.should_see(marker='account')
    assert _element(visitor, 'language').value == 'sv'


async def test_dark_mode_here_and_in_the_header_menu_stay_in_step_and_save_once_each(visitor: User):
    mia = make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/account', 'account')
    switch = _element(visitor, 'dark-mode')
    page_dark = next(e for e in visitor.client.elements.values() if isinstance(e, ui.dark_mode))
    assert switch.value is False
    switch.value = True
    await eventually(lambda: accounts.get_user(mia, mia.id).preferences.get('dark_mode') is True, 'dark mode saved')
    assert page_dark.value is True
    await press(visitor, 'dark-toggle')  # the header menu's switch, back to light
    await eventually(lambda: accounts.get_user(mia, mia.id).preferences.get('dark_mode') is False, 'light saved')
    assert switch.value is False
    assert _actions('user.preference') == 2


async def test_every_password_rule_shows_under_the_field_before_anything_is_sent(visitor: User):
    make_user(email='mia.manager@example.com', name='Maria Svensson')
    await open_as(visitor, 'mia.manager@example.com', '/account', 'account')
    new = _element(visitor, 'new')
    for password, sentence in (
        ('short', 'The new password must be at least 10 characters long.'),
        ('qwertyuiop', 'The new password is one of the most common passwords; choose a less obvious one.'),
        ('oooooooooooo', 'The new password must not be one character repeated.'),
        ('mia.manager 1984', 'The new password must not contain your email address.'),
        ('Maria Svensson 1984', 'The new password must not contain your name.'),
    ):
        visitor.find(marker='current').clear().type(PASSWORD)
        new.value = password
        visitor.find(marker='repeat').clear().type(password)
        await press(visitor, 'save-password')
        assert new.error == sentence
    assert _actions('user.password_changed') == 0
    new.value = 'a sound new passphrase'
    assert new.error is None
