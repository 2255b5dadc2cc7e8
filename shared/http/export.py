"""A streamed export answer: pages read one after another (each from where the last stopped), each
rendered and sent before the next is read, so memory holds one page whatever the export's size.

The first page is read before the answer starts: a database that is away is then a 503 problem,
not a 200 cut short. A failure after the first byte can only cut the download short.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Query
from fastapi.responses import StreamingResponse

from shared import export

Row = TypeVar("Row")

# The query parameters every export takes (shared.periods parses the dates).
From = Annotated[str | None, Query(alias="from", description="ISO date or datetime, inclusive; open when left out")]
To = Annotated[str | None, Query(description="ISO date (whole day) or datetime, inclusive; open when left out")]
Format = Annotated[Literal["csv", "ndjson"], Query(description="csv (RFC 4180, UTF-8) or ndjson")]
Program = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                                      description="one programme; every programme when left out")]
STREAMED = {200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "streamed"}}


async def streamed(fmt: str, *, first: Sequence[Row], next_page: Callable[[Row], Awaitable[Sequence[Row]]],
                   page_rows: int, render: Callable[[Sequence[Row]], bytes], header: bytes | None,
                   filename: str) -> StreamingResponse:
    """`next_page(last_row)` reads the page after the last row sent; a page shorter than `page_rows`
    is the last. `render` turns a page into bytes in `fmt`; `header` goes first (CSV)."""

    async def body() -> AsyncIterator[bytes]:
        if header:
            yield header
        page = first
        while page:
            yield render(page)
            if len(page) < page_rows:
                return
            page = await next_page(page[-1])

    return StreamingResponse(body(), media_type=export.MEDIA_TYPES[fmt],
                             headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
                                      "Cache-Control": "no-store"})


def export_filename(*parts: Any) -> str:
    """`lazo-<what>-<programme>-<from day>-<to day>` from the parts given (validated values only)."""
    return "-".join(str(p)[:64] for p in parts if p)
