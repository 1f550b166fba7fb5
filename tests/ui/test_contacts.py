"""Contacts: the paged list with search and kind filter, the dialog's inline errors, editing, who may open it,
and the supplier picker on the watch form (searching, "New contact", and roles that never see it)."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.accounts import RolePermission
from db.engine import session_scope
from db.enums import Role
from services import contacts, watches
from tests.factories import make_user, take_in
from tests.ui.session import PATIENCE, eventually, location, log_in, open_as, press

ANNA = {'name': 'Anna Berg', 'company': 'Berg Uhren GmbH', 'city': 'Zürich', 'email': 'anna@berg.example'}
ANNA_LINE = 'Anna Berg · Berg Uhren GmbH · Zürich'


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _table(user: User) -> ui.table:
    return _element(user, 'contact-table')


def _names(user: User) -> list[str]:
    return [row['name'] for row in _table(user).rows]


# --- the contacts screen -----------------------------------------------------------------------------------------


async def test_the_list_is_paged_searched_and_filtered_on_the_server(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    for number in range(30):
        contacts.create_contact(mia, {'name': f'Client {number:02d}'})
    contacts.create_contact(mia, ANNA)
    contacts.create_contact(mia, {'name': 'Horlogerie du Rhône', 'kind': 'company'})
    await open_as(visitor, 'mia@example.com', '/contacts', 'contact-table')
    await eventually(lambda: len(_table(visitor).rows) == 25, 'the first page of 25')
    assert _table(visitor).pagination['rowsNumber'] == 32
    assert _names(visitor)[0] == 'Anna Berg'
    visitor.find(marker='contact-table').trigger('request', {'pagination': {**_table(visitor).pagination, 'page': 2}})
    await eventually(lambda: len(_table(visitor).rows) == 7, 'the second page of 7')
    visitor.find(marker='contact-search').type('BERG')
    await eventually(lambda: _names(visitor) == ['Anna Berg'], 'only Anna Berg for "BERG"')
    assert _table(visitor).pagination['page'] == 1
    visitor.find(marker='contact-search').clear()
    _element(visitor, 'contact-kind').value = 'company'
    await eventually(lambda: _names(visitor) == ['Horlogerie du Rhône'], 'only the company')


async def test_a_contact_is_created_with_an_inline_error_fixed_then_edited(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/contacts', 'contact-table')
    assert _table(visitor).rows == []
    visitor.find(marker='new-contact').click()
    await visitor.should_see(marker='contact-dialog', retries=PATIENCE)
    await press(visitor, 'contact-save')
    assert _element(visitor, 'contact-name').error == 'Required.'
    visitor.find(marker='contact-name').type('Anna Berg')
    visitor.find(marker='contact-email').type('anna@')
    visitor.find(marker='contact-country').type('zz')
    await press(visitor, 'contact-save')
    assert _element(visitor, 'contact-email').error == '"anna@" is not an email address (such as anna@example.com)'
    assert _element(visitor, 'contact-name').error is None
    assert contacts.list_contacts(make_user(Role.ADMIN)).total == 0
    visitor.find(marker='contact-email').clear().type('Anna@Berg.example')
    visitor.find(marker='contact-country').clear().type('ch')
    await press(visitor, 'contact-save')
    await visitor.should_not_see(marker='contact-dialog', retries=PATIENCE)
    await eventually(lambda: _names(visitor) == ['Anna Berg'], 'the new contact in the list')
    (row,) = _table(visitor).rows
    assert (row['email'], row['country'], row['kind_label']) == ('anna@berg.example', 'CH', 'Person')

    visitor.find(marker='contact-table').trigger('edit', row)
    await visitor.should_see(marker='contact-dialog', retries=PATIENCE)
    assert _element(visitor, 'contact-name').value == 'Anna Berg'
    visitor.find(marker='contact-city').type('Basel')
    await press(visitor, 'contact-save')
    await eventually(lambda: _table(visitor).rows[0]['city'] == 'Basel', 'the edited city in the list')
    assert contacts.get_contact(make_user(Role.ADMIN), row['id']).city == 'Basel'


async def test_finance_may_open_contacts_from_the_drawer(visitor: User):
    make_user(Role.FINANCE, email='fin@example.com')
    await log_in(visitor, 'fin@example.com')
    await visitor.should_see(marker='dashboard', retries=PATIENCE)
    with visitor.scope(marker='nav'):
        await visitor.should_see('Contacts')
    await visitor.open('/contacts')
    await visitor.should_see(marker='contact-table', retries=PATIENCE)


async def test_a_role_without_contacts_gets_the_refusal_card(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/contacts', 'forbidden')
    await visitor.should_see('You may not see contacts.')
    await visitor.should_not_see(marker='contact-table')
    with visitor.scope(marker='nav'):
        await visitor.should_not_see('Contacts')


# --- the supplier on the watch form ------------------------------------------------------------------------------


async def _search(user: User, text: str, expected: str) -> None:
    user.find(marker='supplier_id').trigger('inputValue', text)
    picker = _element(user, 'supplier_id')
    await eventually(lambda: expected in picker.options.values(), f'"{expected}" offered for "{text}"')


async def test_a_supplier_is_picked_on_the_form_and_named_on_the_watch_page(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    contacts.create_contact(mia, ANNA)
    contacts.create_contact(mia, {'name': 'Anders Holm'})
    await open_as(visitor, 'mia@example.com', '/watches/new', 'watch-form')
    _element(visitor, 'brand').value = 'Omega'
    _element(visitor, 'model').value = 'Constellation'
    await _search(visitor, 'berg u', ANNA_LINE)
    assert list(_element(visitor, 'supplier_id').options.values()) == [ANNA_LINE]
    visitor.find(marker='supplier_id').click()  # open the list, then choose the line
    visitor.find(ANNA_LINE).click()
    await press(visitor, 'save-watch')
    await visitor.should_see(marker='watch-detail', retries=PATIENCE)
    with visitor.scope(marker='facts-purchase'):
        await visitor.should_see('Supplier')
        await visitor.should_see(ANNA_LINE)
    watch_id = int(location(visitor).rsplit('/', 1)[1])
    assert contacts.choice(mia, watches.get_watch(mia, watch_id).supplier_id).label == ANNA_LINE

    await visitor.open(f'/watches/{watch_id}/edit')  # the chosen supplier is named before anything is typed
    await visitor.should_see(marker='watch-form', retries=PATIENCE)
    assert _element(visitor, 'supplier_id').options == {watches.get_watch(mia, watch_id).supplier_id: ANNA_LINE}


async def test_new_contact_in_the_picker_creates_and_picks_it(visitor: User):
    mia = make_user(Role.MANAGER, email='mia@example.com')
    watch = take_in(mia)
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}/edit', 'watch-form')
    visitor.find(marker='supplier_id').trigger('inputValue', 'Hugo Brandt')
    await eventually(lambda: _element(visitor, 'new-contact').visible, 'the new-contact button')
    visitor.find(marker='new-contact').click()
    await visitor.should_see(marker='contact-dialog', retries=PATIENCE)
    assert _element(visitor, 'contact-name').value == 'Hugo Brandt'
    visitor.find(marker='contact-city').type('Genève')
    await press(visitor, 'contact-save')
    await eventually(lambda: _element(visitor, 'supplier_id').value is not None, 'the new contact chosen')
    assert _element(visitor, 'supplier_id').options == {_element(visitor, 'supplier_id').value: 'Hugo Brandt · Genève'}
    await press(visitor, 'save-watch')
    await visitor.should_see(marker='watch-detail', retries=PATIENCE)
    await visitor.should_see('Hugo Brandt · Genève')


async def test_an_agent_picks_a_supplier_but_cannot_add_contacts(visitor: User):
    contacts.create_contact(make_user(Role.MANAGER), ANNA)
    agnes = make_user(Role.AGENT, email='agnes@example.com')
    watch = take_in(agnes)
    await open_as(visitor, 'agnes@example.com', f'/watches/{watch.id}/edit', 'watch-form')
    await _search(visitor, 'anna', ANNA_LINE)
    await visitor.should_not_see(marker='new-contact')


async def test_a_seller_never_sees_the_supplier(visitor: User):
    mia = make_user(Role.MANAGER)
    anna = contacts.create_contact(mia, ANNA)
    watch = take_in(mia, supplier_id=anna.id, purchase_cost='900', purchase_currency='EUR')
    make_user(Role.SELLER, email='sam@example.com')
    with session_scope() as session:  # a seller allowed to edit watches still may not see what they cost
        session.add(RolePermission(role=Role.SELLER, permission='inventory.edit', granted=True))
    await open_as(visitor, 'sam@example.com', f'/watches/{watch.id}/edit', 'watch-form')
    await visitor.should_not_see(marker='supplier_id')
    await visitor.should_not_see(marker='section-purchase')
    await visitor.open(f'/watches/{watch.id}')
    await visitor.should_see(marker='watch-detail', retries=PATIENCE)
    await visitor.should_not_see('Supplier')
    await visitor.should_not_see(ANNA_LINE)
