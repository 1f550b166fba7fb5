"""Contacts: creating and editing with readable refusals that write nothing, the audit, paging, search, pickers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.contacts import Contact
from db.engine import session_scope
from db.enums import ContactKind, Role
from db.system import AuditEntry
from db.types import utcnow
from services import contacts
from services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_user

ANNA = {'name': 'Anna Berg', 'company': 'Berg Uhren GmbH', 'email': 'Anna@Example.com', 'city': 'Zürich'}


@pytest.fixture
def manager(db):
    return make_user(Role.MANAGER)


def _snapshot() -> list:
    """Every row the contact services may write, to prove a refusal wrote nothing."""
    with session_scope() as session:
        return [session.execute(sa.select(table).order_by(table.c.id)).all()
                for table in (Contact.__table__, AuditEntry.__table__)]  # fmt: skip


def _entries(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def _erase(contact_id: int) -> None:
    with session_scope() as session:
        session.get(Contact, contact_id).anonymised_at = utcnow()


def _names(page: contacts.Page[contacts.ContactRead]) -> list[str]:
    return [contact.name for contact in page.items]


# --- creating and editing ----------------------------------------------------------------------------------------


def test_a_contact_is_created_tidied_and_audited(manager):
    created = contacts.create_contact(
        manager,
        ANNA | {'kind': 'company', 'phone': ' +41 44  123 45 67 ', 'country': 'ch', 'vat_number': ' che-123.456.789 ',
                'street': '', 'consent': True},
    )  # fmt: skip
    assert (created.kind, created.email, created.phone, created.country, created.vat_number, created.street) == (
        ContactKind.COMPANY, 'anna@example.com', '+41 44 123 45 67', 'CH', 'CHE-123.456.789', None)  # fmt: skip
    assert created.consent_at is not None
    assert contacts.get_contact(manager, created.id) == created
    (entry,) = _entries('contact.created')
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ('contact', str(created.id), manager.id)
    assert entry.after['email'] == 'anna@example.com'
    assert entry.after['consent_at'] is not None


@pytest.mark.parametrize(
    ('data', 'field', 'message'),
    [
        ({'name': '   '}, 'name', 'a contact needs a name'),
        ({'email': 'anna@'}, 'email', '"anna@" is not an email address'),
        ({'country': 'XX'}, 'country', 'ISO 3166'),
        ({'country': 'SWE'}, 'country', 'ISO 3166'),
        ({'phone': 'call me'}, 'phone', 'use digits, spaces'),
        ({'phone': '08-12+34 56'}, 'phone', 'use digits, spaces'),
        ({'phone': '+1 2'}, 'phone', 'use digits, spaces'),
        ({'vat_number': 'SE#556'}, 'vat_number', 'letters, digits'),
        ({'kind': 'garage'}, 'kind', "'person' or 'company'"),
        ({'name': 'x' * 161}, 'name', '160'),
        ({'owner': 'me'}, 'owner', 'Extra inputs'),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_writes_nothing(manager, data, field, message):
    before = _snapshot()
    with pytest.raises(ValidationFailed, match=f'^The {field.replace("_", " ")}: ') as refused:
        contacts.create_contact(manager, ANNA | data)
    assert message in refused.value.fields[field]
    assert _snapshot() == before


def test_only_roles_that_manage_contacts_change_them(manager):
    anna = contacts.create_contact(manager, ANNA)
    others = [make_user(Role.SELLER), make_user(Role.AGENT)]
    before = _snapshot()
    for actor in others:
        with pytest.raises(PermissionDenied, match=f'Your role \\({actor.role.value}\\) may not change contacts'):
            contacts.create_contact(actor, ANNA)
        with pytest.raises(PermissionDenied):
            contacts.update_contact(actor, anna.id, {'name': 'Mine'})
    assert _snapshot() == before
    finance = make_user(Role.FINANCE)
    assert contacts.update_contact(finance, anna.id, {'vat_number': 'de123'}).vat_number == 'DE123'


def test_an_update_changes_only_what_is_given_and_audits_before_and_after(manager):
    anna = contacts.create_contact(manager, ANNA | {'consent': True})
    updated = contacts.update_contact(manager, anna.id, {'city': 'Basel', 'email': 'ANNA@example.com', 'consent': True})
    assert (updated.name, updated.city, updated.email, updated.consent_at) == (
        'Anna Berg', 'Basel', 'anna@example.com', anna.consent_at)  # fmt: skip
    assert updated.updated_at is not None
    (entry,) = _entries('contact.updated')
    assert (entry.before, entry.after) == ({'city': 'Zürich'}, {'city': 'Basel'})
    withdrawn = contacts.update_contact(manager, anna.id, {'consent': False})
    assert withdrawn.consent_at is None
    assert _entries('contact.updated')[-1].after == {'consent_at': None}


def test_an_update_refuses_bad_input_unknown_and_erased_contacts_and_writes_nothing(manager):
    anna = contacts.create_contact(manager, ANNA)
    gone = contacts.create_contact(manager, {'name': 'Former Customer'})
    _erase(gone.id)
    before = _snapshot()
    with pytest.raises(ValidationFailed, match=r'^The name: a contact needs a name\.$'):
        contacts.update_contact(manager, anna.id, {'name': None})
    with pytest.raises(ValidationFailed, match=r'^The kind: a contact is a person or a company\.$'):
        contacts.update_contact(manager, anna.id, {'kind': None})
    with pytest.raises(ValidationFailed, match=r'^The country: '):
        contacts.update_contact(manager, anna.id, {'country': 'Sweden'})
    with pytest.raises(NotFound, match='No such contact'):
        contacts.update_contact(manager, 9999, {'city': 'Oslo'})
    with pytest.raises(ValidationFailed, match='erased on request'):
        contacts.update_contact(manager, gone.id, {'name': 'Back again'})
    assert _snapshot() == before


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_list_is_paged_by_name_with_the_total(manager):
    for number in range(30):
        contacts.create_contact(manager, {'name': f'Client {number:02d}'})
    first = contacts.list_contacts(manager, offset=0, limit=25)
    second = contacts.list_contacts(manager, offset=25, limit=25)
    assert (first.total, second.total) == (30, 30)
    assert _names(first)[:2] == ['Client 00', 'Client 01']
    assert _names(second) == [f'Client {number}' for number in range(25, 30)]
    newest = contacts.list_contacts(manager, offset=0, limit=1, sort='name', descending=True)
    assert _names(newest) == ['Client 29']
    assert contacts.list_contacts(manager, offset=-5, limit=10_000).total == 30


def test_text_finds_the_start_of_a_name_company_or_email_in_any_case(manager):
    contacts.create_contact(manager, ANNA)
    contacts.create_contact(manager, {'name': 'Åsa Lind', 'email': 'asa@lind.example', 'kind': 'person'})
    contacts.create_contact(manager, {'name': 'Horlogerie du Rhône', 'kind': 'company', 'email': 'info@rhone.ch'})
    contacts.create_contact(manager, {'name': '100% Vintage', 'kind': 'company'})
    texts = ('anna b', 'ANNA', 'berg u', 'anna@ex', 'åsa', 'ÅSA L', 'asa@', 'h', 'rhône', '100%', '1000', 'berg', '_')
    found = {text: _names(contacts.list_contacts(manager, text)) for text in texts}
    assert found == {
        'anna b': ['Anna Berg'],
        'ANNA': ['Anna Berg'],
        'berg u': ['Anna Berg'],
        'anna@ex': ['Anna Berg'],
        'åsa': ['Åsa Lind'],
        'ÅSA L': ['Åsa Lind'],
        'asa@': ['Åsa Lind'],
        'h': ['Horlogerie du Rhône'],
        'rhône': [],
        '100%': ['100% Vintage'],
        '1000': [],
        'berg': ['Anna Berg'],
        '_': [],
    }
    companies = contacts.list_contacts(manager, kind='company')
    assert (companies.total, _names(companies)) == (2, ['100% Vintage', 'Horlogerie du Rhône'])
    assert _names(contacts.list_contacts(manager, 'a', kind=ContactKind.PERSON)) == ['Anna Berg', 'Åsa Lind']
    with pytest.raises(ValidationFailed, match='not a kind of contact'):
        contacts.list_contacts(manager, kind='buyer')


def test_an_erased_contact_shows_as_erased_and_is_never_found_by_text(manager):
    gone = contacts.create_contact(manager, ANNA | {'phone': '+46 8 123 45'})
    _erase(gone.id)
    listed = contacts.list_contacts(manager)
    assert [(c.name, c.email, c.phone, c.company, c.erased) for c in listed.items] == [
        (contacts.ERASED, None, None, None, True)]  # fmt: skip
    assert contacts.get_contact(manager, gone.id).name == contacts.ERASED
    for text in ('anna', 'berg', 'anna@example.com', 'erased'):
        assert contacts.list_contacts(manager, text).total == 0
    assert contacts.choices(manager, '') == []
    assert contacts.choice(manager, gone.id).label == contacts.ERASED


def test_only_roles_that_see_contacts_list_them(manager):
    anna = contacts.create_contact(manager, ANNA)
    for role in (Role.SELLER, Role.AGENT):
        with pytest.raises(PermissionDenied, match='may not see contacts'):
            contacts.list_contacts(make_user(role))
        with pytest.raises(PermissionDenied):
            contacts.get_contact(make_user(role), anna.id)
    assert contacts.list_contacts(make_user(Role.FINANCE)).total == 1
    with pytest.raises(NotFound):
        contacts.get_contact(manager, 9999)


def test_a_picker_offers_labels_and_is_open_to_whoever_may_set_a_supplier(manager):
    anna = contacts.create_contact(manager, ANNA)
    contacts.create_contact(manager, {'name': 'Anders Holm'})
    for number in range(25):
        contacts.create_contact(manager, {'name': f'Zeta {number:02d}', 'city': 'Oslo'})
    assert [c.label for c in contacts.choices(manager, 'an')] == ['Anders Holm', 'Anna Berg · Berg Uhren GmbH · Zürich']
    assert len(contacts.choices(manager, '')) == 20
    assert len(contacts.choices(manager, 'zeta', limit=5)) == 5
    assert contacts.choices(manager, 'zeta 07', limit=500)[0].label == 'Zeta 07 · Oslo'
    agent = make_user(Role.AGENT)  # may set a watch's supplier (cost access) but not browse the address book
    assert contacts.choice(agent, anna.id).label == 'Anna Berg · Berg Uhren GmbH · Zürich'
    assert [c.id for c in contacts.choices(agent, 'anna')] == [anna.id]
    with pytest.raises(PermissionDenied, match='may not see contacts'):
        contacts.choices(make_user(Role.SELLER), 'anna')
    with pytest.raises(NotFound):
        contacts.choice(manager, 9999)
