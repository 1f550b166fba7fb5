"""Every attribute of a watch as form inputs, grouped in cards; shared by the create and the edit screens.

Inputs check what the browser can check (ranges, currency codes) as the user types; the service checks
everything again, and its `ValidationFailed.fields` are put on the same inputs by `show_problems`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nicegui import ui

from components import theme
from components.contact_picker import ContactPicker
from components.grading import grade_pickers
from components.offload import call
from db.enums import Gender, Movement
from services import accounts, contacts, money, places, reference, watches
from services.permissions import Actor, Permission

YEAR_RULE = f'Enter a year between 1800 and {date.today().year}.'
DIAMETER_RULE = 'Enter a case diameter between 15 and 60 mm.'
_MOVEMENTS = {movement.value: movement.value.replace('_', ' ').capitalize() for movement in Movement}
_GENDERS = {gender.value: gender.value.capitalize() for gender in Gender}
_AUTOFILLED = ('brand', 'model', 'calibre', 'movement', 'case_material', 'case_diameter_mm')
Validation = dict[str, Callable[[Any], bool]]


@dataclass(frozen=True)
class Choices:
    """What the pickers offer: ids to names for locations, batches and people; the watch's supplier, if any, so
    its picker (which asks the server for the rest as the user types) can name it before anything is typed."""

    brands: list[str]
    locations: dict[int, str]
    batches: dict[int, str]
    people: dict[int, str]
    currencies: list[str] = field(default_factory=lambda: sorted(money.CURRENCIES))
    supplier: contacts.Choice | None = None


def _amount(value: Any) -> bool:
    """Empty, or a number that is not negative (the service says more about decimals and size)."""
    if value in (None, ''):
        return True
    try:
        return float(str(value).replace(',', '')) >= 0
    except ValueError:
        return False


def _currency(value: Any) -> bool:
    return not value or str(value).strip().upper() in money.CURRENCIES


AMOUNT_RULES: Validation = {'Enter an amount of 0 or more, such as 1250.00.': _amount}
CURRENCY_RULES: Validation = {'Use a three-letter ISO code such as EUR.': _currency}
YEAR_RULES: Validation = {YEAR_RULE: lambda v: v is None or 1800 <= v <= date.today().year}
DIAMETER_RULES: Validation = {DIAMETER_RULE: lambda v: v is None or 15 <= v <= 60}


class WatchFields:
    """The inputs of one watch; `values()` reads them in the shape `watches.parse_watch` takes."""

    def __init__(self, actor: Actor, choices: Choices, watch: watches.WatchRead | None = None) -> None:
        self.actor = actor
        self.choices = choices
        self.watch_id = watch.id if watch else None
        self.inputs: dict[str, ui.element] = {}
        self.problems: dict[str, ui.label] = {}
        self.service_rows: list[dict[str, ui.input]] = []
        initial = watch.model_dump() if watch else {}
        self._identity(initial)
        self._movement_and_case(initial)
        self._dial_and_bracelet(initial)
        with _section('Condition', 'condition'):
            self.condition = grade_pickers(initial.get('condition'))
            self._problem('condition')
        self._box_papers_service(initial)
        if actor.can(Permission.COST_VIEW):
            self._purchase(initial)
        self._pricing(initial)
        self._where(initial)
        with _section('Description and notes', 'notes'):
            self._add('description', ui.textarea('Description (for listings)', value=initial.get('description') or ''))
            self._add('notes', ui.textarea('Internal notes', value=initial.get('notes') or ''))

    # --- reading and problems -------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Everything on screen but hidden fields; empty inputs are '' or None, which the service reads as unset."""
        values = {name: _value(name, element) for name, element in self.inputs.items()}
        values['condition'] = self.condition()
        values['service_history'] = [
            {key: (element.value or '').strip() for key, element in row.items()} for row in self.service_rows
        ]
        return values

    def validate(self) -> bool:
        """Run every input's own rules, so each one shows its problem at once."""
        checked = [element.validate() for element in self.inputs.values() if isinstance(element, ui.input | ui.number)]
        return all(checked)

    def show_problems(self, problems: dict[str, str]) -> list[str]:
        """Put the service's sentences on their inputs; returns the field names that have no place on screen."""
        self.clear_problems()
        homeless = []
        for name, message in problems.items():
            if isinstance(element := self.inputs.get(name), ui.input | ui.number | ui.select):
                element.error = message
            elif name in self.problems:
                self.problems[name].text = message
                self.problems[name].visible = True
            else:
                homeless.append(name)
        return homeless

    def clear_problems(self) -> None:
        for element in self.inputs.values():
            if isinstance(element, ui.input | ui.number | ui.select):
                element.error = None
        for label in self.problems.values():
            label.visible = False

    # --- sections -------------------------------------------------------------------------------------------

    def _identity(self, initial: dict[str, Any]) -> None:
        with _section('Identity', 'identity'):
            self._identity_inputs(initial)
            self.reference_hint = ui.label().classes(f'text-sm {theme.MUTED}').mark('reference-hint')
            self.reference_hint.visible = False
            self.serial_warning = ui.row().classes(f'{theme.PROBLEM} bg-amber-50 text-amber-900').mark('serial-seen')
            self.serial_warning.visible = False

    def _identity_inputs(self, initial: dict[str, Any]) -> None:
        with _fields():
            brands = self.choices.brands
            brand = self._add('brand', ui.input('Brand *', value=initial.get('brand') or '', autocomplete=brands))
            model = self._add('model', ui.input('Model *', value=initial.get('model') or ''))
            brand.on_value_change(lambda: model.set_autocomplete([m.model for m in reference.models(brand.value)]))
            model.set_autocomplete([m.model for m in reference.models(brand.value or '')])
            ref = self._add('reference', ui.input('Reference', value=initial.get('reference') or ''))
            ref.props('debounce=400').on_value_change(self._autofill)
            if self.actor.can(Permission.SERIAL_VIEW):
                serial = self._add('serial', ui.input('Serial', value=initial.get('serial') or ''))
                serial.props('debounce=400').on_value_change(self._serial_check)

    def _movement_and_case(self, initial: dict[str, Any]) -> None:
        with _section('Movement and case', 'movement'), _fields():
            self._add(
                'movement',
                ui.select(_MOVEMENTS, label='Movement', value=_enum(initial.get('movement')), clearable=True),
            )
            self._add('calibre', ui.input('Calibre', value=initial.get('calibre') or ''))
            self._add('year', ui.number('Year', value=initial.get('year'), precision=0, validation=YEAR_RULES))
            self._add('period', ui.input('Period', value=initial.get('period') or '', placeholder='e.g. 1960s'))
            self._add('case_material', ui.input('Case material', value=initial.get('case_material') or ''))
            diameter = ui.number(
                'Case diameter', value=initial.get('case_diameter_mm'), suffix='mm', validation=DIAMETER_RULES
            )
            self._add('case_diameter_mm', diameter)
            self._add(
                'gender', ui.select(_GENDERS, label='Worn by', value=_enum(initial.get('gender')), clearable=True)
            )

    def _dial_and_bracelet(self, initial: dict[str, Any]) -> None:
        with _section('Dial and bracelet', 'dial'), _fields():
            self._add('dial', ui.input('Dial', value=initial.get('dial') or ''))
            self._add('strap', ui.input('Bracelet or strap', value=initial.get('strap') or ''))

    def _box_papers_service(self, initial: dict[str, Any]) -> None:
        with _section('Box, papers and service history', 'service'):
            with ui.row().classes('gap-6'):
                self._add('box', ui.switch('Box', value=bool(initial.get('box'))))
                self._add('papers', ui.switch('Papers', value=bool(initial.get('papers'))))
            self.service_list = ui.column().classes('w-full gap-2').mark('service-rows')
            for record in initial.get('service_history') or []:
                self._service_row(record)
            self._problem('service_history')
            ui.button('Add service record', icon='add', on_click=lambda: self._service_row({})).props('flat').mark(
                'add-service'
            )

    def _purchase(self, initial: dict[str, Any]) -> None:
        with _section('Purchase', 'purchase'), _fields():
            self._add('purchase_cost', _money_input('Cost', initial.get('purchase_cost')))
            self._add('purchase_currency', self._currency_input(initial.get('purchase_currency')))
            self._add('purchased_on', _date_input('Bought on', initial.get('purchased_on')))
            self._add('supplier_id', ContactPicker(self.actor, 'Supplier', self.choices.supplier).select)

    def _pricing(self, initial: dict[str, Any]) -> None:
        with _section('Pricing', 'pricing'), _fields():
            self._add('asking_price', _money_input('Asking price', initial.get('asking_price')))
            self._add('reserve_price', _money_input('Reserve price', initial.get('reserve_price')))
            self._add('price_currency', self._currency_input(initial.get('price_currency')))
            self._add('sold_on', _date_input('Sold on', initial.get('sold_on')))

    def _where(self, initial: dict[str, Any]) -> None:
        with _section('Where and who', 'where'), _fields():
            self._add('location_id', _picker('Location', self.choices.locations, initial.get('location_id')))
            self._add('batch_id', _picker('Batch', self.choices.batches, initial.get('batch_id')))
            if self.actor.sees_all_watches:  # an agent's watches are always their own
                self._add('agent_id', _picker('Agent', self.choices.people, initial.get('agent_id')))
            self._add('seller_id', _picker('Seller', self.choices.people, initial.get('seller_id')))

    # --- pieces ---------------------------------------------------------------------------------------------

    def _add(self, name: str, element: ui.element) -> Any:
        self.inputs[name] = element.classes('w-full').props('outlined' if not isinstance(element, ui.switch) else '')
        return element.mark(name)

    def _problem(self, name: str) -> None:
        self.problems[name] = ui.label().classes('text-sm text-red-700').mark(f'{name}-problem')
        self.problems[name].visible = False

    def _currency_input(self, value: str | None) -> ui.input:
        field = ui.input('Currency', value=value or '', autocomplete=self.choices.currencies, validation=CURRENCY_RULES)
        return field.props('maxlength=3').on('blur', lambda: field.set_value((field.value or '').strip().upper()))

    def _service_row(self, record: dict[str, Any]) -> None:
        with self.service_list, ui.row().classes('w-full gap-2 items-start no-wrap') as row:
            inputs = {
                'date': _date_input('Date', record.get('date')).props('outlined dense').classes('w-40'),
                'watchmaker': ui.input('Watchmaker', value=record.get('watchmaker') or '').props('outlined dense'),
                'work': ui.input('Work done', value=record.get('work') or '').props('outlined dense').classes('flex-1'),
            }
            self.service_rows.append(inputs)

            def remove() -> None:
                self.service_rows.remove(inputs)
                self.service_list.remove(row)

            ui.button(icon='delete', on_click=remove).props('flat round aria-label="Remove service record"').mark(
                'remove-service'
            )

    async def _autofill(self) -> None:
        """Fill what the reference table knows into the inputs still empty; say which watch it recognised."""
        found = await call(watches.reference_autofill, self.inputs['reference'].value or '')
        self.reference_hint.visible = found is not None
        if found is None:
            return
        years = f'{found["year_from"]}–{found["year_to"]}'
        self.reference_hint.text = f'Known reference: {found["brand"]} {found["model"]}, made {years}.'
        for name in _AUTOFILLED:
            element = self.inputs.get(name)
            if element is not None and element.value in (None, ''):
                element.value = _enum(found[name])

    async def _serial_check(self) -> None:
        """Warn (not refuse) when the serial was taken in before: the same watch coming back, or a copied serial."""
        serial = self.inputs['serial'].value or ''
        matches = await call(watches.serial_matches, self.actor, serial, self.watch_id)
        self.serial_warning.clear()
        self.serial_warning.visible = bool(matches)
        with self.serial_warning:
            ui.icon('history').classes('text-xl')
            ui.label('This serial was seen before:').classes('text-sm')
            for watch_id, sku in matches:
                ui.link(sku, f'/watches/{watch_id}').classes('text-sm font-medium')


