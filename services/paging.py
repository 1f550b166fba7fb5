"""One page of a server-paged list: the rows and the total, so no list ever travels whole."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar('T')
MAX_PAGE_SIZE = 200


class Page(BaseModel, Generic[T]):
    total: int
    items: list[T]


def clamp(offset: int, limit: int) -> tuple[int, int]:
    """Keep paging requests (which come from the browser) within sane bounds."""
    return max(0, int(offset)), min(max(1, int(limit)), MAX_PAGE_SIZE)
