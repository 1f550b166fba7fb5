"""The API's own request and response models, where they differ from the services' schemas.

Request models forbid unknown fields, so a misspelt field is refused rather than silently ignored.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from db.enums import Role, TokenScope
from services.inventory import COUNT_CAP, WatchRow
from services.watch_filter import TEXT_MAX_LENGTH, WatchFilter
from services.watch_order import SORTS
from services.watches import WatchUpdate

MAX_PER_PAGE = 100
MAX_PAGE = 10_000
_STRICT = ConfigDict(extra='forbid')


class WatchQuery(WatchFilter):
    """The inventory list's filters (each a query parameter; repeat a list parameter for several values), the search
    text as `q`, the sort as a column name with `-` for descending, and the page."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True, populate_by_name=True)

    text: str | None = Field(default=None, alias='q', max_length=TEXT_MAX_LENGTH, description='Search text.')
    sort: str = Field(
        default='-created_at', description=f'One of {", ".join(SORTS)}; prefix `-` for descending.', max_length=40
    )
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=50, ge=1, le=MAX_PER_PAGE)

    @field_validator('sort')
    @classmethod
    def _sort(cls, value: str) -> str:
        if value.removeprefix('-') not in SORTS:
            raise ValueError(f'sort by one of {", ".join(SORTS)}, with "-" in front for descending')
        return value

    def filters(self) -> WatchFilter:
        return WatchFilter.model_validate(self.model_dump(include=set(WatchFilter.model_fields)))


class WatchList(BaseModel):
    items: list[WatchRow]
    total: int = Field(
        description=f'Exact up to {COUNT_CAP:,} matches (or up to the end of the page asked for); beyond that the '
        'count stops there and `total_capped` is true.'
    )
    total_capped: bool
    page: int
    per_page: int


class WatchPatch(WatchUpdate):
    """The fields to change (only those sent change), and the `version` of the watch they were based on."""

    version: int = Field(ge=1, description='The `version` the watch had when read; a later save by anyone is a 409.')

    def changes(self) -> WatchUpdate:
        return WatchUpdate.model_validate(self.model_dump(include=self.model_fields_set - {'version'}))


class StageMove(BaseModel):
    model_config = _STRICT

    to_stage_id: int = Field(gt=0)
    note: str | None = Field(default=None, max_length=500)
    version: int | None = Field(
        default=None, ge=1, description='When given, the move is refused if anyone saved since.'
    )


class ImageOrder(BaseModel):
    model_config = _STRICT

    image_ids: list[int] = Field(max_length=200, description='Every photo of the watch, each once, in the new order.')


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    permissions: list[str]
    token_scope: TokenScope
    last_login_at: datetime | None
