"""The shell: the drawer offers each role only what it may open, and a screen it may not open says so politely."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import accounts
from tests.factories import make_user
from tests.ui.session import PATIENCE, eventually, log_in, open_as


@pytest.mark.parametrize(
    ('role', 'sees_audit_log'),
    [(Role.ADMIN, True), (Role.MANAGER, False), (Role.FINANCE, False), (Role.AGENT, False), (Role.SELLER, False)],
)
async def test_the_drawer_lists_only_what_the_role_may_open(visitor: User, role: Role, sees_audit_log: bool):
    make_user(role, email='someone@example.com')
    await log_in(visitor, 'someone@example.com')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    with visitor.scope(marker='nav'):
        await visitor.should_see('Dashboard')
        await visitor.should_see('My account')
        if sees_audit_log:
            await visitor.should_see('Audit log')
        else:
            await visitor.should_not_see('Audit log')


@pytest.mark.parametrize('role', [Role.MANAGER, Role.SELLER])
async def test_a_screen_the_role_may_not_open_is_refused_politely(visitor: User, role: Role):
    make_user(role, email='someone@example.com')
    await open_as(visitor, 'someone@example.com', '/audit', 'forbidden')
    with visitor.scope(marker='forbidden'):
        await visitor.should_see('This screen is not open to your role.')
        await visitor.should_see('You may not read the audit log.')
    await visitor.should_not_see(marker='audit')


async def test_an_admin_reads_and_filters_the_audit_log(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'ada@example.com', '/audit', 'audit')
    assert 'bg-amber-100' in visitor.find(marker='nav-audit').elements.pop().classes
    assert 'bg-amber-100' not in visitor.find(marker='nav-home').elements.pop().classes
    table = visitor.find(ui.table).elements.pop()
    await eventually(lambda: table.rows, 'the audit log to list entries')
    rows = table.rows
    assert [row['action'] for row in rows] == ['user.login', 'user.created', 'user.created']
    assert rows[0]['actor_label'] == 'ada@example.com'
    assert rows[1]['change'] == 'email: sam@example.com, role: seller'

    visitor.find(marker='audit-filter').type('ada@')
    await eventually(lambda: len(table.rows) == 1, 'the filter to leave only what ada@ did')
    assert table.rows[0]['action'] == 'user.login'


async def test_dark_mode_is_remembered_for_the_next_visit(visitor: User):
    mia = make_user(email='mia@example.com')
    await log_in(visitor, 'mia@example.com')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    with visitor.scope(marker='dark-toggle'):
        await visitor.should_see('Dark mode')
    visitor.find(marker='dark-toggle').click()
    await eventually(lambda: accounts.get_user(mia, mia.id).preferences.get('dark_mode'), 'the preference to be saved')
    await visitor.open('/')
    assert visitor.find(ui.dark_mode).elements.pop().value is True
    with visitor.scope(marker='dark-toggle'):
        await visitor.should_see('Light mode')
