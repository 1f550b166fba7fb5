"""`python main.py create-token`: a token printed once that works on the API; bad input ends in one sentence."""

from __future__ import annotations

import re

from db.enums import TokenScope
from services import tokens
from tests.factories import make_user
from tests.test_cli import assert_one_sentence, run_cli


def test_create_token_prints_a_working_token_once(database_url):
    mia = make_user(email='mia@example.com')
    result = run_cli('create-token', '--email', 'Mia@Example.com', '--scope', 'read', '--name', 'Nightly export',
                     '--days', '30', SV_DATABASE_URL=database_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 'Created the read token "Nightly export"' in result.stdout and 'it expires' in result.stdout
    (plaintext,) = re.findall(r'svpat_\S+', result.stdout.split('shown only now')[1])
    actor, scope = tokens.authenticate(plaintext)
    assert actor.id == mia.id and scope is TokenScope.READ


def test_bad_email_or_scope_is_one_sentence(database_url):
    make_user(email='mia@example.com')
    assert_one_sentence(
        run_cli('create-token', '--email', 'nobody@example.com', '--scope', 'read', SV_DATABASE_URL=database_url),
        'There is no user with the email nobody@example.com.',
    )
    assert_one_sentence(
        run_cli('create-token', '--email', 'mia@example.com', '--scope', 'admin', SV_DATABASE_URL=database_url),
        '"admin" is not a token scope; choose "read" or "read-write".',
    )
    assert_one_sentence(
        run_cli(
            'create-token', '--email', 'mia@example.com', '--scope', 'read', '--days', '0', SV_DATABASE_URL=database_url
        ),
        'expires in days',
    )