@contextmanager
def _section(title: str, mark: str) -> Iterator[None]:
    with ui.card().classes(theme.CARD).mark(f'section-{mark}'):
        ui.label(title).classes(theme.CARD_TITLE)
        yield


@contextmanager
def _fields() -> Iterator[None]:
    """Two inputs a row on a desk screen, one on a phone."""
    with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1'):
        yield


def _money_input(label: str, value: Any) -> ui.input:
    field = ui.input(label, value='' if value is None else str(value), validation=AMOUNT_RULES)
    return field.props('inputmode=decimal')


def _date_input(label: str, value: Any) -> ui.input:
    return ui.input(label, value='' if value is None else str(value)).props('type=date stack-label')


def _picker(label: str, options: dict[int, str], value: int | None) -> ui.select:
    if value is not None and value not in options:  # e.g. a closed location the watch still sits in
        options = {**options, value: f'#{value}'}
    return ui.select(options, label=label, value=value, clearable=True, with_input=True)


def _enum(value: Any) -> Any:
    return getattr(value, 'value', value)


def _value(name: str, element: ui.element) -> Any:
    value = getattr(element, 'value', None)
    if name == 'year' and value is not None:
        return int(value)
    return value.strip() if isinstance(value, str) else value


async def load_choices(actor: Actor, supplier_id: int | None = None) -> Choices:
    """What the pickers offer this actor: reference brands, open locations, the latest batches, active staff."""
    locations = await call(places.list_locations, actor)
    batches = await call(places.list_batches, actor, 0, 100)
    people = await call(accounts.people, actor)
    sees_supplier = supplier_id is not None and actor.can(Permission.COST_VIEW)
    supplier = await call(contacts.choice, actor, supplier_id) if sees_supplier else None
    return Choices(
        brands=[brand.name for brand in reference.brands()],
        locations={location.id: location.name for location in locations},
        batches={batch.id: batch.batch_number for batch in batches.items},
        people={person.id: person.name for person in people},
        supplier=supplier,
    )
