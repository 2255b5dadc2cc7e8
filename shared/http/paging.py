"""Paged lists, the same in every service: `?limit=&offset=` in, `Page[T]` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

# Far beyond any real page, and within the 64-bit integers SQLite and PostgreSQL take for OFFSET
# (a larger one was a 500 from the database, not a 422).
MAX_OFFSET = 1_000_000_000
MAX_LIMIT = 500

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT})")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
