"""One watch's audit timeline, and the staff list the watch form picks agents and sellers from."""

from __future__ import annotations

import pytest

from db.enums import Role
from services import accounts, audit, watches
from services.errors import NotFound, PermissionDenied
from tests.factories import make_user, take_in


def test_a_watch_timeline_holds_only_its_own_entries_newest_first(db):
    manager = make_user(Role.MANAGER)
    first = take_in(manager, brand='Rolex', model='Submariner')
    take_in(manager)
    watches.update_watch(manager, first.id, watches.parse_watch({'dial': 'Black'}, partial=True), version=first.version)
    entries = audit.entity_entries(manager, 'watch', first.id)
    assert [entry.action for entry in entries] == ['watch.updated', 'watch.created']
    assert {entry.entity_id for entry in entries} == {str(first.id)}


def test_an_agent_reads_the_timeline_of_their_own_watches_only(db):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    mine = take_in(agent)
    assert [entry.action for entry in audit.entity_entries(agent, 'watch', mine.id)] == ['watch.created']
    with pytest.raises(NotFound):
        audit.entity_entries(other, 'watch', mine.id)


def test_other_entities_need_the_audit_permission(db):
    with pytest.raises(PermissionDenied):
        audit.entity_entries(make_user(Role.MANAGER), 'stage', 1)
    assert audit.entity_entries(make_user(Role.ADMIN), 'stage', 1) == []


def test_people_lists_active_staff_by_name_without_emails(db):
    make_user(Role.SELLER, name='Zoe Seller')
    agent = make_user(Role.AGENT, name='Anna Agent')
    names = [person.name for person in accounts.people(agent)]
    assert names == sorted(names) and {'Zoe Seller', 'Anna Agent'} <= set(names)
    assert 'email' not in accounts.Person.model_fields


def test_a_seller_reads_the_timeline_without_costs(db):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager, purchase_cost='900', purchase_currency='EUR', dial='Black')
    (created,) = audit.entity_entries(make_user(Role.SELLER), 'watch', watch.id)
    assert created.after is not None and created.after['dial'] == 'Black'
    assert not {'purchase_cost', 'purchase_currency', 'purchase_cost_base', 'serial'} & created.after.keys()
    (full,) = audit.entity_entries(manager, 'watch', watch.id)
    assert full.after is not None and full.after['purchase_cost'] == '900.00'
