"""Query parameters of paged lists, the same in every service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

# Far beyond any real page, and within the 64-bit integers SQLite and PostgreSQL take for OFFSET
# (a larger one was a 500 from the database, not a 422).
MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
