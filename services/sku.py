"""Stock-keeping unit numbers: `SV-2611-00042` is the 42nd watch taken in during November 2026.

The number comes from `sku_counters`, one row per month, only ever incremented, so a SKU is never
handed out twice, not even after the watch it named is deleted.
"""

from __future__ import annotations

from datetime import date

DEFAULT_PATTERN = 'SV-{yy}{mm}-{n:05d}'


def period_key(day: date) -> str:
    return day.strftime('%y%m')


def format_sku(day: date, number: int, pattern: str = DEFAULT_PATTERN) -> str:
    return pattern.format(yy=day.strftime('%y'), mm=day.strftime('%m'), yyyy=day.strftime('%Y'), n=number)
