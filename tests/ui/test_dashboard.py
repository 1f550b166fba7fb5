"""The dashboard counts real watches from the database, within what the role may see."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from db.types import utcnow
from tests.factories import make_user, make_watch
from tests.ui.session import eventually, open_as


def _text(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


async def _latest_rows(user: User) -> list[dict]:
    table = user.find(marker='latest').elements.pop()
    assert isinstance(table, ui.table)
    await eventually(lambda: table.rows, 'the latest watches')
    return table.rows


async def test_the_dashboard_shows_the_figures_in_the_database(visitor: User):
    make_user(Role.ADMIN, email='ada@example.com')
    make_watch('intake', cost='1000.00')
    make_watch('intake', cost='2500.50')
    make_watch('listed', cost='4000.00', brand='Rolex', model='Datejust', reference='1601')
    make_watch('sold', cost='9000.00')
    make_watch('photographed', cost='300.00', created_at=utcnow() - timedelta(days=30))
    make_watch('intake', cost='5000.00', deleted_at=utcnow())
    await open_as(visitor, 'ada@example.com', '/', 'dashboard')
    assert _text(visitor, 'tile-in-stock-value') == '4'
    assert _text(visitor, 'tile-stock-value-value') == '7,800.50 EUR'
    assert _text(visitor, 'tile-week-value') == '4'
    assert [_text(visitor, f'stage-{key}') for key in ('intake', 'photographed', 'listed', 'sold', 'shipped')] == [
        '2',
        '1',
        '1',
        '1',
        '0',
    ]
    rows = await _latest_rows(visitor)
    assert [row['stage'] for row in rows] == ['Sold', 'Listed', 'Intake', 'Intake', 'Photographed']
    assert rows[1]['watch'] == 'Rolex Datejust · 1601'
    assert rows[1]['cost'] == '4,000.00 EUR'


async def test_an_agent_counts_only_the_watches_they_sourced(visitor: User):
    agent = make_user(Role.AGENT, email='agnes@example.com')
    other = make_user(Role.AGENT)
    make_watch('intake', cost='1000.00', agent=agent)
    make_watch('listed', cost='500.00', agent=agent, brand='Tudor', model='Ranger')
    make_watch('intake', cost='7000.00', agent=other)
    make_watch('intake', cost='9000.00')
    await open_as(visitor, 'agnes@example.com', '/', 'dashboard')
    await visitor.should_see('Stock and intake for the watches you sourced')
    assert _text(visitor, 'tile-in-stock-value') == '2'
    assert _text(visitor, 'tile-stock-value-value') == '1,500.00 EUR'
    assert [row['watch'] for row in await _latest_rows(visitor)] == ['Tudor Ranger', 'Omega Seamaster']


async def test_a_seller_sees_no_costs(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    make_watch('listed', cost='4000.00')
    await open_as(visitor, 'sam@example.com', '/', 'dashboard')
    assert _text(visitor, 'tile-in-stock-value') == '1'
    await visitor.should_not_see(marker='tile-stock-value')
    rows = await _latest_rows(visitor)
    assert 'cost' not in {column['name'] for column in visitor.find(marker='latest').elements.pop().columns}
    assert rows[0]['cost'] == '—'


async def test_an_empty_dashboard_says_so(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    assert _text(visitor, 'tile-in-stock-value') == '0'
    assert _text(visitor, 'tile-stock-value-value') == '0.00 EUR'
    await visitor.should_see(marker='no-watches')
    await visitor.should_not_see(marker='latest')
