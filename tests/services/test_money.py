"""Currency codes and conversion to the base currency with the stored exchange rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db.engine import session_scope
from db.ledger import FxRate
from services import money


@pytest.fixture
def rates(db) -> None:
    """Units of the currency per euro, as the ECB quotes them."""
    with session_scope() as session:
        for day, currency, rate in [
            (date(2026, 10, 1), 'USD', '1.1'),
            (date(2026, 10, 8), 'USD', '1.25'),
            (date(2026, 10, 1), 'SEK', '8'),
        ]:
            session.add(FxRate(rate_date=day, currency=currency, rate=Decimal(rate), source='ecb'))


def test_currency_codes_are_checked_and_upper_cased():
    assert money.check_currency(' usd ') == 'USD'
    assert {'EUR', 'SEK', 'CHF', 'JPY', 'GBP'} <= money.CURRENCIES
    for wrong in ('EURO', 'XYZ', '', 'XAU'):
        with pytest.raises(ValueError, match='is not a currency code; use a three-letter ISO 4217 code'):
            money.check_currency(wrong)


def test_the_base_currency_needs_no_rate(db):
    with session_scope() as session:
        assert money.to_base(session, Decimal('12.5'), 'eur', date(2020, 1, 1)) == Decimal('12.50')


def test_conversion_uses_the_rate_of_the_day_or_the_latest_before_it(rates):
    with session_scope() as session:
        convert = lambda day: money.to_base(session, Decimal('110.00'), 'USD', day)  # noqa: E731
        assert convert(date(2026, 10, 1)) == Decimal('100.00')
        assert convert(date(2026, 10, 7)) == Decimal('100.00')
        assert convert(date(2026, 10, 8)) == Decimal('88.00')
        assert convert(date(2026, 9, 30)) is None
        assert money.to_base(session, Decimal('110.00'), 'CHF', date(2026, 10, 8)) is None


def test_conversion_rounds_half_to_even(rates):
    with session_scope() as session:
        assert money.to_base(session, Decimal('0.20'), 'SEK', date(2026, 10, 2)) == Decimal('0.02')  # 0.025
        assert money.to_base(session, Decimal('0.60'), 'SEK', date(2026, 10, 2)) == Decimal('0.08')  # 0.075
