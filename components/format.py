"""How numbers, money, times and recorded changes are written on screen."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return '—'
    return f'{amount:,.2f} {currency}'


def count(value: int) -> str:
    return f'{value:,}'


def when(value: datetime | None) -> str:
    """Short timestamp; stored values are UTC and shown as UTC to avoid ambiguity."""
    return value.strftime('%Y-%m-%d %H:%M UTC') if value else '—'


def log_time(value: datetime) -> str:
    """A UTC timestamp to the second, for a log whose column header says UTC (seconds order a busy log)."""
    return value.strftime('%Y-%m-%d %H:%M:%S')


def change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """`field: old → new` per changed field, or just `field: value` when there was nothing before.

    Fields come in alphabetical order: PostgreSQL's JSONB does not keep the order they were recorded in.
    """
    parts = []
    for key, value in sorted((after or {}).items()):
        if before and key in before:
            parts.append(f'{key}: {_value(before[key])} → {_value(value)}')
        else:
            parts.append(f'{key}: {_value(value)}')
    return ', '.join(parts) or '—'


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
