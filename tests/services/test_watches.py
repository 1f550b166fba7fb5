"""The watch record: intake, what each role may see and change, validation that writes nothing, optimistic locking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import func, select

from db.accounts import RolePermission
from db.contacts import Contact
from db.engine import session_scope
from db.enums import ContactKind, LocationKind, Movement, Role
from db.inventory import SkuCounter, Watch
from db.ledger import FxRate
from db.places import Batch, Location
from db.system import AuditEntry
from db.workflow import Stage, StageEvent
from services import accounts, reference, watches
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.permissions import Actor
from tests.factories import make_user, take_in

THIS_YEAR = date.today().year


def _grant(role: Role, *permissions: str) -> None:
    with session_scope() as session:
        for permission in permissions:
            session.add(RolePermission(role=role, permission=permission, granted=True))


def _reload(actor: Actor) -> Actor:
    loaded = accounts.load_actor(actor.id)
    assert loaded is not None
    return loaded


def _footprint() -> dict[str, object]:
    """Everything a watch write touches, to prove a refusal changed nothing."""
    with session_scope() as session:
        count = lambda table: session.exec(select(func.count()).select_from(table)).one()  # noqa: E731
        watches_now = session.exec(select(Watch).order_by(Watch.id)).all()
        return {
            'watches': [watch.model_dump() for watch in watches_now],
            'events': count(StageEvent),
            'audit': count(AuditEntry),
            'counters': session.exec(select(func.coalesce(func.sum(SkuCounter.value), 0))).one(),
        }


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _location(name: str = 'Office Stockholm') -> int:
    with session_scope() as session:
        location = Location(name=name, kind=LocationKind.OFFICE)
        session.add(location)
        session.flush()
        return location.id


def _batch(number: str = 'B-2611-001') -> int:
    with session_scope() as session:
        batch = Batch(batch_number=number)
        session.add(batch)
        session.flush()
        return batch.id


def _supplier() -> int:
    with session_scope() as session:
        contact = Contact(kind=ContactKind.PERSON, name='Erik Lund')
        session.add(contact)
        session.flush()
        return contact.id


def test_intake_gives_sku_initial_stage_first_event_derived_fields_and_audit(db):
    manager = make_user(Role.MANAGER, name='Anna Berg')
    agent = make_user(Role.AGENT, name='Olle Agent')
    location, batch = _location(), _batch()
    watch = take_in(
        manager,
        reference=' 16610   lv ',
        serial=' e 123  456 ',
        movement='automatic',
        year=1991,
        case_diameter_mm=40,
        condition={'case': {'optical': 'A'}, 'movement': {'optical': 'A', 'technical': 'D'}, 'dial': {'optical': ''}},
        box=True,
        service_history=[{'date': '2019-05-02', 'watchmaker': 'Urmakare Ek', 'work': 'Full service'}],
        location_id=location,
        batch_id=batch,
        agent_id=agent.id,
        purchase_cost='1250.50',
        purchase_currency='eur',
        asking_price='2400',
        price_currency='SEK',
        purchased_on='2026-11-02',
    )
    assert watch.sku == f'SV-{date.today():%y%m}-00001'
    assert (watch.stage_key, watch.stage_name, watch.stage_colour) == ('intake', 'Intake', '#64748b')
    assert (watch.reference, watch.reference_norm, watch.serial) == ('16610 lv', '16610LV', 'E 123 456')
    assert watch.condition == {'case': {'optical': 'A'}, 'movement': {'optical': 'A', 'technical': 'D'}}
    assert watch.condition_grade == 'C'
    assert (watch.location_name, watch.batch_number, watch.agent_name) == (
        'Office Stockholm',
        'B-2611-001',
        'Olle Agent',
    )
    assert watch.purchase_cost == Decimal('1250.50') and watch.purchase_cost_base == Decimal('1250.50')
    assert watch.purchase_currency == 'EUR' and watch.asking_price == Decimal('2400.00')
    assert watch.service_history[0].date == date(2019, 5, 2)
    assert watch.version == 1 and watch.movement is Movement.AUTOMATIC
    with session_scope() as session:
        event = session.exec(select(StageEvent).where(StageEvent.watch_id == watch.id)).one()
        assert (event.from_stage_id, event.to_stage_id, event.actor_id) == (None, watch.stage_id, manager.id)
        assert session.get(Watch, watch.id).created_by_id == manager.id
    (entry,) = _audit('watch.created')
    assert entry.actor_id == manager.id and entry.entity_id == str(watch.id)
    assert entry.after['sku'] == watch.sku and entry.after['purchase_cost'] == '1250.50'
    assert entry.after['service_history'] == [
        {'date': '2019-05-02', 'watchmaker': 'Urmakare Ek', 'work': 'Full service'}
    ]


@pytest.mark.parametrize('role', [Role.ADMIN, Role.MANAGER, Role.AGENT])
def test_roles_that_take_in_watches(db, role):
    actor = make_user(role)
    assert watches.get_watch(actor, take_in(actor).id).brand == 'Omega'


@pytest.mark.parametrize('role', [Role.FINANCE, Role.SELLER])
def test_roles_that_may_not_take_in_watches_write_nothing(db, role):
    actor = make_user(role)
    before = _footprint()
    with pytest.raises(PermissionDenied, match=f'Your role \\({role.value}\\) may not take in new watches.'):
        take_in(actor)
    assert _footprint() == before


def test_an_agent_always_becomes_the_agent_of_what_they_take_in(db):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    watch = take_in(agent, agent_id=other.id)
    assert watch.agent_id == agent.id
    manager = make_user(Role.MANAGER)
    assert take_in(manager, agent_id=other.id).agent_id == other.id


def test_agents_see_and_edit_only_their_own_watches(db):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    theirs = take_in(other)
    mine = take_in(agent)
    with pytest.raises(NotFound, match=r'not one of yours'):
        watches.get_watch(agent, theirs.id)
    before = _footprint()
    with pytest.raises(NotFound):
        watches.update_watch(agent, theirs.id, watches.WatchUpdate(notes='mine now'), version=1)
    assert _footprint() == before
    assert watches.find_by_sku(agent, theirs.sku) is None
    assert watches.find_by_sku(agent, mine.sku) == mine.id
    assert watches.update_watch(agent, mine.id, watches.WatchUpdate(notes='polished'), version=1).notes == 'polished'


def test_an_agent_may_not_hand_a_watch_to_someone_else_but_a_manager_may(db):
    agent, other, manager = make_user(Role.AGENT), make_user(Role.AGENT), make_user(Role.MANAGER)
    watch = take_in(agent)
    before = _footprint()
    with pytest.raises(PermissionDenied, match=r'hand a watch over'):
        watches.update_watch(agent, watch.id, watches.WatchUpdate(agent_id=other.id), version=1)
    assert _footprint() == before
    assert watches.update_watch(agent, watch.id, watches.WatchUpdate(agent_id=agent.id), version=1).version == 1
    assert (
        watches.update_watch(manager, watch.id, watches.WatchUpdate(agent_id=other.id), version=1).agent_id == other.id
    )


def test_finance_reads_everything_but_cannot_edit_or_delete(db):
    finance, manager = make_user(Role.FINANCE), make_user(Role.MANAGER)
    watch = take_in(manager, serial='X1', purchase_cost='100', purchase_currency='EUR', supplier_id=_supplier())
    seen = watches.get_watch(finance, watch.id)
    assert (seen.serial, seen.purchase_cost, seen.supplier_id) == ('X1', Decimal('100.00'), watch.supplier_id)
    before = _footprint()
    with pytest.raises(PermissionDenied, match=r'Your role \(finance\) may not edit watches.'):
        watches.update_watch(finance, watch.id, watches.WatchUpdate(notes='x'), version=1)
    with pytest.raises(PermissionDenied, match=r'may not delete watches'):
        watches.delete_watch(finance, watch.id, version=1)
    assert _footprint() == before


def test_a_seller_sees_no_cost_supplier_or_serial(db):
    manager, seller = make_user(Role.MANAGER), make_user(Role.SELLER)
    watch = take_in(manager, serial='X1', purchase_cost='100', purchase_currency='USD', supplier_id=_supplier())
    seen = watches.get_watch(seller, watch.id)
    assert seen.purchase_cost is seen.purchase_currency is seen.purchase_cost_base is seen.supplier_id is None
    assert seen.serial is None
    assert seen.brand == 'Omega' and seen.sku == watch.sku
    assert watches.serial_matches(seller, 'X1') == []
    assert watches.serial_matches(manager, 'x1') == [(watch.id, watch.sku)]


def test_a_role_without_cost_access_can_neither_set_nor_change_costs(db):
    _grant(Role.SELLER, 'inventory.create', 'inventory.edit')
    seller, manager = _reload(make_user(Role.SELLER)), make_user(Role.MANAGER)
    before = _footprint()
    with pytest.raises(PermissionDenied, match=r'Your role \(seller\) may not set the purchase cost.'):
        take_in(seller, purchase_cost='100', purchase_currency='EUR')
    with pytest.raises(PermissionDenied, match=r'supplier'):
        take_in(seller, supplier_id=_supplier())
    assert _footprint() == before
    costly = take_in(manager, serial='S-1', purchase_cost='900', purchase_currency='EUR')
    before = _footprint()
    with pytest.raises(PermissionDenied, match=r'may not set the purchase cost, purchase currency'):
        watches.update_watch(
            seller, costly.id, watches.WatchUpdate(purchase_cost='1', purchase_currency='EUR'), version=1
        )
    with pytest.raises(PermissionDenied, match=r'serial'):
        watches.update_watch(seller, costly.id, watches.WatchUpdate(serial='S-2'), version=1)
    assert _footprint() == before
    # A form sends back the blanks it was shown: that is no change, and the hidden values survive.
    echoed = watches.WatchUpdate(purchase_cost=None, purchase_currency=None, serial=None, notes='Box has a dent')
    assert watches.update_watch(seller, costly.id, echoed, version=1).notes == 'Box has a dent'
    kept = watches.get_watch(manager, costly.id)
    assert (kept.purchase_cost, kept.purchase_currency, kept.serial) == (Decimal('900.00'), 'EUR', 'S-1')


FIELD_RULES = [
    ({'brand': '   '}, 'brand', 'Required.'),
    ({'model': None}, 'model', 'Required.'),
    ({'year': 1799}, 'year', f'Enter a year between 1800 and {THIS_YEAR}.'),
    ({'year': THIS_YEAR + 1}, 'year', f'Enter a year between 1800 and {THIS_YEAR}.'),
    ({'year': 'nineteen'}, 'year', 'Enter a whole number.'),
    ({'case_diameter_mm': 14.5}, 'case_diameter_mm', 'Enter a case diameter between 15 and 60 mm.'),
    ({'case_diameter_mm': 61}, 'case_diameter_mm', 'Enter a case diameter between 15 and 60 mm.'),
    ({'purchase_cost': '-1', 'purchase_currency': 'EUR'}, 'purchase_cost', 'Must not be negative.'),
    ({'asking_price': '10.005', 'price_currency': 'EUR'}, 'asking_price', 'Use at most 2 decimals.'),
    ({'reserve_price': 'a lot', 'price_currency': 'EUR'}, 'reserve_price', 'Enter an amount such as 1250.00.'),
    (
        {'purchase_cost': '1', 'purchase_currency': 'EUX'},
        'purchase_currency',
        '"EUX" is not a currency code; use a three-letter ISO 4217 code such as EUR or USD.',
    ),
    ({'condition': {'case': {'optical': 'F'}}}, 'condition', 'Case optical grade must be one of A, B, C, D, E.'),
    ({'condition': {'strap': {'optical': 'A'}}}, 'condition', 'Unknown component "strap".'),
    ({'movement': 'solar'}, 'movement', "Choose one of 'automatic', 'manual', 'quartz' or 'spring_drive'."),
    ({'service_history': [{'work': '  '}]}, 'service_history', 'Entry 1: Describe the work done.'),
    ({'reference': 'x' * 61}, 'reference', 'At most 60 characters.'),
    ({'purchased_on': 'last week'}, 'purchased_on', 'Enter a date such as 2024-05-31.'),
    ({'sku': 'SV-MINE'}, 'sku', 'This cannot be set here.'),
    ({'location_id': 0}, 'location_id', 'Must be more than 0.'),
    # Rules between fields and links to other rows are checked by the service.
    ({'purchase_cost': '100'}, 'purchase_currency', 'Choose the currency the watch was bought in.'),
    ({'asking_price': '100'}, 'price_currency', 'Choose the currency of the prices.'),
    (
        {'asking_price': '100', 'reserve_price': '150', 'price_currency': 'EUR'},
        'reserve_price',
        'The reserve price cannot be above the asking price.',
    ),
    (
        {'purchased_on': '2026-03-02', 'sold_on': '2026-03-01'},
        'sold_on',
        'The sale date cannot be before the purchase date.',
    ),
    ({'location_id': 9999}, 'location_id', 'No such location.'),
    ({'batch_id': 9999}, 'batch_id', 'No such batch.'),
    ({'seller_id': 9999}, 'seller_id', 'No such user.'),
    ({'supplier_id': 9999}, 'supplier_id', 'No such contact.'),
]


@pytest.mark.parametrize(('values', 'field', 'message'), FIELD_RULES)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(db, values, field, message):
    manager = make_user(Role.MANAGER)
    existing = take_in(manager)
    before = _footprint()
    with pytest.raises(ValidationFailed) as refused:
        take_in(manager, **values)
    assert refused.value.fields == {field: message}
    with pytest.raises(ValidationFailed) as refused:
        watches.update_watch(manager, existing.id, watches.parse_watch(values, partial=True), version=1)
    assert refused.value.fields[field] == message
    assert _footprint() == before


def test_the_refusal_sentence_names_the_field_or_all_of_them(db):
    with pytest.raises(ValidationFailed, match=f'^Year: Enter a year between 1800 and {THIS_YEAR}.$'):
        watches.parse_watch({'brand': 'Omega', 'model': 'Speedmaster', 'year': 1700})
    with pytest.raises(ValidationFailed) as refused:
        watches.parse_watch({'brand': '', 'model': 'Speedmaster', 'year': 1700, 'case_diameter_mm': 99})
    assert str(refused.value) == 'Please correct the brand, year and case diameter.'
    assert set(refused.value.fields) == {'brand', 'year', 'case_diameter_mm'}


def test_empty_form_values_mean_not_given(db):
    data = watches.parse_watch(
        {'brand': 'Omega', 'model': 'Speedmaster', 'year': '', 'reference': '  ', 'movement': '', 'purchased_on': ''}
    )
    assert data.year is data.reference is data.movement is data.purchased_on is None


def test_purchase_cost_is_converted_to_the_base_currency_at_the_rate_of_the_purchase_day(db):
    manager = make_user(Role.MANAGER)
    with session_scope() as session:
        session.add(FxRate(rate_date=date(2026, 10, 1), currency='USD', rate=Decimal('1.10000000'), source='ecb'))
        session.add(FxRate(rate_date=date(2026, 10, 5), currency='USD', rate=Decimal('1.25000000'), source='ecb'))
    at_first_rate = take_in(manager, purchase_cost='1100', purchase_currency='USD', purchased_on='2026-10-04')
    at_second_rate = take_in(manager, purchase_cost='1100', purchase_currency='USD', purchased_on='2026-10-05')
    before_any_rate = take_in(manager, purchase_cost='1100', purchase_currency='USD', purchased_on='2026-09-30')
    no_rate_at_all = take_in(manager, purchase_cost='1100', purchase_currency='CHF', purchased_on='2026-10-04')
    assert at_first_rate.purchase_cost_base == Decimal('1000.00')
    assert at_second_rate.purchase_cost_base == Decimal('880.00')
    assert before_any_rate.purchase_cost_base is None
    assert no_rate_at_all.purchase_cost_base is None
    changed = watches.update_watch(manager, at_first_rate.id, watches.WatchUpdate(purchased_on='2026-10-06'), version=1)
    assert changed.purchase_cost_base == Decimal('880.00')


def test_update_changes_only_the_fields_sent_recomputes_what_follows_and_audits_the_difference(db):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager, reference='5512', dial='black gilt', condition={'case': {'optical': 'A'}}, year=1965)
    data = watches.parse_watch(
        {'reference': '5513', 'condition': {'case': {'optical': 'D'}}, 'year': 1965, 'notes': 'Tritium dial'},
        partial=True,
    )
    updated = watches.update_watch(manager, watch.id, data, version=1)
    assert (updated.reference, updated.reference_norm, updated.condition_grade) == ('5513', '5513', 'D')
    assert (updated.dial, updated.year, updated.notes, updated.version) == ('black gilt', 1965, 'Tritium dial', 2)
    assert updated.updated_at is not None
    (entry,) = _audit('watch.updated')
    assert entry.before == {
        'reference': '5512',
        'reference_norm': '5512',
        'condition': {'case': {'optical': 'A'}},
        'condition_grade': 'A',
        'notes': None,
    }
    assert entry.after == {
        'reference': '5513',
        'reference_norm': '5513',
        'condition': {'case': {'optical': 'D'}},
        'condition_grade': 'D',
        'notes': 'Tritium dial',
    }


def test_saving_without_a_change_writes_nothing(db):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager, dial='white')
    before = _footprint()
    assert watches.update_watch(manager, watch.id, watches.WatchUpdate(dial=' white '), version=1).version == 1
    assert _footprint() == before


def test_the_second_of_two_editors_gets_a_conflict_naming_the_first_and_nothing_of_theirs_is_saved(db):
    anna, bo = make_user(Role.MANAGER, name='Anna Berg'), make_user(Role.MANAGER, name='Bo Ek')
    watch = take_in(anna, dial='black')
    assert watches.get_watch(anna, watch.id).version == watches.get_watch(bo, watch.id).version == 1
    watches.update_watch(anna, watch.id, watches.WatchUpdate(dial='blue'), version=1)
    before = _footprint()
    with pytest.raises(Conflict) as conflict:
        watches.update_watch(bo, watch.id, watches.WatchUpdate(dial='green', notes='re-lumed'), version=1)
    (saved,) = _audit('watch.updated')
    assert str(conflict.value) == (
        f'Anna Berg saved this watch at {saved.at.astimezone():%H:%M} while you were editing; '
        'your changes were not saved. Reload to see theirs.'
    )
    assert _footprint() == before
    current = watches.get_watch(bo, watch.id)
    assert (current.dial, current.notes, current.version) == ('blue', None, 2)
    assert watches.update_watch(bo, watch.id, watches.WatchUpdate(dial='green'), version=2).version == 3
    with pytest.raises(Conflict, match=r'^You saved this watch at \d\d:\d\d while you were editing'):
        watches.update_watch(bo, watch.id, watches.WatchUpdate(dial='red'), version=2)  # a second, older tab


def test_delete_is_soft_audited_version_checked_and_for_managers_only(db):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    watch = take_in(agent)
    with pytest.raises(PermissionDenied, match=r'Your role \(agent\) may not delete watches.'):
        watches.delete_watch(agent, watch.id, version=1)
    with pytest.raises(Conflict, match=r'while you were editing'):
        watches.delete_watch(manager, watch.id, version=7)
    watches.delete_watch(manager, watch.id, version=1)
    with pytest.raises(NotFound):
        watches.get_watch(manager, watch.id)
    assert watches.find_by_sku(manager, watch.sku) is None
    with session_scope() as session:
        kept = session.get(Watch, watch.id)
        assert kept.deleted_at is not None and kept.sku == watch.sku and kept.version == 2
    (entry,) = _audit('watch.deleted')
    assert entry.before == {'deleted_at': None} and entry.after['sku'] == watch.sku


def test_a_scanner_finds_the_watch_by_sku_whatever_the_case_and_surrounding_whitespace(db):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager)
    assert watches.find_by_sku(manager, f'  {watch.sku.lower()}\n') == watch.id
    assert watches.find_by_sku(manager, 'SV-0000-99999') is None
    assert watches.find_by_sku(manager, '   ') is None


def test_serial_matches_lists_earlier_watches_with_the_serial_in_scope(db):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    first = take_in(manager, serial='N 4711')
    second = take_in(agent, serial='n  4711')
    take_in(manager, serial='N 4712')
    assert watches.serial_matches(manager, ' n 4711 ') == [(first.id, first.sku), (second.id, second.sku)]
    assert watches.serial_matches(manager, 'N 4711', exclude_id=first.id) == [(second.id, second.sku)]
    assert watches.serial_matches(agent, 'N 4711') == [(second.id, second.sku)]
    assert watches.serial_matches(manager, '  ') == []


def test_reference_autofill_fills_in_from_the_reference_table_however_the_reference_is_typed(db):
    model = reference.table().models[0]
    typed = ' '.join(model.reference.lower())
    filled = watches.reference_autofill(typed)
    assert filled == {
        'brand': model.brand,
        'model': model.model,
        'reference': model.reference,
        'calibre': model.calibre,
        'movement': model.movement,
        'case_material': model.case_material,
        'case_diameter_mm': model.diameter_mm,
        'year_from': model.year_from,
        'year_to': model.year_to,
    }
    assert watches.reference_autofill('NO-SUCH-REF-0') is None


def test_a_filled_in_autofill_is_valid_intake_input(db):
    manager = make_user(Role.MANAGER)
    filled = watches.reference_autofill(reference.table().models[0].reference)
    year = filled.pop('year_from')
    filled.pop('year_to')
    assert take_in(manager, **filled, year=year).reference_norm == reference.table().models[0].reference_norm


def test_the_initial_stage_is_whichever_the_workflow_marks_initial(db):
    manager = make_user(Role.MANAGER)
    with session_scope() as session:
        for stage in session.exec(select(Stage)):
            stage.is_initial = stage.key == 'on_hold'
    assert take_in(manager).stage_key == 'on_hold'
