"""Sessions end after the idle or the absolute limit: refused on the next page load, or swept from an open tab."""

from __future__ import annotations

import time

from nicegui.testing import User

from config import get_settings
from pages import auth
from tests.factories import make_user
from tests.ui.session import PATIENCE, eventually, open_as


async def _logged_in(visitor: User) -> dict:
    make_user(email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/', 'dashboard')
    session = auth.session_of(visitor.client)
    assert session is not None and session.get('user_id')
    return session


def _idle_seconds() -> int:
    return get_settings().session_idle_minutes * 60


async def test_a_page_load_after_the_idle_limit_is_sent_to_log_in_again(visitor: User):
    session = await _logged_in(visitor)
    session['seen_at'] -= _idle_seconds() + 1
    response = await visitor.http_client.get('/watches?q=omega', follow_redirects=False)
    assert response.status_code == 307
    assert response.headers['location'] == '/login?notice=expired&redirect_to=%2Fwatches%3Fq%3Domega'
    assert not session.get('user_id')
    response = await visitor.http_client.get('/', follow_redirects=False)
    assert response.headers['location'] == '/login'


async def test_the_absolute_limit_ends_a_session_however_busy(visitor: User):
    session = await _logged_in(visitor)
    session['logged_in_at'] -= get_settings().session_absolute_hours * 3600 + 1
    response = await visitor.http_client.get('/', follow_redirects=False)
    assert response.headers['location'] == '/login?notice=expired'


async def test_a_page_load_within_the_limit_counts_as_activity(visitor: User):
    session = await _logged_in(visitor)
    session['seen_at'] -= _idle_seconds() - 60
    response = await visitor.http_client.get('/watches', follow_redirects=False)
    assert response.status_code == 200
    assert time.time() - session['seen_at'] < 5


async def test_the_sweep_sends_an_open_tab_of_an_ended_session_to_the_login_page(visitor: User):
    await _logged_in(visitor)
    assert auth.sweep() == 0
    assert auth.sweep(now=time.time() + _idle_seconds() + 1) >= 1  # every tab of the session (login left one)
    await visitor.should_see(marker='email', retries=PATIENCE)
    assert visitor.back_history[-1] == '/login?notice=expired'
    assert auth.session_of(visitor.client).get('user_id') is None


async def test_navigating_inside_the_shell_keeps_an_open_tab_alive(visitor: User):
    session = await _logged_in(visitor)
    session['seen_at'] -= _idle_seconds() - 60  # a minute before the idle limit
    visitor.navigate.to('/watches')  # inside the shell: no page load, so the middleware sees nothing
    await eventually(lambda: time.time() - session['seen_at'] < 60, 'the navigation counted as activity')
    assert auth.sweep(now=time.time() + 120) == 0


def test_a_session_from_before_the_times_were_recorded_has_ended(db):
    assert auth.session_ended({'user_id': 1}, time.time())
    assert not auth.session_ended({'user_id': 1, 'logged_in_at': time.time(), 'seen_at': time.time()}, time.time())
