"""How numbers, money and times are written on screen."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return '—'
    return f'{amount:,.2f} {currency}'


def count(value: int) -> str:
    return f'{value:,}'


def when(value: datetime | None) -> str:
    """Local-looking short timestamp; stored values are UTC and shown as UTC to avoid ambiguity."""
    return value.strftime('%Y-%m-%d %H:%M UTC') if value else '—'
