"""Commissions: the rules (/finance/commissions), anyone's statement (/finance/statements) and one's own
(/my/commissions), with the statement as PDF or CSV. Statements follow the ledger live."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui

from components import field_errors, format, theme
from components.currencies import CURRENCY_CHOICES
from components.dialogs import answer
from components.live_screen import follow_ledger
from components.offload import call
from components.paged_table import PagedTable
from components.sale_dialog import as_text
from config import get_settings
from db.enums import Role
from services import commissions, statements
from services.errors import ServiceError
from services.permissions import Actor

BASES = {basis.value: label.capitalize() for basis, label in commissions.BASES.items()}
ROLES = {role.value: f'Every {role.value}' for role in Role}
RULE_COLUMNS = [
    {'name': 'subject', 'label': 'Who', 'field': 'subject', 'align': 'left'},
    {'name': 'basis', 'label': 'Basis', 'field': 'basis_label', 'align': 'left'},
    {'name': 'rate', 'label': 'Rate', 'field': 'rate', 'align': 'left'},
    {'name': 'limits', 'label': 'Min / max', 'field': 'limits', 'align': 'left', 'classes': 'gt-sm',
     'headerClasses': 'gt-sm'},
    {'name': 'validity', 'label': 'Valid', 'field': 'validity', 'align': 'left'},
    {'name': 'active', 'label': 'Status', 'field': 'status', 'align': 'left'},
]  # fmt: skip
LINE_COLUMNS = [
    {'name': 'value_date', 'label': 'Date', 'field': 'value_date', 'align': 'left', 'sortable': True},
    {'name': 'sku', 'label': 'SKU', 'field': 'sku', 'align': 'left'},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind', 'align': 'left'},
    {'name': 'sale', 'label': 'Sale', 'field': 'sale', 'align': 'left', 'classes': 'gt-sm', 'headerClasses': 'gt-sm'},
    {'name': 'calculation', 'label': 'Calculation', 'field': 'calculation', 'align': 'left',
     'classes': 'gt-sm whitespace-normal', 'headerClasses': 'gt-sm'},
    {'name': 'amount', 'label': 'Booked', 'field': 'amount', 'align': 'right', 'classes': 'whitespace-nowrap'},
    {'name': 'base', 'label': 'Base', 'field': 'base', 'align': 'right', 'classes': 'whitespace-nowrap'},
]  # fmt: skip


# --- rules -------------------------------------------------------------------------------------------------------


async def rules_view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('commission-rules'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Commission rules').classes(theme.TITLE)
                ui.label('What agents and sellers earn per sale.').classes(theme.SUBTITLE)
            with ui.row().classes('gap-2'):
                ui.button(
                    'Statements', icon='receipt_long', on_click=lambda: ui.navigate.to('/finance/statements')
                ).props('outline').mark('to-statements')
                new = ui.button('New rule', icon='add').props('unelevated').mark('new-rule')
        ui.label(commissions.rules_screen_help()).classes(f'text-sm {theme.MUTED}').mark('rules-help')
        shown: dict[int, commissions.RuleRead] = {}

        async def loader(offset: int, limit: int, _sort: str, descending: bool) -> tuple[int, list[dict]]:
            page = await call(commissions.list_rules, actor, offset=offset, limit=limit, descending=descending)
            shown.clear()
            shown.update({rule.id: rule for rule in page.items})
            return page.total, [_rule_row(rule) for rule in page.items]

        table = PagedTable(RULE_COLUMNS, loader, sort_by='subject', descending=False, no_data='No rules yet.')
        table.table.props('dense').mark('rule-table')

        async def edit(rule: commissions.RuleRead | None) -> None:
            if await _rule_dialog(actor, rule):
                await table.load()

        table.table.on('row-click', lambda e: edit(shown.get(e.args[1]['id'])))
        new.on_click(lambda: edit(None))
        await table.first_page()


def _rule_row(rule: commissions.RuleRead) -> dict[str, Any]:
    tiers = ''.join(f', {_percent(tier.percent)} % above {tier.above:,.2f}' for tier in rule.tiers)
    limits = ' / '.join(format.money(value, rule.currency) if value is not None else '—'
                        for value in (rule.minimum, rule.maximum))  # fmt: skip
    until = rule.valid_to.isoformat() if rule.valid_to else 'open end'
    return {'id': rule.id, 'subject': rule.subject, 'basis_label': BASES[rule.basis.value],
            'rate': f'{_percent(rule.percent)} %{tiers} ({rule.currency})', 'limits': limits,
            'validity': f'{rule.valid_from.isoformat()} to {until}',
            'status': 'Active' if rule.active else 'Switched off'}  # fmt: skip


async def _rule_dialog(actor: Actor, rule: commissions.RuleRead | None) -> bool:
    """Create or change a rule; every refusal lands under its field (tiers under their row)."""
    people = await call(statements.people, actor)
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl gap-3').mark('rule-dialog'):
        ui.label('New rule' if rule is None else 'Change rule').classes(theme.CARD_TITLE)
        whom = ui.toggle({'role': 'A role', 'user': 'A person'}, value='user' if rule and rule.user_id else 'role')
        whom.props('no-caps unelevated').mark('rule-whom')
        role = ui.select(ROLES, label='Role', value=(rule.role.value if rule and rule.role else Role.AGENT.value))
        person = ui.select(people, label='Person', with_input=True, value=rule.user_id if rule else None)
        role.bind_visibility_from(whom, 'value', value='role')
        person.bind_visibility_from(whom, 'value', value='user')
        with ui.grid(columns='1fr 1fr 8rem').classes('w-full gap-3'):
            basis = ui.select(BASES, label='Basis', value=rule.basis.value if rule else 'sale_price')
            percent = ui.number('Percent *', min=0, max=100, value=float(rule.percent) if rule else None)
            currency = ui.select(CURRENCY_CHOICES, label='Currency', with_input=True,
                                 value=rule.currency if rule else get_settings().base_currency)  # fmt: skip
        tiers = _TierEditor(rule.tiers if rule else [])
        with ui.grid(columns='1fr 1fr').classes('w-full gap-3'):
            minimum = ui.number('Minimum', min=0, value=_number(rule.minimum) if rule else None)
            maximum = ui.number('Maximum', min=0, value=_number(rule.maximum) if rule else None)
            valid_from = ui.input('Valid from *', value=(rule.valid_from if rule else date.today()).isoformat())
            valid_to = ui.input('Valid to', value=rule.valid_to.isoformat() if rule and rule.valid_to else '')
        active = ui.switch('Active', value=rule.active if rule else True).mark('rule-active')
        fields = {'subject': person, 'role': role, 'basis': basis, 'percent': percent, 'currency': currency,
                  'minimum': minimum, 'maximum': maximum, 'valid_from': valid_from, 'valid_to': valid_to}  # fmt: skip
        for key, field in fields.items():
            field.props('outlined dense').classes('w-full').mark(f'rule-{key}')
        for field in (valid_from, valid_to):
            field.props('type=date stack-label')

        async def save() -> None:
            data = {'user_id': person.value if whom.value == 'user' else None,
                    'role': role.value if whom.value == 'role' else None, 'basis': basis.value,
                    'percent': as_text(percent.value), 'currency': currency.value, 'tiers': tiers.values(),
                    'minimum': as_text(minimum.value), 'maximum': as_text(maximum.value),
                    'valid_from': valid_from.value or None, 'valid_to': valid_to.value or None,
                    'active': active.value}  # fmt: skip
            try:
                if rule is None:
                    await call(commissions.create_rule, actor, data)
                else:
                    await call(commissions.update_rule, actor, rule.id, data)
            except ServiceError as error:
                subject = role if whom.value == 'role' else person
                field_errors.show(error, {**fields, 'subject': subject, **tiers.fields()})
                return
            ui.notify('Rule saved.', type='positive')
            dialog.submit(True)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat').mark('rule-cancel')
            ui.button('Save rule', icon='save', on_click=save).props('unelevated').mark('rule-save')
    return bool(await answer(dialog))


class _TierEditor:
    """Rows of "above amount: percent", added and removed in place; errors show under the row's inputs."""

    def __init__(self, tiers: list[commissions.Tier]) -> None:
        self.rows: list[tuple[ui.number, ui.number, ui.row]] = []
        with ui.column().classes('w-full gap-1').mark('tiers'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Tiers (marginal: the percentage applies to the part above)').classes(f'text-sm {theme.MUTED}')
                ui.button('Add tier', icon='add', on_click=lambda: self.add(None, None)).props('flat dense').mark(
                    'add-tier'
                )
            self.box = ui.column().classes('w-full gap-1')
            self.error = ui.label().classes('text-xs text-red-700').mark('tiers-error')
        for tier in tiers:
            self.add(_number(tier.above), _number(tier.percent))

    def add(self, above: float | None, percent: float | None) -> None:
        with self.box, ui.row().classes('w-full items-start gap-2 no-wrap') as row:
            index = len(self.rows)
            amount = ui.number('Above', min=0, value=above).props('outlined dense').classes('flex-1')
            share = ui.number('Percent', min=0, max=100, value=percent).props('outlined dense').classes('w-32')
            amount.mark(f'tier-above-{index}')
            share.mark(f'tier-percent-{index}')
            ui.button(icon='close', on_click=lambda: self.remove(row)).props('flat round dense aria-label="Remove"')
        self.rows.append((amount, share, row))

    def remove(self, row: ui.row) -> None:
        self.rows = [entry for entry in self.rows if entry[2] is not row]
        row.delete()

    def values(self) -> list[dict[str, str | None]]:
        return [{'above': as_text(amount.value), 'percent': as_text(share.value)} for amount, share, _row in self.rows]

    def fields(self) -> dict[str, Any]:
        """The inputs by the service's field names (`tiers.0.above`), and the list's own message line."""
        self.error.text = ''
        found: dict[str, Any] = {'tiers': _ErrorLabel(self.error)}
        for index, (amount, share, _row) in enumerate(self.rows):
            found |= {f'tiers.{index}.above': amount, f'tiers.{index}.percent': share}
        return found


class _ErrorLabel:
    """Lets a plain label take a field error like an input does."""

    def __init__(self, label: ui.label) -> None:
        self.label = label

    @property
    def error(self) -> str | None:
        return self.label.text or None

    @error.setter
    def error(self, message: str | None) -> None:
        self.label.text = message or ''


# --- statements --------------------------------------------------------------------------------------------------


async def statements_view(actor: Actor) -> None:
    """Anyone's statement, for commission managers and finance."""
    people = await call(statements.people, actor)
    await _StatementScreen(actor, people, title='Commission statements').show()


async def my_view(actor: Actor) -> None:
    """One's own statement."""
    await _StatementScreen(actor, {actor.id: actor.name} if actor.id else {}, title='My commissions').show()


class _StatementScreen:
    """Person and period, the lines (paged on the server) with the period's totals, and the two downloads."""

    def __init__(self, actor: Actor, people: dict[int, str], *, title: str) -> None:
        self.actor, self.people, self.title = actor, people, title
        self.base = get_settings().base_currency

    async def show(self) -> None:
        today = date.today()
        with ui.column().classes(theme.PAGE + ' gap-4').mark('statements'):
            ui.label(self.title).classes(theme.TITLE)
            with ui.row().classes('w-full items-end gap-3'):
                first = next(iter(self.people), None)
                self.person = ui.select(self.people, label='Person', value=first, with_input=True)
                self.person.props('outlined dense').classes('w-64').mark('statement-person')
                self.person.visible = len(self.people) > 1
                self.start = ui.input('From', value=today.replace(day=1).isoformat()).mark('statement-from')
                self.end = ui.input('To', value=today.isoformat()).mark('statement-to')
                for field in (self.start, self.end):
                    field.props('type=date stack-label outlined dense')
                ui.space()
                ui.button('Download PDF', icon='picture_as_pdf', on_click=lambda: self._download('pdf')).props(
                    'outline'
                ).mark('statement-pdf')
                ui.button('Download CSV', icon='table_view', on_click=lambda: self._download('csv')).props(
                    'outline'
                ).mark('statement-csv')
            self.totals = ui.label().classes('text-base font-medium').mark('statement-totals')
            self.table = PagedTable(LINE_COLUMNS, self._load, sort_by='value_date', descending=False,
                                    no_data='No commissions in this period.')  # fmt: skip
            self.table.table.props('dense').mark('statement-lines')
            for field in (self.person, self.start, self.end):
                field.on_value_change(self.table.first_page)
            follow_ledger(self.table.load)
        await self.table.first_page()

    def _period(self) -> tuple[date, date] | None:
        try:
            return date.fromisoformat(self.start.value), date.fromisoformat(self.end.value)
        except (TypeError, ValueError):
            return None

    async def _load(self, offset: int, limit: int, _sort: str, descending: bool) -> tuple[int, list[dict]]:
        period = self._period()
        if period is None or self.person.value is None:
            self.totals.text = 'Choose a person and a period.'
            return 0, []
        try:
            page, totals = await call(statements.statement_page, self.actor, self.person.value, *period,
                                      offset=offset, limit=limit, descending=descending)  # fmt: skip
        except ServiceError as error:
            self.totals.text = str(error)
            return 0, []
        booked = ', '.join(format.money(total, currency) for currency, total in totals.by_currency.items())
        self.totals.text = f'Total {format.money(totals.base, self.base)}' + (f' (booked: {booked})' if booked else '')
        return page.total, [_line_row(line, self.base) for line in page.items]

    async def _download(self, kind: str) -> None:
        period = self._period()
        if period is None or self.person.value is None:
            ui.notify('Choose a person and a period first.', type='warning')
            return
        maker = statements.statement_pdf if kind == 'pdf' else statements.statement_csv
        try:
            content = await call(maker, self.actor, self.person.value, *period)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        name = self.people.get(self.person.value, 'statement').replace(' ', '-').lower()
        ui.download(content, f'commissions-{name}-{period[0].isoformat()}-{period[1].isoformat()}.{kind}')


def _line_row(line: statements.StatementLine, base: str) -> dict[str, Any]:
    sale = f'{format.money(line.sale_price, line.sale_currency or "")} · {line.channel}' if line.sale_price else '—'
    return {'id': line.transaction_id, 'value_date': line.value_date.isoformat(), 'sku': line.sku or '—',
            'kind': line.kind, 'sale': sale, 'calculation': line.calculation or '—',
            'amount': format.money(line.amount, line.currency),
            'base': format.money(line.base_amount, base)}  # fmt: skip


def _percent(value: Any) -> str:
    return f'{value.normalize():f}'


def _number(value: Any) -> float | None:
    """A Decimal shown in a number input (the input itself holds floats; what is saved goes back as text)."""
    return None if value is None else float(value)
