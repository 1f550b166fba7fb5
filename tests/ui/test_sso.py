"""Single sign-on through the app's own routes against a real OpenID Connect provider on loopback.

Each test takes the browser's part with the `user` fixture's HTTP client: the app sends it to the provider, the
provider's form is posted as a person pressing "Authorize" would, and the provider's redirect is followed back to
the app's callback. Every refusal must end on /login with a sentence and nobody logged in.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from config import get_settings
from db.accounts import User as UserRow
from db.engine import session_scope
from tests.oidc import MOCK_WARNINGS, authorize, provider, provider_entry, providers_env, put_user
from tests.ui.session import PATIENCE

pytestmark = [pytest.mark.filterwarnings(warning) for warning in MOCK_WARNINGS]
DOMAIN = 'secondvintage.example'


@pytest.fixture(scope='module')
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


@pytest.fixture(scope='module')
def stale_issuer() -> Iterator[str]:
    """A provider whose ID tokens expire ten minutes before they are issued: well beyond Authlib's two-minute leeway,
    so the callback meets a correctly signed token with the right nonce whose `exp` lies in the past."""
    with provider(token_lifetime=timedelta(minutes=-10)) as url:
        yield url


@pytest.fixture
async def visitor(db: str, user: User, issuer: str, stale_issuer: str, monkeypatch) -> AsyncIterator[User]:
    """A browser that is not logged in, on an app with three providers: Acme ID (work addresses only), Stale ID,
    and Down ID, which nothing answers for."""
    entries = [
        provider_entry(issuer, allowed_domains=[DOMAIN]),
        provider_entry(stale_issuer, name='stale', label='Stale ID', default_role='seller'),
        provider_entry(f'http://127.0.0.1:{_closed_port()}', name='down', label='Down ID'),
    ]
    monkeypatch.setenv('SV_OIDC_PROVIDERS', providers_env(*entries))
    get_settings.cache_clear()
    yield user
    monkeypatch.delenv('SV_OIDC_PROVIDERS')
    get_settings.cache_clear()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


async def _start(visitor: User, path: str = '/login/sso/acme') -> str:
    """Press the provider's button on /login; returns the provider's authorization URL the app redirected to."""
    response = await visitor.http_client.get(path, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers['location']


async def _sign_in(visitor: User, subject: str, path: str = '/login/sso/acme') -> str:
    """The whole round trip; returns where the app's callback sends the browser."""
    callback = await authorize(await _start(visitor, path), subject)
    response = await visitor.http_client.get(callback, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers['location']


async def _shows_refusal(visitor: User, location: str, sentence: str) -> None:
    """The browser is back on /login showing `sentence`, and nobody is logged in."""
    assert location.startswith('/login?notice=')
    await visitor.open(location)
    await visitor.should_see(sentence)
    assert visitor.find(marker='login-error').elements.pop().text == sentence
    response = await visitor.http_client.get('/', follow_redirects=False)
    assert response.headers['location'] == '/login'


def _users() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(UserRow)).one()


async def test_the_login_page_offers_each_provider_below_the_form(visitor: User):
    await visitor.open('/login?redirect_to=/watches')
    await visitor.should_see('or')
    await visitor.should_see('Log in with Acme ID')
    link = visitor.find(marker='sso-acme').elements.pop()
    assert link.props['href'] == '/login/sso/acme?redirect_to=%2Fwatches'
    await visitor.should_see('Log in with Stale ID')
    await visitor.should_not_see(marker='login-error')


async def test_a_round_trip_logs_a_new_seller_in_where_they_were_going(visitor: User, issuer: str):
    put_user(issuer, 'sam-1', email=f'sam@{DOMAIN}', name='Sam Seller', groups=['staff', 'watch-sellers'])
    authorize_url = await _start(visitor, '/login/sso/acme?redirect_to=%2Fwatches')
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f'{issuer}/oauth2/authorize?')
    assert query['code_challenge_method'] == ['S256']
    assert query['redirect_uri'] == ['http://localhost:8080/login/sso/acme/callback']
    assert {'state', 'nonce', 'code_challenge'} <= set(query)
    callback = await authorize(authorize_url, 'sam-1')
    response = await visitor.http_client.get(callback, follow_redirects=False)
    assert response.headers['location'] == '/watches'
    await visitor.open('/watches')
    await visitor.should_see(marker='user-menu', retries=PATIENCE)
    with visitor.scope(marker='user-menu'):
        await visitor.should_see('Sam Seller')
    with visitor.scope(marker='nav'):
        await visitor.should_see('Inventory')
        await visitor.should_not_see('Intake')
        await visitor.should_not_see('Workflow')


async def test_with_redis_the_session_cookie_holds_no_verifier_or_nonce(visitor: User):
    if not get_settings().redis_url:
        pytest.skip('Authlib keeps its state in the session cookie unless Redis is configured (SV_TEST_REDIS_URL).')
    await _start(visitor)
    payload = visitor.http_client.cookies['session'].split('.')[0]
    session = json.loads(base64.b64decode(payload + '=' * (-len(payload) % 4)))
    state_keys = [key for key in session if key.startswith('_state_acme_')]
    assert len(state_keys) == 1
    assert set(session[state_keys[0]]) == {'exp'}
    assert 'code_verifier' not in json.dumps(session)
    assert 'nonce' not in json.dumps(session)


