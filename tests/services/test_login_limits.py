"""Failed logins per address: refused before the password is checked once an address failed too often.

Runs on the store the suite's mode gives: in memory in the embedded default, Redis with SV_TEST_REDIS_URL
(there the count is shared by a second, independent store object, as by a second web process).
"""

from __future__ import annotations

import itertools
import os
import time

import pytest
from sqlmodel import select

from config import get_settings
from db.engine import session_scope
from db.system import AuditEntry
from services import accounts, login_limits
from services.errors import AccountLocked, AuthenticationFailed
from tests.factories import PASSWORD, make_user

_addresses = (f'198.51.100.{number}' for number in itertools.count(1))


@pytest.fixture
def few_per_address(db, monkeypatch: pytest.MonkeyPatch):
    """Three failures per address per window (the per-account lock-out stays at five)."""
    monkeypatch.setenv('SV_LOGIN_MAX_PER_ADDRESS', '3')
    get_settings.cache_clear()
    yield next(_addresses)
    get_settings.cache_clear()


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_an_address_that_failed_too_often_is_refused_even_with_the_right_password(few_per_address: str):
    address = few_per_address
    for email in ('a@example.com', 'b@example.com', 'c@example.com'):  # different accounts, one address
        make_user(email=email)
        with pytest.raises(AuthenticationFailed, match='not correct'):
            accounts.authenticate(email, 'a wrong guess', ip=address)
    with pytest.raises(login_limits.AddressBlocked, match='Too many failed logins from your network; try again in 15'):
        accounts.authenticate('a@example.com', PASSWORD, ip=address)
    assert accounts.authenticate('a@example.com', PASSWORD, ip=next(_addresses)).email == 'a@example.com'


def test_the_refusal_checks_no_password_and_counts_nothing_against_the_account(few_per_address: str):
    address = few_per_address
    make_user(email='a@example.com')
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('nobody@example.com', 'a wrong guess', ip=address)
    for _ in range(5):  # five more would lock the account if they reached it
        with pytest.raises(login_limits.AddressBlocked):
            accounts.authenticate('a@example.com', 'a wrong guess', ip=address)
    assert accounts.authenticate('a@example.com', PASSWORD, ip=next(_addresses)).email == 'a@example.com'
    assert _audit('user.login_failed') == []


def test_one_audit_entry_per_spell_of_refusals(few_per_address: str):
    address = few_per_address
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('nobody@example.com', 'a wrong guess', ip=address)
    for _ in range(4):
        with pytest.raises(login_limits.AddressBlocked):
            accounts.authenticate('Someone@Example.com ', 'a wrong guess', ip=address)
    [entry] = _audit('login.address_blocked')
    assert (entry.entity_type, entry.entity_id, entry.ip) == ('address', address, address)
    assert entry.after == {'email': 'Someone@Example.com'}


def test_the_per_account_lock_out_still_applies_below_the_address_limit(db):
    make_user(email='a@example.com')
    for number in range(4):  # from four addresses: no address reaches its limit
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('a@example.com', 'a wrong guess', ip=f'203.0.113.{number}')
    with pytest.raises(AccountLocked):
        accounts.authenticate('a@example.com', 'a wrong guess', ip='203.0.113.9')


def test_failures_older_than_the_window_no_longer_count():
    store = login_limits.MemoryStore()
    store.add('192.0.2.1', at=1000.0, window=900.0)
    store.add('192.0.2.1', at=1500.0, window=900.0)
    assert store.count('192.0.2.1', since=1000.0) == 2
    assert store.count('192.0.2.1', since=1200.0) == 1
    assert store.count('192.0.2.1', since=1600.0) == 0
    assert store.first_refusal('192.0.2.1', window=900.0)
    assert not store.first_refusal('192.0.2.1', window=900.0)


@pytest.mark.skipif(not os.environ.get('SV_TEST_REDIS_URL'), reason='needs SV_TEST_REDIS_URL (server mode)')
def test_in_server_mode_every_web_process_shares_the_count(few_per_address: str):
    address = few_per_address
    assert isinstance(login_limits.get_store(), login_limits.RedisStore)
    other_process = login_limits.RedisStore(os.environ['SV_TEST_REDIS_URL'], login_limits.get_store().prefix)
    for at in (1.0, 2.0, 3.0):
        other_process.add(address, at=time.time() - at, window=900.0)
    with pytest.raises(login_limits.AddressBlocked):
        accounts.authenticate('nobody@example.com', 'a wrong guess', ip=address)
    assert other_process.count(address, since=0.0) == 3
    assert other_process.first_refusal(address, window=900.0) is False  # this process already had the first


def test_a_login_without_an_address_is_never_limited(few_per_address: str):
    make_user(email='a@example.com')
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate('a@example.com', 'a wrong guess')
    with pytest.raises(AccountLocked):
        accounts.authenticate('a@example.com', 'a wrong guess')
