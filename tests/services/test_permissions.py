"""The default matrix, the admin's overrides on top of it, and refusals as sentences."""

from __future__ import annotations

import pytest

from db.accounts import RolePermission
from db.engine import session_scope
from db.enums import Role
from services import accounts
from services.errors import PermissionDenied
from services.permissions import DEFAULT_MATRIX, STALE, Permission, notice_change, require, require_any
from tests.factories import make_user


def test_admin_may_do_everything_and_each_role_what_architecture_says():
    assert DEFAULT_MATRIX[Role.ADMIN] == frozenset(Permission)
    manager, finance, agent, seller = (DEFAULT_MATRIX[r] for r in (Role.MANAGER, Role.FINANCE, Role.AGENT, Role.SELLER))
    assert Permission.USERS_MANAGE not in manager | finance | agent | seller
    assert Permission.WORKFLOW_CONFIGURE not in manager | finance | agent | seller
    assert {Permission.LEDGER_BOOK, Permission.PAYOUTS_BOOK} <= finance
    assert Permission.INVENTORY_EDIT not in finance
    assert Permission.INVENTORY_VIEW_ALL not in agent
    assert Permission.COST_VIEW not in seller
    assert {Permission.LISTINGS_MANAGE, Permission.DESCRIPTIONS_WRITE} <= seller


def test_refusal_names_the_role_and_the_action(db):
    seller = make_user(Role.SELLER)
    with pytest.raises(PermissionDenied) as caught:
        require(seller, Permission.COST_VIEW)
    assert str(caught.value) == 'Your role (seller) may not see purchase costs.'
    require(seller, Permission.INVENTORY_VIEW)


def test_any_one_of_several_permissions_will_do_and_a_refusal_names_the_first(db):
    agent, finance = make_user(Role.AGENT), make_user(Role.FINANCE)
    require_any(agent, Permission.LEDGER_VIEW, Permission.COST_VIEW)  # the agent sees costs, not the ledger
    require_any(finance, Permission.LEDGER_VIEW, Permission.USERS_MANAGE)
    with pytest.raises(PermissionDenied) as caught:
        require_any(agent, Permission.LEDGER_VIEW, Permission.FX_MANAGE)
    assert str(caught.value) == 'Your role (agent) may not see the ledger.'


def test_any_one_of_several_permissions_still_refuses_a_stale_actor(db):
    finance = make_user(Role.FINANCE)
    notice_change(user_ids=[finance.id])  # their account changed after the actor was loaded
    with pytest.raises(PermissionDenied) as caught:
        require_any(finance, Permission.LEDGER_VIEW, Permission.FX_MANAGE)
    assert str(caught.value) == STALE


def test_admin_overrides_apply_on_top_of_the_defaults(db):
    seller = make_user(Role.SELLER)
    with session_scope() as session:
        session.add(RolePermission(role=Role.SELLER, permission='cost.view', granted=True))
        session.add(RolePermission(role=Role.SELLER, permission='listings.manage', granted=False))
        session.add(RolePermission(role=Role.SELLER, permission='no.such.permission', granted=True))
    actor = accounts.load_actor(seller.id)
    assert actor.can(Permission.COST_VIEW)
    assert not actor.can(Permission.LISTINGS_MANAGE)
    assert actor.permissions == (DEFAULT_MATRIX[Role.SELLER] | {Permission.COST_VIEW}) - {Permission.LISTINGS_MANAGE}
