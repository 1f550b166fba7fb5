"""Commission rules: creating and changing them with field messages, no overlaps, permissions, the calculation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import CommissionBasis, Role
from db.ledger import CommissionRule
from db.system import AuditEntry
from services import commissions
from services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_user

RULE = {'role': 'agent', 'basis': 'gross_profit', 'percent': '5', 'currency': 'EUR', 'valid_from': '2026-01-01'}


@pytest.fixture
def finance(db):
    return make_user(Role.FINANCE)


def _snapshot() -> list:
    with session_scope() as session:
        return [session.execute(sa.select(t.__table__).order_by(t.__table__.c.id)).all()
                for t in (CommissionRule, AuditEntry)]  # fmt: skip


def test_a_rule_is_created_listed_changed_and_audited(finance):
    seller = make_user(Role.SELLER, name='Sara Seller')
    tiers = [{'above': '10000', 'percent': '8'}, {'above': '50000', 'percent': '10'}]
    rule = commissions.create_rule(finance, RULE | {'user_id': seller.id, 'role': None, 'tiers': tiers,
                                                    'minimum': '50', 'maximum': '5000'})  # fmt: skip
    assert (rule.subject, rule.basis, rule.percent, rule.tiers[1].above) == (
        'Sara Seller', CommissionBasis.GROSS_PROFIT, Decimal('5'), Decimal('50000'))  # fmt: skip
    role_rule = commissions.create_rule(finance, RULE)
    assert role_rule.subject == 'Every agent'
    page = commissions.list_rules(finance)
    assert (page.total, [item.id for item in page.items]) == (2, [role_rule.id, rule.id])

    changed = commissions.update_rule(finance, rule.id, RULE | {'user_id': seller.id, 'role': None, 'active': False})
    assert (changed.active, changed.tiers, changed.minimum) == (False, [], None)
    assert commissions.list_rules(finance, active=True).total == 1
    with session_scope() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.entity_type == 'commission_rule').order_by(AuditEntry.id)
        ).all()
    assert [entry.action for entry in entries] == ['commission_rule.created'] * 2 + ['commission_rule.updated']
    assert entries[2].after['active'] is False and entries[2].before['active'] is True


@pytest.mark.parametrize(
    ('change', 'field', 'message'),
    [
        ({'percent': '101'}, 'percent', 'less than or equal to 100'),
        ({'percent': '-1'}, 'percent', 'greater than or equal to 0'),
        ({'tiers': [{'above': '5000', 'percent': '8'}, {'above': '1000', 'percent': '9'}]}, 'tiers', 'lowest'),
        ({'tiers': [{'above': '0', 'percent': '8'}]}, 'tiers.0.above', 'greater than 0'),
        ({'minimum': '100', 'maximum': '50'}, 'maximum', 'at least the minimum'),
        ({'valid_to': '2025-12-31'}, 'valid_to', 'not come before'),
        ({'user_id': 1}, 'subject', 'either a person or a role'),
        ({'role': None}, 'subject', 'either a person or a role'),
        ({'currency': 'EURO'}, 'currency', 'not a currency code'),
        ({'basis': 'turnover'}, 'basis', "'sale_price' or 'gross_profit'"),
        ({'role': None, 'user_id': 99999}, 'subject', 'Choose a person'),
    ],
)
def test_bad_rules_are_refused_with_their_field_and_write_nothing(finance, change, field, message):
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        commissions.create_rule(finance, RULE | change)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


def test_overlapping_active_rules_of_one_subject_are_refused(finance):
    first = commissions.create_rule(finance, RULE | {'valid_to': '2026-06-30'})
    commissions.create_rule(finance, RULE | {'valid_from': '2026-07-01'})  # next to it: fine
    commissions.create_rule(finance, RULE | {'role': 'seller'})  # another subject: fine
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        commissions.create_rule(finance, RULE | {'valid_from': '2026-06-01', 'valid_to': '2026-06-15'})
    assert 'already applies from 2026-01-01 to 2026-06-30' in refused.value.fields['valid_from']
    with pytest.raises(ValidationFailed):
        commissions.update_rule(finance, first.id, RULE | {'valid_to': '2026-07-15'})
    assert _snapshot() == before
    commissions.create_rule(finance, RULE | {'valid_to': '2026-06-30', 'active': False})  # inactive: no clash


@pytest.mark.parametrize('role', [Role.AGENT, Role.SELLER, Role.MANAGER])
def test_only_commission_managers_touch_rules(finance, role):
    rule = commissions.create_rule(finance, RULE)
    someone = make_user(role)
    before = _snapshot()
    for call in (lambda: commissions.create_rule(someone, RULE | {'role': 'seller'}),
                 lambda: commissions.update_rule(someone, rule.id, RULE | {'active': False}),
                 lambda: commissions.list_rules(someone), lambda: commissions.get_rule(someone, rule.id)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            call()
    assert _snapshot() == before


def test_the_calculation_is_marginal_in_the_base_currency():
    rule = commissions.RuleIn(role='seller', basis='sale_price', percent='5', currency='SEK', valid_from=date.today(),
                              tiers=[{'above': '100000', 'percent': '8'}])  # fmt: skip
    # 100,000 SEK at 10 SEK per EUR is 10,000 EUR: 5 % of 10,000 and 8 % of 2,000.
    assert commissions.calculate(rule, Decimal('12000'), Decimal('10')) == (
        Decimal('660.00'), '5 % of 10,000.00 EUR + 8 % of 2,000.00 EUR on 12,000.00 EUR sale price')  # fmt: skip
    assert commissions.calculate(rule, Decimal('8000'), Decimal('10'))[0] == Decimal('400.00')
    assert commissions.calculate(rule, Decimal('-10'), Decimal('10'))[0] == 0
    assert 'marginal' in commissions.rules_screen_help()