async def test_a_forged_state_is_refused(visitor: User, issuer: str):
    put_user(issuer, 'sam-2', email=f'sam@{DOMAIN}', groups=['watch-sellers'])
    callback = await authorize(await _start(visitor), 'sam-2')
    path, query = callback.split('?')
    params = parse_qs(query)
    forged = f'{path}?code={params["code"][0]}&state=forged-{params["state"][0]}'
    response = await visitor.http_client.get(forged, follow_redirects=False)
    sentence = 'The single sign-on did not match a login started in this browser; please start again.'
    await _shows_refusal(visitor, response.headers['location'], sentence)
    assert _users() == 0


async def test_a_replayed_code_is_refused(visitor: User, issuer: str):
    """Once redeemed, the callback address is worth nothing: its state is spent and the provider refuses its code."""
    put_user(issuer, 'sam-3', email=f'sam@{DOMAIN}', groups=['watch-sellers'])
    callback = await authorize(await _start(visitor), 'sam-3')
    assert (await visitor.http_client.get(callback, follow_redirects=False)).headers['location'] == '/'
    visitor.http_client.cookies.clear()  # logged out: another browser, or the same one later
    replayed = await visitor.http_client.get(callback, follow_redirects=False)
    state_sentence = 'The single sign-on did not match a login started in this browser; please start again.'
    await _shows_refusal(visitor, replayed.headers['location'], state_sentence)
    fresh_state = parse_qs(urlsplit(await _start(visitor)).query)['state'][0]
    old_code = parse_qs(urlsplit(callback).query)['code'][0]
    response = await visitor.http_client.get(
        f'/login/sso/acme/callback?code={old_code}&state={fresh_state}', follow_redirects=False
    )
    sentence = "The single sign-on provider's answer could not be verified; please try again."
    await _shows_refusal(visitor, response.headers['location'], sentence)


async def test_an_expired_id_token_is_refused(visitor: User, stale_issuer: str):
    put_user(stale_issuer, 'sam-4', email='sam@example.com', groups=['watch-sellers'])
    location = await _sign_in(visitor, 'sam-4', '/login/sso/stale')
    await _shows_refusal(
        visitor, location, "The single sign-on provider's answer could not be verified; please try again."
    )
    assert _users() == 0


@pytest.mark.parametrize(
    ('claims', 'sentence'),
    [
        (
            {'email': f'sam@{DOMAIN}', 'email_verified': False, 'groups': ['watch-sellers']},
            'Your email address at Acme ID is not verified; verify it there and try again.',
        ),
        (
            {'email': 'sam@gmail.example', 'groups': ['watch-sellers']},
            'Accounts at gmail.example may not log in here; use your work account.',
        ),
        (
            {'email': f'sam@{DOMAIN}', 'groups': ['staff']},
            'Your account at Acme ID is not known here; ask an administrator to add you.',
        ),
    ],
    ids=['unverified email', 'disallowed domain', 'unknown under refuse'],
)
async def test_the_policy_refusals_are_shown_on_the_login_page(visitor: User, issuer: str, claims, sentence):
    put_user(issuer, 'sam-5', **claims)
    await _shows_refusal(visitor, await _sign_in(visitor, 'sam-5'), sentence)
    assert _users() == 0
    await visitor.open('/login?notice=sso_refused')  # shown once, then gone
    await visitor.should_see("The single sign-on provider's answer could not be verified; please try again.")


async def test_cancelled_unreachable_and_unknown_providers_land_on_login(visitor: User):
    callback = await authorize(await _start(visitor), '', action='deny')
    response = await visitor.http_client.get(callback, follow_redirects=False)
    await _shows_refusal(
        visitor, response.headers['location'], 'The login was cancelled at the single sign-on provider.'
    )
    response = await visitor.http_client.get('/login/sso/down', follow_redirects=False)
    sentence = 'The single sign-on provider cannot be reached just now; try again in a moment.'
    await _shows_refusal(visitor, response.headers['location'], sentence)
    for path in ('/login/sso/nope', '/login/sso/nope/callback?code=x&state=y'):
        response = await visitor.http_client.get(path, follow_redirects=False)
        await _shows_refusal(visitor, response.headers['location'], 'That single sign-on provider is not set up here.')


@pytest.mark.parametrize(
    ('notice', 'sentence'),
    [
        ('expired', 'Your session has expired; please log in again.'),
        ('deactivated', 'Your account has been deactivated; ask an administrator.'),
    ],
)
async def test_notices_from_other_screens_are_shown(visitor: User, notice: str, sentence: str):
    await _shows_refusal(visitor, f'/login?notice={notice}', sentence)


async def test_unknown_notices_show_nothing_from_the_address(visitor: User):
    await visitor.open('/login?notice=<b>Call 555-0100 to unlock</b>')
    await visitor.should_see(marker='email')
    await visitor.should_not_see('Call 555-0100 to unlock')
    await visitor.should_not_see(marker='login-error')
