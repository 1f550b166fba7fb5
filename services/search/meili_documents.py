"""Watches as Meilisearch documents, and the inventory filter as a Meilisearch filter expression.

Plain functions with no server behind them, so they are tested on every run even where no Meilisearch exists.
A document carries what the search ranks on (words), what the list filters on, and what it sorts by:
Meilisearch filters and sorts only numbers and strings, so money becomes a float (only there: the screens
show the database's Decimal), and times become Unix timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from db.inventory import Watch
from services import reference
from services.permissions import Actor
from services.watch_filter import WatchFilter

# Where a word is found decides the rank: an exact SKU or reference beats a brand, which beats a description.
SEARCHABLE = ('sku', 'reference_norm', 'reference', 'reference_parts', 'brand', 'model', 'calibre', 'description',
              'notes')  # fmt: skip
FILTERABLE = ('id', 'brand', 'model', 'reference_norm', 'serial', 'stage_id', 'location_id', 'batch_id',
              'agent_id', 'seller_id', 'condition_grade', 'asking_price', 'created_at', 'image_count')  # fmt: skip
# The inventory list's sorts (services.watch_order.SORTS) by the attribute that orders documents the same way.
SORTS = {'sku': 'sku', 'brand': 'brand', 'model': 'model', 'reference': 'reference', 'year': 'year',
         'condition_grade': 'condition_grade', 'asking_price': 'asking_price',
         'purchase_cost_base': 'purchase_cost_base', 'created_at': 'created_at', 'image_count': 'image_count',
         'stage': 'stage_rank', 'location': 'location_name'}  # fmt: skip
SORTABLE = ('id', *SORTS.values())
# References and SKUs are codes: "16610" must not find "16613" as a typo of it.
NO_TYPOS = ('sku', 'reference_norm', 'reference', 'reference_parts', 'calibre')
_RUNS = re.compile(r'[A-Za-z]+|[0-9]+')


@dataclass(frozen=True)
class Ranks:
    """What a document needs beyond its watch: each stage's place in the workflow and each location's name."""

    stages: dict[int, int]
    locations: dict[int, str]


def document(watch: Watch | sa.Row[Any], ranks: Ranks) -> dict[str, Any]:
    """The watch (or a row of its columns) as the index stores it; `id` is the primary key, by which callers
    hydrate the rows.

    The reference is stored three ways so that "16610LV", "16610 LV" and "16610-LV" all find it: as typed,
    normalised ("16610LV"), and as its runs of letters and digits ("16610 LV").
    """
    return {
        'id': watch.id,
        'sku': watch.sku,
        'brand': watch.brand,
        'model': watch.model,
        'reference': watch.reference,
        'reference_norm': watch.reference_norm,
        'reference_parts': ' '.join(_RUNS.findall(watch.reference or '')) or None,
        'calibre': watch.calibre,
        'description': watch.description,
        'notes': watch.notes,
        'serial': watch.serial.upper() if watch.serial else None,
        'stage_id': watch.stage_id,
        'stage_rank': ranks.stages.get(watch.stage_id),
        'location_id': watch.location_id,
        'location_name': ranks.locations.get(watch.location_id) if watch.location_id else None,
        'batch_id': watch.batch_id,
        'agent_id': watch.agent_id,
        'seller_id': watch.seller_id,
        'condition_grade': watch.condition_grade,
        'year': watch.year,
        'asking_price': _number(watch.asking_price),
        'purchase_cost_base': _number(watch.purchase_cost_base),
        'image_count': watch.image_count,
        'created_at': timestamp(watch.created_at),
    }


def filter_string(filters: WatchFilter, actor: Actor) -> str:
    """The list's filter and the actor's row scope as one Meilisearch filter (empty when nothing narrows).

    It means what `services.watch_filter.conditions` means in SQL, except `text`: that is the search's own
    words, which the backend sends as the query. Deleted watches are never in the index.
    """
    return ' AND '.join(_conditions(filters, actor))


def serial_condition(text: str) -> str:
    """Exactly this serial number (serials are stored upper-case; Meilisearch compares strings case-blind)."""
    return f'serial = {quote(text.strip().upper())}'


def quote(value: str) -> str:
    """A string literal for a filter: double quotes, with backslashes and quotes inside escaped."""
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def timestamp(moment: datetime) -> int:
    """Seconds since the epoch; a time without a zone is UTC, as the database stores it."""
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _conditions(filters: WatchFilter, actor: Actor) -> list[str]:
    f = filters
    found = [] if actor.sees_all_watches else [f'agent_id = {_integer(actor.id or 0)}']  # no id: no watches
    for name, value in (('batch_id', f.batch_id), ('agent_id', f.agent_id), ('seller_id', f.seller_id)):
        if value is not None:
            found.append(f'{name} = {_integer(value)}')
    for name, values in (('brand', f.brands), ('condition_grade', f.condition_grades)):
        if values:
            found.append(_one_of(name, map(quote, values)))
    for name, ids in (('location_id', f.location_ids), ('stage_id', f.stage_ids)):
        if ids:
            found.append(_one_of(name, map(_integer, ids)))
    if f.model:
        found.append(f'model CONTAINS {quote(f.model)}')
    if f.reference and (norm := reference.normalise_reference(f.reference)):
        found.append(f'reference_norm STARTS WITH {quote(norm)}')
    found += _ranges(f)
    if f.has_photos is not None:
        found.append('image_count > 0' if f.has_photos else 'image_count = 0')
    return found


def _ranges(f: WatchFilter) -> list[str]:
    found = []
    if f.price_min is not None:
        found.append(f'asking_price >= {_decimal(f.price_min)}')
    if f.price_max is not None:
        found.append(f'asking_price <= {_decimal(f.price_max)}')
    if f.created_from:
        found.append(f'created_at >= {_midnight(f.created_from)}')
    if f.created_to:
        found.append(f'created_at < {_midnight(f.created_to + timedelta(days=1))}')
    return found


def _one_of(name: str, literals: Iterable[str]) -> str:
    return f'{name} IN [{", ".join(literals)}]'


def _integer(value: int) -> str:
    """An id as a number literal; int() refuses anything that is not one, so nothing else reaches the filter."""
    return str(int(value))


def _decimal(value: Decimal) -> str:
    return format(value, 'f')


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _midnight(day: date) -> int:
    return timestamp(datetime.combine(day, time.min, tzinfo=UTC))
