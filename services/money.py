"""Currencies and conversion to the base currency with the rates in `fx_rates`.

Amounts are `Decimal` end to end; a conversion rounds once, to the cent, half to even (banker's rounding),
so sums of converted amounts do not drift upwards.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator
from sqlmodel import Session, select

from config import get_settings
from db.ledger import FxRate

CENT = Decimal('0.01')
# Active ISO 4217 codes of money (list one, late 2026). Left out: precious metals, bond units, fund and test
# codes (XAU, XBA, CLF, XTS, ...), which no watch is priced in, and withdrawn codes such as BGN, HRK and ANG.
_ACTIVE_CODES = (
    'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF '
    'CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD '
    'HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL '
    'LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP '
    'PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT '
    'TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG'
)
CURRENCIES = frozenset(_ACTIVE_CODES.split())


def check_currency(code: str) -> str:
    """The code upper-cased, or ValueError with a sentence when it is not an active ISO 4217 currency."""
    value = str(code).strip().upper()
    if value not in CURRENCIES:
        raise ValueError(f'"{code}" is not a currency code; use a three-letter ISO 4217 code such as EUR or USD.')
    return value


def check_rate(value: Decimal) -> Decimal:
    """A rate a person typed (units per one unit of the base currency), or ValueError unless it is above 0."""
    if not value.is_finite() or value <= 0:
        raise ValueError('enter a rate above 0')
    return value


# The two checks as field types of input models, so each model does not repeat them as its own validators.
CurrencyCode = Annotated[str, AfterValidator(check_currency)]
TypedRate = Annotated[Decimal, AfterValidator(check_rate)]


def to_base(session: Session, amount: Decimal, currency: str, day: date) -> Decimal | None:
    """The amount in the base currency at the rate of `day` (or the latest earlier one); None when none is known.

    A rate is units of `currency` per one unit of the base currency, as the ECB quotes them.
    """
    currency = check_currency(currency)
    if currency == get_settings().base_currency:
        return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    rate = session.exec(
        select(FxRate.rate)
        .where(FxRate.currency == currency, FxRate.rate_date <= day)
        .order_by(FxRate.rate_date.desc())
        .limit(1)
    ).first()
    return None if rate is None else (amount / rate).quantize(CENT, rounding=ROUND_HALF_EVEN)
