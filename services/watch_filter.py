"""What a list of watches is narrowed by, and the same as WHERE terms that B-tree indexes serve.

The inventory list, its exports, its bulk actions and the search backends all narrow watches by one
`WatchFilter`, so a filter means the same thing on every screen and in every file a user downloads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from db.engine import get_engine
from db.inventory import Watch
from services import grading, reference

# Sorts after every character, so [p, p + TOP) holds exactly the strings that start with p (byte or code point
# order: SQLite's BINARY collation, PostgreSQL's C and C.UTF-8), and a B-tree index serves the range.
TOP = '\U0010ffff'
# Search text beyond this is a paste, not a search: it is cut here rather than refused.
TEXT_MAX_LENGTH = 200
# SQLite's trigram index answers substrings of at least three characters; shorter ones are a plain scan.
TRIGRAM = 3


class WatchFilter(BaseModel):
    """What the list is narrowed by; the fields combine with AND, the values within a list with OR."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    text: str | None = Field(default=None, max_length=TEXT_MAX_LENGTH)
    brands: list[str] = Field(default_factory=list, max_length=100)
    model: str | None = Field(default=None, max_length=120)
    reference: str | None = Field(default=None, max_length=60)
    condition_grades: list[str] = Field(default_factory=list)
    location_ids: list[int] = Field(default_factory=list, max_length=500)
    stage_ids: list[int] = Field(default_factory=list, max_length=100)
    batch_id: int | None = None
    agent_id: int | None = None
    seller_id: int | None = None
    price_min: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    price_max: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    created_from: date | None = None
    created_to: date | None = None
    has_photos: bool | None = None

    @field_validator('text', mode='before')
    @classmethod
    def _cut(cls, value: object) -> object:
        return value[:TEXT_MAX_LENGTH] if isinstance(value, str) else value

    @field_validator('text', 'model', 'reference')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator('condition_grades')
    @classmethod
    def _grades(cls, value: list[str]) -> list[str]:
        if unknown := [grade for grade in value if grade not in grading.GRADES]:
            raise ValueError(f'unknown grade {unknown[0]!r}; the grades are {", ".join(grading.GRADES)}')
        return value

    @model_validator(mode='after')
    def _ranges(self) -> WatchFilter:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError('the lowest price is above the highest')
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError('the first date is after the last')
        return self


def conditions(filters: WatchFilter) -> list[sa.ColumnElement[bool]]:
    """The filter as WHERE terms, each one an index can serve. The text is not among them: the search backend
    matches it (`services.search.where` gives both)."""
    f = filters
    found: list[sa.ColumnElement[bool]] = []
    for column, value in ((Watch.batch_id, f.batch_id), (Watch.agent_id, f.agent_id), (Watch.seller_id, f.seller_id)):
        if value is not None:
            found.append(column == value)
    for column, values in (
        (Watch.brand, f.brands),
        (Watch.condition_grade, f.condition_grades),
        (Watch.location_id, f.location_ids),
        (Watch.stage_id, f.stage_ids),
    ):
        if values:
            found.append(column.in_(values))
    if f.model:
        found.append(_model_contains(f.model))
    if f.reference and (norm := reference.normalise_reference(f.reference)):
        found.append(starts_with(Watch.reference_norm, norm))
    if f.price_min is not None:
        found.append(Watch.asking_price >= f.price_min)
    if f.price_max is not None:
        found.append(Watch.asking_price <= f.price_max)
    if f.created_from:
        found.append(Watch.created_at >= _midnight(f.created_from))
    if f.created_to:
        found.append(Watch.created_at < _midnight(f.created_to + timedelta(days=1)))
    if f.has_photos is not None:
        found.append(Watch.image_count > 0 if f.has_photos else Watch.image_count == 0)
    return found


def starts_with(column: Any, prefix: str) -> sa.ColumnElement[bool]:
    """A prefix match as a range, which (unlike LIKE on SQLite) an ordinary index serves on both databases."""
    return sa.and_(column >= prefix, column < prefix + TOP)


def _model_contains(text: str) -> sa.ColumnElement[bool]:
    """A substring of the model through a trigram index (migration 0004): on PostgreSQL pg_trgm serves ILIKE
    itself; SQLite needs its FTS5 trigram table asked, which answers three characters or more."""
    if len(text) >= TRIGRAM and get_engine().dialect.name == 'sqlite':
        table = sa.literal_column('search_trigram')
        phrase = '"' + text.replace('"', '""') + '"'
        return Watch.id.in_(
            sa.select(sa.literal_column('rowid'))
            .select_from(sa.table('search_trigram'))
            .where(table.op('MATCH')(phrase))
        )
    return Watch.model.ilike(f'%{_escape_like(text)}%', escape='\\')


def _escape_like(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
