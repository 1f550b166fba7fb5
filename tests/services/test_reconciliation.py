"""Reconciliation: mappings, imports matched against sales and bookings, decisions that book only when approved,
refusals that write nothing, and who may do any of it.

The sales and bookings matched against are made here directly (a Sale row and its bookings through ledger.post,
with tests.finance), as the sales service would make them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.ledger import Transaction
from db.reconciliation import StatementImport, StatementLine, StatementMapping
from db.sales import Sale
from db.system import AuditEntry
from services import reconciliation
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.statement_files import BrokenRows
from tests.factories import make_user, make_watch
from tests.finance import book

T = TransactionType
DAY = date(2026, 3, 10)
RATES = {'EUR': None, 'USD': Decimal('1.08'), 'SEK': Decimal('11.2')}  # by hand: the table has no rates here
HEADER = 'Date,Amount,Currency,Reference,Text\n'


@pytest.fixture
def finance(db):
    return make_user(Role.FINANCE)


@pytest.fixture
def generic(finance) -> int:
    return reconciliation.ensure_generic_mapping()


def record_sale(reference: str | None, price: str, *, fees: tuple[tuple[T, str], ...] = (), currency: str = 'EUR',
                day: date = DAY) -> int:  # fmt: skip
    """A sale in force with its SALE booking and the other bookings given (amounts as typed, signed by type)."""
    watch_id = make_watch('sold')
    with session_scope() as session:
        sale = Sale(watch_id=watch_id, channel='catawiki', price=Decimal(price), currency=currency, sold_on=day,
                    reference=reference)  # fmt: skip
        session.add(sale)
        session.flush()
        sale_id = sale.id
    for kind, amount in ((T.SALE, price), *fees):
        book(kind, amount, currency, day, watch_id=watch_id, sale_id=sale_id, reference=reference,
             fx_rate=RATES[currency])  # fmt: skip
    return sale_id


def purchase(amount: str, *, reference: str | None = None, day: date = DAY) -> int:
    return book(T.PURCHASE, amount, 'EUR', day, watch_id=make_watch(), reference=reference)


def statement(*rows: str) -> bytes:
    return (HEADER + ''.join(f'{row}\n' for row in rows)).encode()


def lines_of(actor, import_id: int) -> dict[int, reconciliation.LineRead]:
    return {line.line_no: line for line in reconciliation.list_lines(actor, import_id, limit=200).items}


def snapshot() -> list:
    """Every row reconciliation may write, to prove a refusal wrote nothing."""
    tables = (StatementMapping, StatementImport, StatementLine, Transaction, AuditEntry)
    with session_scope() as session:
        return [session.execute(sa.select(table.__table__).order_by(table.__table__.c.id)).all() for table in tables]


def entries(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def adjustments() -> list[Transaction]:
    with session_scope() as session:
        return list(session.exec(select(Transaction).where(Transaction.type == T.ADJUSTMENT)))


# --- mappings ----------------------------------------------------------------------------------------------------


def test_the_generic_mapping_is_made_once_on_first_use(finance):
    first = reconciliation.list_mappings(finance)
    again = reconciliation.list_mappings(finance)
    assert first == again
    (generic,) = first
    assert (generic.name, generic.builtin, generic.date_format, generic.decimal_separator) == (
        'Generic bank export', True, '%Y-%m-%d', '.')  # fmt: skip
    assert generic.columns == {'date': 'Date', 'amount': 'Amount', 'currency': 'Currency', 'reference': 'Reference',
                               'text': 'Text'}  # fmt: skip
    assert reconciliation.ensure_generic_mapping() == generic.id
    assert len(entries('statement_mapping.created')) == 1


NORDBANK = {'name': 'Nordbank', 'date_column': 'Bokföringsdag', 'amount_column': 'Belopp',
            'reference_column': 'Referens', 'text_column': 'Text', 'date_format': '%d.%m.%Y',
            'decimal_separator': ',', 'default_currency': 'SEK', 'sample_date': '31.03.2026'}  # fmt: skip


def test_a_mapping_is_saved_audited_and_listed_after_the_generic_one(finance):
    saved = reconciliation.save_mapping(finance, NORDBANK)
    assert saved.columns == {'date': 'Bokföringsdag', 'amount': 'Belopp', 'reference': 'Referens', 'text': 'Text'}
    assert [mapping.name for mapping in reconciliation.list_mappings(finance)] == ['Generic bank export', 'Nordbank']
    assert reconciliation.get_mapping(finance, saved.id) == saved
    (entry,) = [entry for entry in entries('statement_mapping.created') if entry.actor_id == finance.id]
    assert entry.after['date_format'] == '%d.%m.%Y'


def test_a_bad_or_taken_mapping_is_refused_and_writes_nothing(finance, generic):
    reconciliation.save_mapping(finance, NORDBANK)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        reconciliation.save_mapping(finance, NORDBANK | {'name': 'Other', 'sample_date': '2026-03-31'})
    assert refused.value.fields == {'sample_date': 'Not a date written as 31.03.2026.'}
    for name in ('Nordbank', 'Generic bank export'):
        with pytest.raises(Conflict, match=f'A mapping named "{name}" exists already'):
            reconciliation.save_mapping(finance, NORDBANK | {'name': name})
    with pytest.raises(NotFound):
        reconciliation.get_mapping(finance, 9999)
    assert snapshot() == before


# --- importing and matching --------------------------------------------------------------------------------------


@pytest.fixture
def ledger_to_match(finance):
    """Sales and a booking a March statement is matched against."""
    fees = ((T.PLATFORM_FEE, '120.00'), (T.SHIPPING, '30.00'), (T.AGENT_COMMISSION, '50.00'))
    return {
        'exact': record_sale('CW-1001', '1000.00', fees=fees),  # net payout 850.00 (commission left out)
        'short': record_sale('CW-1002', '500.00', fees=((T.PLATFORM_FEE, '20.00'),)),  # net 480.00
        'dollars': record_sale('CW-1003', '700.00', currency='USD', fees=()),
        'early': record_sale('CW-1004', '300.00', day=DAY - timedelta(days=15)),
        'purchase': purchase('1200.00', reference='PO-7', day=DAY + timedelta(days=1)),
    }


def test_lines_are_matched_mismatched_or_unmatched_and_the_import_audited(finance, generic, ledger_to_match):
    content = statement(
        '2026-03-13,850.00,EUR, cw-1001 ,Catawiki payout',
        '2026-03-12,500.00,EUR,CW-1002,Catawiki payout',
        '2026-03-14,850.00,EUR,CW-1001,The same payout again',
        '2026-03-14,99.00,EUR,XX-1,Unknown',
        '2026-03-11,-1200.00,EUR,,Wire to supplier',
        '2026-03-12,700.00,EUR,CW-1003,Dollar sale paid in euros',
        '2026-03-12,300.00,EUR,CW-1004,Sale too long ago',
    )
    imported = reconciliation.import_statement(finance, 'march.csv', content, generic)
    assert (imported.filename, imported.mapping_name, imported.line_count) == ('march.csv', 'Generic bank export', 7)
    assert imported.counts == {'matched': 2, 'mismatched': 2, 'unmatched': 3, 'approved': 0, 'dismissed': 0}
    lines = lines_of(finance, imported.id)
    exact, short, again, unknown, wire, dollars, early = (lines[number] for number in range(2, 9))
    assert (exact.status, exact.sale_id, exact.expected_amount, exact.difference) == (
        'matched', ledger_to_match['exact'], Decimal('850.00'), Decimal('0.00'))  # fmt: skip
    assert exact.match_label.startswith(f'Sale #{ledger_to_match["exact"]} · ')
    assert (short.status, short.expected_amount, short.difference) == ('mismatched', Decimal('480.00'), Decimal('20'))
    assert (again.status, again.sale_id, again.note) == ('unmatched', ledger_to_match['exact'],
                                                         'Already matched by line 2.')  # fmt: skip
    assert (unknown.status, unknown.sale_id, unknown.note) == (
        'unmatched', None, 'No sale or booking with this reference within 10 days.')  # fmt: skip
    assert (wire.status, wire.transaction_id) == ('matched', ledger_to_match['purchase'])
    assert wire.match_label.startswith(f'Purchase #{ledger_to_match["purchase"]} · ')
    assert (dollars.status, dollars.expected_amount, dollars.expected_currency, dollars.difference) == (
        'mismatched', Decimal('700.00'), 'USD', None)  # fmt: skip
    assert dollars.note == 'The sale is in USD, the line in EUR.'
    assert (early.status, early.sale_id) == ('unmatched', None)
    (entry,) = entries('statement.import')
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ('statement_import', str(imported.id), finance.id)
    assert entry.after['counts']['unmatched'] == 3
    assert [row.id for row in reconciliation.list_imports(finance).items] == [imported.id]
    assert [line.line_no for line in reconciliation.list_lines(finance, imported.id, 'mismatched').items] == [3, 7]


def test_a_line_already_matched_by_an_earlier_import_is_unmatched_with_its_holder(finance, generic, ledger_to_match):
    first = reconciliation.import_statement(finance, 'a.csv', statement('2026-03-13,850.00,EUR,CW-1001,'), generic)
    second = reconciliation.import_statement(finance, 'b.csv', statement('2026-03-13,850.00,EUR,CW-1001,'), generic)
    assert lines_of(finance, first.id)[2].status == 'matched'
    assert lines_of(finance, second.id)[2].note == f'Already matched by line 2 of import #{first.id}.'


def test_a_line_without_reference_is_not_matched_when_two_bookings_fit(finance, generic):
    purchase('400.00')
    purchase('400.00')
    imported = reconciliation.import_statement(finance, 'x.csv', statement('2026-03-10,-400.00,EUR,,'), generic)
    assert lines_of(finance, imported.id)[2].status == 'unmatched'


def test_a_broken_file_is_refused_whole_and_writes_nothing(finance, generic, ledger_to_match):
    before = snapshot()
    content = statement('2026-03-13,850.00,EUR,CW-1001,', '13.03.2026,850.00,EUR,CW-1002,', '2026-03-13,1.0,EUR,,')
    with pytest.raises(BrokenRows, match=r'^1 row of the file cannot be read, so nothing was imported: line 3: '):
        reconciliation.import_statement(finance, 'march.csv', content, generic)
    with pytest.raises(NotFound, match='No such mapping'):
        reconciliation.import_statement(finance, 'march.csv', statement('2026-03-13,1,EUR,A,'), 9999)
    assert snapshot() == before


# --- decisions ---------------------------------------------------------------------------------------------------


@pytest.fixture
def march(finance, generic, ledger_to_match) -> dict[int, reconciliation.LineRead]:
    content = statement('2026-03-13,850.00,EUR,CW-1001,', '2026-03-12,500.00,EUR,CW-1002,',
                        '2026-03-12,700.00,EUR,CW-1003,', '2026-03-14,99.00,EUR,XX-1,')  # fmt: skip
    return lines_of(finance, reconciliation.import_statement(finance, 'march.csv', content, generic).id)


def test_approving_a_difference_books_one_adjustment_on_the_sale_and_only_once(finance, march, ledger_to_match):
    short = march[3]
    approved = reconciliation.approve_difference(finance, short.id, ' Catawiki refunded part of its fee ')
    (adjustment,) = adjustments()
    assert (adjustment.amount, adjustment.currency, adjustment.value_date, adjustment.reference) == (
        Decimal('20.00'), 'EUR', date(2026, 3, 12), 'CW-1002')  # fmt: skip
    assert (adjustment.sale_id, adjustment.memo, adjustment.created_by_id) == (
        ledger_to_match['short'], 'Catawiki refunded part of its fee', finance.id)  # fmt: skip
    with session_scope() as session:
        assert adjustment.watch_id == session.get(Sale, ledger_to_match['short']).watch_id
    assert (approved.status, approved.adjustment_id, approved.decided_by) == ('approved', adjustment.id, finance.name)
    assert approved.decided_at is not None
    assert approved.note == f'Adjustment #{adjustment.id}: Catawiki refunded part of its fee'
    (entry,) = entries('statement.difference_approved')
    assert (entry.entity_id, entry.after['adjustment_id'], entry.after['amount']) == (
        str(short.id), adjustment.id, '20.00')  # fmt: skip
    before = snapshot()
    with pytest.raises(ValidationFailed, match=f'Line 3 is approved \\(adjustment #{adjustment.id}\\); only a '):
        reconciliation.approve_difference(finance, short.id, 'again')
    assert snapshot() == before


def test_approval_is_refused_for_lines_without_a_difference_and_for_bad_input(finance, march):
    before = snapshot()
    refusals = [
        ((march[2].id, 'fine'), 'Line 2 is matched; only a mismatched line has a difference to approve.'),
        ((march[5].id, 'fine'), 'Line 5 is unmatched'),
        ((march[4].id, 'fine'), 'Line 4 is in another currency than what it was matched to'),
        ((march[3].id, '   '), 'The memo: String should have at least 1 character.'),
    ]
    for args, message in refusals:
        with pytest.raises(ValidationFailed, match=message.replace('(', '\\(').replace(')', '\\)')):
            reconciliation.approve_difference(finance, *args)
    with pytest.raises(ValidationFailed, match='The fx rate: '):
        reconciliation.approve_difference(finance, march[3].id, 'memo', fx_rate='-1')
    with pytest.raises(NotFound):
        reconciliation.approve_difference(finance, 99999, 'memo')
    assert snapshot() == before


def test_a_difference_in_another_currency_needs_its_rate(finance, generic):
    record_sale('TR-1', '1000.00', currency='SEK', fees=((T.PLATFORM_FEE, '100.00'),))
    imported = reconciliation.import_statement(finance, 'sek.csv', statement('2026-03-12,880.00,SEK,TR-1,'), generic)
    line = lines_of(finance, imported.id)[2]
    assert (line.status, line.difference) == ('mismatched', Decimal('-20.00'))
    before = snapshot()
    with pytest.raises(ValidationFailed, match='No SEK exchange rate is known for 2026-03-12') as refused:
        reconciliation.approve_difference(finance, line.id, 'bank fee')
    assert 'fx_rate' in refused.value.fields
    assert snapshot() == before
    approved = reconciliation.approve_difference(finance, line.id, 'bank fee', fx_rate='11.2')
    (adjustment,) = adjustments()
    assert (approved.status, adjustment.amount, adjustment.fx_rate, adjustment.base_amount) == (
        'approved', Decimal('-20.00'), Decimal('11.2'), Decimal('-1.79'))  # fmt: skip


def test_dismissing_keeps_the_reason_books_nothing_and_happens_once(finance, march):
    dismissed = reconciliation.dismiss(finance, march[5].id, 'Interest credited by the bank')
    assert (dismissed.status, dismissed.note, dismissed.decided_by) == (
        'dismissed', 'Interest credited by the bank', finance.name)  # fmt: skip
    assert adjustments() == []
    (entry,) = entries('statement.line_dismissed')
    assert (entry.before, entry.after['reason']) == ({'status': 'unmatched'}, 'Interest credited by the bank')
    before = snapshot()
    for line_id, reason, message in ((march[5].id, 'again', 'Line 5 is dismissed already'),
                                     (march[2].id, 'matched', 'Line 2 is matched already'),
                                     (march[3].id, '', 'The reason: ')):  # fmt: skip
        with pytest.raises(ValidationFailed, match=message):
            reconciliation.dismiss(finance, line_id, reason)
    assert snapshot() == before


def test_matching_again_finds_a_sale_recorded_since_and_leaves_decided_lines(finance, march):
    reconciliation.dismiss(finance, march[3].id, 'Handled by phone')
    sale_id = record_sale('XX-1', '99.00')
    rematched = reconciliation.rematch(finance, march[5].import_id)
    assert rematched.counts == {'matched': 2, 'mismatched': 1, 'unmatched': 0, 'approved': 0, 'dismissed': 1}
    lines = lines_of(finance, march[5].import_id)
    assert (lines[5].status, lines[5].sale_id, lines[3].status) == ('matched', sale_id, 'dismissed')
    (entry,) = entries('statement.rematched')
    assert (entry.before['counts']['unmatched'], entry.after['changed']) == (1, 1)


def test_a_dismissed_line_frees_its_sale_for_another_line(finance, generic, ledger_to_match):
    content = statement('2026-03-12,400.00,EUR,CW-1002,', '2026-03-12,480.00,EUR,CW-1002,')
    imported = reconciliation.import_statement(finance, 'x.csv', content, generic)
    first, second = lines_of(finance, imported.id)[2], lines_of(finance, imported.id)[3]
    assert (first.status, second.status, second.note) == ('mismatched', 'unmatched', 'Already matched by line 2.')
    reconciliation.dismiss(finance, first.id, 'Entered twice by the bank')
    reconciliation.rematch(finance, imported.id)
    assert lines_of(finance, imported.id)[3].status == 'matched'


def test_lines_of_an_unknown_import_or_status_are_refused(finance, march):
    with pytest.raises(NotFound):
        reconciliation.list_lines(finance, 9999)
    with pytest.raises(ValidationFailed, match='"done" is not a status'):
        reconciliation.list_lines(finance, march[2].import_id, 'done')


# --- permissions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('role', [Role.MANAGER, Role.AGENT, Role.SELLER])
def test_only_finance_and_admin_reconcile(finance, march, role):
    other = make_user(role)
    import_id, line_id = march[3].import_id, march[3].id
    calls = [
        lambda: reconciliation.list_mappings(other),
        lambda: reconciliation.save_mapping(other, NORDBANK),
        lambda: reconciliation.import_statement(other, 'x.csv', statement('2026-03-12,1,EUR,A,'), 1),
        lambda: reconciliation.list_imports(other),
        lambda: reconciliation.list_lines(other, import_id),
        lambda: reconciliation.approve_difference(other, line_id, 'memo'),
        lambda: reconciliation.dismiss(other, line_id, 'reason'),
        lambda: reconciliation.rematch(other, import_id),
    ]
    before = snapshot()
    for call in calls:
        with pytest.raises(PermissionDenied, match=f'Your role \\({role.value}\\) may not reconcile statements'):
            call()
    assert snapshot() == before


def test_an_admin_reconciles(march):
    admin = make_user(Role.ADMIN)
    assert reconciliation.approve_difference(admin, march[3].id, 'ok').status == 'approved'
    assert reconciliation.get_import(admin, march[3].import_id).counts['approved'] == 1
