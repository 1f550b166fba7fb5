"""Reading statements: CSV with either delimiter and with or without a BOM, XLSX with typed cells, decimal commas,
mappings checked before use, and a file refused whole with its broken rows named by line number."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from services.errors import ValidationFailed
from services.statement_files import (
    GENERIC,
    MAX_BYTES,
    BrokenRows,
    Mapping,
    MappingCreate,
    read_statement,
    reference_key,
)
from services.validation import validated

HEADER = 'Date,Amount,Currency,Reference,Text\n'
NORDIC = Mapping(
    name='Nordbank',
    columns={'date': 'Bokföringsdag', 'amount': 'Belopp', 'reference': 'Referens', 'text': 'Text'},
    date_format='%d.%m.%Y',
    decimal_separator=',',
    default_currency='SEK',
)


def _facts(lines) -> list[tuple]:
    return [(line.line_no, line.value_date, line.amount, line.currency, line.reference, line.description)
            for line in lines]  # fmt: skip


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_comma_separated_file_with_a_bom_is_read_with_the_generic_mapping():
    text = HEADER + '2026-03-02,1234.50,eur,cw 123,"Payout, March"\n2026-03-03,-20,USD,,Fee\n'
    lines = read_statement(text.encode('utf-8-sig'), GENERIC)
    assert _facts(lines) == [
        (2, date(2026, 3, 2), Decimal('1234.50'), 'EUR', 'cw 123', 'Payout, March'),
        (3, date(2026, 3, 3), Decimal('-20.00'), 'USD', None, 'Fee'),
    ]


def test_a_semicolon_file_with_decimal_commas_grouping_and_a_default_currency():
    text = (
        'Kontoutdrag mars 2026\n'
        'Bokföringsdag;Belopp;Referens;Text\n'
        '02.03.2026;1.234,50;TR-9;Utbetalning Tradera\n'
        '\n'
        '03.03.2026;-12,5;;Avgift\n'
        '04.03.2026;(1 000,00);TR-10;Återbetalning\n'
    )
    assert _facts(read_statement(text.encode(), NORDIC)) == [
        (3, date(2026, 3, 2), Decimal('1234.50'), 'SEK', 'TR-9', 'Utbetalning Tradera'),
        (5, date(2026, 3, 3), Decimal('-12.50'), 'SEK', None, 'Avgift'),
        (6, date(2026, 3, 4), Decimal('-1000.00'), 'SEK', 'TR-10', 'Återbetalning'),
    ]


def test_an_xlsx_file_is_read_by_its_content_with_dates_and_numbers_as_typed():
    content = _xlsx([
        ['Bokföringsdag', 'Belopp', 'Referens', 'Text'],
        [datetime(2026, 3, 2), 1234.5, 'TR-9', 'Utbetalning'],
        ['03.03.2026', '-12,50', None, 'Avgift'],
        [None, None, None, None],
    ])  # fmt: skip
    assert _facts(read_statement(content, NORDIC)) == [
        (2, date(2026, 3, 2), Decimal('1234.50'), 'SEK', 'TR-9', 'Utbetalning'),
        (3, date(2026, 3, 3), Decimal('-12.50'), 'SEK', None, 'Avgift'),
    ]


def test_broken_rows_refuse_the_whole_file_naming_each_by_line_number():
    text = (
        'Date,Amount,Currency,Reference,Text\n'
        '2026-03-02,100.00,EUR,A-1,fine\n'
        '02/03/2026,100.00,EUR,A-2,bad date\n'
        '2026-03-02,1,5,EUR,A-3,shifted\n'
        '2026-03-02,12.345,EUR,A-4,too many decimals\n'
        '2026-03-02,100.00,XXX,A-5,no such currency\n'
        '2026-03-02,,EUR,,neither\n'
        '2026-03-02,abc,EUR,A-7,letters\n'
    )
    with pytest.raises(BrokenRows) as refused:
        read_statement(text.encode(), GENERIC)
    assert refused.value.total == 6
    assert [number for number, _ in refused.value.rows] == [3, 4, 5, 6, 7, 8]
    message = str(refused.value)
    assert message.startswith('6 rows of the file cannot be read, so nothing was imported: line 3: "02/03/2026" is')
    assert 'line 4: "1" is not' not in message  # a shifted row is caught by its currency, not misread
    assert 'line 5: the amount "12.345" has more than two decimals' in message
    assert 'line 6: "XXX" is not a currency code' in message
    assert 'line 7: it has neither a reference nor an amount' in message
    assert 'line 8: "abc" is not an amount' in message


def test_a_dot_decimal_file_refuses_a_comma_that_is_not_thousands_grouping():
    text = 'Date,Amount,Currency,Reference\n2026-03-02,"1,5",EUR,A\n2026-03-02,"1,500.25",EUR,B\n'
    with pytest.raises(BrokenRows, match=re.escape('line 2: "1,5" is not an amount written with "." before the')):
        read_statement(text.encode(), GENERIC)
    assert read_statement(text.replace('"1,5"', '2').encode(), GENERIC)[1].amount == Decimal('1500.25')


def test_only_the_first_ten_broken_rows_are_listed_and_the_rest_counted():
    rows = ''.join(f'2026-03-{day:02},x,EUR,R{day}\n' for day in range(1, 16))
    with pytest.raises(BrokenRows) as refused:
        read_statement(f'Date,Amount,Currency,Reference\n{rows}'.encode(), GENERIC)
    assert (len(refused.value.rows), refused.value.total) == (10, 15)
    assert str(refused.value).endswith('line 11: "x" is not an amount written with "." before the decimals and 5 more.')


@pytest.mark.parametrize(
    ('content', 'message'),
    [
        (b'Datum,Summa\n2026-03-02,1\n', 'does not have the columns the mapping "Generic bank export" reads'),
        (b'Date,Amount,Currency,Reference\n', 'The file has no lines below its column names.'),
        ('Date;Amount\n'.encode('utf-16'), 'neither an XLSX workbook nor UTF-8 text'),
        (b'PK\x03\x04broken', 'not a readable XLSX workbook'),
        (b'x' * (MAX_BYTES + 1), 'a statement may be at most 5 MB'),
    ],
)
def test_unreadable_files_are_refused_with_a_sentence(content, message):
    with pytest.raises(ValidationFailed, match=message):
        read_statement(content, GENERIC)


def test_too_many_lines_are_refused():
    rows = '2026-03-02,1.00,EUR,R\n' * 20_001
    with pytest.raises(ValidationFailed, match='more than 20,000 lines'):
        read_statement(f'Date,Amount,Currency,Reference\n{rows}'.encode(), GENERIC)


def test_references_compare_without_case_or_spaces():
    assert reference_key(' cw 123-a ') == reference_key('CW123-A') == 'cw123-a'
    assert reference_key(None) == ''


# --- mappings ----------------------------------------------------------------------------------------------------

GOOD = {'name': 'Nordbank', 'date_column': 'Bokföringsdag', 'amount_column': 'Belopp',
        'reference_column': 'Referens', 'date_format': '%d.%m.%Y', 'decimal_separator': ',',
        'default_currency': 'sek', 'sample_date': '31.03.2026'}  # fmt: skip


def test_a_mapping_names_its_columns_by_role():
    mapping = validated(MappingCreate, GOOD | {'text_column': 'Text', 'currency_column': ''})
    assert mapping.columns == {'date': 'Bokföringsdag', 'amount': 'Belopp', 'reference': 'Referens', 'text': 'Text'}
    assert mapping.default_currency == 'SEK'


@pytest.mark.parametrize(
    ('change', 'field', 'message'),
    [
        ({'reference_column': ''}, 'reference_column', 'at least 1 character'),
        ({'date_column': '  '}, 'date_column', 'at least 1 character'),
        ({'default_currency': None}, 'default_currency', 'Give a currency column or a default currency.'),
        ({'default_currency': 'kr'}, 'default_currency', '"kr" is not a currency code'),
        ({'date_format': '%H:%M'}, 'date_format', 'with day, month and year'),
        ({'date_format': '%d.%m'}, 'date_format', 'with day, month and year'),
        ({'sample_date': '2026-03-31'}, 'sample_date', 'Not a date written as 31.03.2026.'),
        ({'amount_column': 'Referens'}, 'reference_column', 'already used'),
        ({'decimal_separator': ';'}, 'decimal_separator', "'.' or ','"),
        ({'bank': 'x'}, 'bank', 'Extra inputs'),
    ],
)
def test_a_bad_mapping_is_refused_under_its_field(change, field, message):
    with pytest.raises(ValidationFailed) as refused:
        validated(MappingCreate, GOOD | change)
    assert message in refused.value.fields[field]
