"""The watch form: problems at their inputs, reference autofill, the serial warning, conflicts, and roles."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from db.enums import Role
from services import watches
from tests.factories import make_user, make_watch, take_in
from tests.ui.session import eventually, location, open_as, press


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _set(user: User, marker: str, value: object) -> None:
    _element(user, marker).value = value


async def test_a_new_watch_shows_problems_inline_then_saves_and_lands_on_its_page(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/watches/new', 'watch-form')
    _set(visitor, 'year', 1700)
    _set(visitor, 'case_diameter_mm', 80)
    _set(visitor, 'asking_price', '-5')
    _set(visitor, 'price_currency', 'EURO')
    await press(visitor, 'save-watch')
    assert _element(visitor, 'year').error.startswith('Enter a year between 1800')
    assert _element(visitor, 'case_diameter_mm').error == 'Enter a case diameter between 15 and 60 mm.'
    assert _element(visitor, 'asking_price').error.startswith('Enter an amount of 0 or more')
    assert _element(visitor, 'price_currency').error == 'Use a three-letter ISO code such as EUR.'
    assert location(visitor) == '/watches/new'

    for marker, value in (('year', 1968), ('case_diameter_mm', 36), ('asking_price', '4200'), ('price_currency', '')):
        _set(visitor, marker, value)
    await press(visitor, 'save-watch')  # the service's refusals land on the inputs too
    assert _element(visitor, 'brand').error == 'Required.'
    assert _element(visitor, 'model').error == 'Required.'
    _set(visitor, 'brand', 'Omega')
    _set(visitor, 'model', 'Constellation')
    await press(visitor, 'save-watch')
    assert _element(visitor, 'price_currency').error == 'Choose the currency of the prices.'
    assert _element(visitor, 'brand').error is None

    _set(visitor, 'price_currency', 'eur')
    _element(visitor, 'grade-dial-optical').value = 'B'
    await press(visitor, 'save-watch')
    await visitor.should_see(marker='watch-detail', retries=30)
    await visitor.should_see('Omega Constellation')
    assert location(visitor).startswith('/watches/')
    saved = watches.get_watch(make_user(Role.ADMIN), int(location(visitor).rsplit('/', 1)[1]))
    assert (saved.year, saved.price_currency, saved.condition) == (1968, 'EUR', {'dial': {'optical': 'B'}})


async def test_the_overall_grade_follows_the_pickers(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/watches/new', 'watch-form')
    assert _element(visitor, 'overall-grade').text == '—'
    _element(visitor, 'grade-case-optical').value = 'A'
    _element(visitor, 'grade-movement-technical').value = 'D'
    assert _element(visitor, 'overall-grade').text == 'C'


async def test_a_known_reference_fills_the_empty_fields(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/watches/new', 'watch-form')
    visitor.find(marker='reference').type('16610')
    await eventually(lambda: _element(visitor, 'brand').value == 'Rolex', 'the brand filled in from the reference')
    assert _element(visitor, 'model').value
    assert _element(visitor, 'calibre').value
    assert _element(visitor, 'movement').value == 'automatic'
    assert 15 <= _element(visitor, 'case_diameter_mm').value <= 60
    await visitor.should_see(marker='reference-hint')


async def test_a_serial_seen_before_is_warned_about_with_a_link(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    earlier = take_in(make_user(Role.ADMIN), serial='X123456')
    await open_as(visitor, 'mia@example.com', '/watches/new', 'watch-form')
    visitor.find(marker='serial').type('x123456')
    await visitor.should_see(marker='serial-seen')
    await visitor.should_see(earlier.sku)
    assert any(link.props.get('href') == f'/watches/{earlier.id}' for link in visitor.find(ui.link).elements)


async def test_a_stale_edit_shows_the_conflict_and_keeps_the_input(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    admin = make_user(Role.ADMIN, name='Anna Berg')
    watch = take_in(admin, dial='Silver')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch.id}/edit', 'watch-form')
    watches.update_watch(admin, watch.id, watches.parse_watch({'dial': 'Black'}, partial=True), version=watch.version)
    _set(visitor, 'dial', 'Champagne')
    await press(visitor, 'save-watch')
    await visitor.should_see(marker='conflict')
    assert 'Anna Berg saved this watch' in _element(visitor, 'conflict-message').text
    assert _element(visitor, 'dial').value == 'Champagne'
    assert watches.get_watch(admin, watch.id).dial == 'Black'
    await visitor.should_see(marker='reload-theirs')


async def test_an_edit_saves_and_returns_to_the_watch(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    watch_id = make_watch(dial='Silver')
    await open_as(visitor, 'mia@example.com', f'/watches/{watch_id}/edit', 'watch-form')
    _set(visitor, 'dial', 'Tropical brown')
    visitor.find(marker='add-service').click()
    await press(visitor, 'save-watch')  # a service record without work is refused at its section
    await visitor.should_see('Entry 1: Describe the work done.')
    (work,) = [e for e in visitor.find(ui.input).elements if e.props.get('label') == 'Work done']
    work.value = 'Full service'
    await press(visitor, 'save-watch')
    await visitor.should_see(marker='watch-detail', retries=30)
    await visitor.should_see('Tropical brown')
    await visitor.should_see('Full service')


async def test_a_seller_may_not_open_the_form(visitor: User):
    make_user(Role.SELLER, email='sam@example.com')
    await open_as(visitor, 'sam@example.com', '/watches/new', 'forbidden')
    await visitor.should_not_see(marker='watch-form')


async def test_a_bad_watch_id_shows_not_found(visitor: User):
    make_user(Role.MANAGER, email='mia@example.com')
    await open_as(visitor, 'mia@example.com', '/watches/abc/edit', 'watch-not-found')
