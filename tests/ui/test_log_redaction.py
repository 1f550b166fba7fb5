"""No secrets in the logs: a login, a bearer token and an OAuth callback URL leave none in any log record."""

from __future__ import annotations

import logging

import pytest
from nicegui.testing import User
from uvicorn.logging import AccessFormatter

from services import log_redaction
from tests.factories import PASSWORD, make_user
from tests.ui.session import PATIENCE, log_in

TOKEN = 'svpat_Q2hlY2tNZUlmWW91Q2Fu_s3cret'
CODE, STATE = 'SplxlOBeZQQYbYS6WxSbIA', 'af0ifjsldkj-state'


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return '\n'.join(record.getMessage() for record in caplog.records)


async def test_a_login_a_bearer_token_and_an_oauth_callback_leave_no_secret_in_the_logs(
    visitor: User, caplog: pytest.LogCaptureFixture
):
    make_user(email='mia@example.com')
    caplog.set_level(logging.DEBUG)
    await log_in(visitor, 'mia@example.com')
    await visitor.should_see(marker='user-menu', retries=PATIENCE)
    await visitor.http_client.get('/api/health', headers={'Authorization': f'Bearer {TOKEN}'})
    await visitor.http_client.get(f'/api/health?code={CODE}&state={STATE}')
    logging.getLogger('svcrm.test').info('Authorization: Bearer %s for %s', TOKEN, 'mia@example.com')
    logging.getLogger('svcrm.test').warning('login %s', {'email': 'mia@example.com', 'password': PASSWORD})
    logged = _everything_logged(caplog)
    assert 'code=[redacted]&state=[redacted]' in logged  # httpx logged the callback URL, cleaned
    for secret in (PASSWORD, TOKEN, CODE, STATE, TOKEN.removeprefix('svpat_')):
        assert secret not in logged


def test_the_access_log_keeps_its_shape_without_the_oauth_code(db):
    log_redaction.install()
    record = logging.getLogger('uvicorn.access').makeRecord(
        'uvicorn.access',
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ('127.0.0.1:5000', 'GET', f'/login/sso/callback?code={CODE}&state={STATE}', '1.1', 302),
        None,
    )
    line = AccessFormatter(fmt='%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert line == '127.0.0.1:5000 - "GET /login/sso/callback?code=[redacted]&state=[redacted] HTTP/1.1" 302 Found'


@pytest.mark.parametrize(
    ('text', 'clean'),
    [
        ('postgresql+psycopg://crm:hunter2@db:5432/svcrm', 'postgresql+psycopg://crm:[redacted]@db:5432/svcrm'),
        ('redis://:s3cret@cache:6379/0', 'redis://:[redacted]@cache:6379/0'),
        ('{"password": "hunter2", "email": "a@b.se"}', '{"password": "[redacted]", "email": "a@b.se"}'),
        ('password=hunter2 from 10.0.0.1', 'password=[redacted] from 10.0.0.1'),
        ('/watches?q=omega&page=2', '/watches?q=omega&page=2'),
    ],
)
def test_what_is_redacted_and_what_is_kept(text: str, clean: str):
    assert log_redaction.redact(text) == clean
