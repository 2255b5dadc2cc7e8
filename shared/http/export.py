"""Streamed exports, the same in every service: `GET /v1/exports/<what>?program=&from=&to=&format=`
for managers and admins, each call in the audit trail (a read of personal data).

Pages are read one after another, each from where the last stopped (a keyset: the service's
`page` query orders by two columns and resumes after the last row's values), each in its own short
read, and each rendered and sent before the next is read: memory holds one page whatever the
export's size, and no transaction stays open while a slow client reads. That is also why a period
left open is allowed. The first page is read before the answer starts, so a database that is away
is a 503 problem, not a 200 cut short; a failure after the first byte can only cut the download
short (NDJSON: an incomplete last line; CSV: fewer rows).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shared import export
from shared.http.auth import Manager
from shared.http.deps import UowDep
from shared.http.doors import personal_data
from shared.periods import period

From = Annotated[str | None, Query(alias="from", description="ISO date or datetime, inclusive; open when left out")]
To = Annotated[str | None, Query(description="ISO date (whole day) or datetime, inclusive; open when left out")]
Format = Annotated[Literal["csv", "ndjson"], Query(description="csv (RFC 4180, UTF-8) or ndjson")]
Program = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="one programme; every programme when left out",
    ),
]
STREAMED = {200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "streamed"}}


class PageQuery(Protocol):
    def __call__(
        self,
        session: AsyncSession,
        *,
        program: str | None,
        start: datetime | None,
        end: datetime | None,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> Awaitable[list[dict]]: ...


def add_export(
    router: APIRouter,
    what: str,
    *,
    page: PageQuery,
    resume_after: tuple[str, ...],
    render: Callable[[str, Sequence[dict]], bytes],
    csv_header: bytes,
    page_rows: int,
    description: str,
) -> None:
    """Adds `GET /<what>` to `router`: `page` reads `page_rows` rows after the row whose
    `resume_after` values it is given; `render` writes a page in a format (CSV without header)."""

    @router.get(
        f"/{what}",
        response_class=StreamingResponse,
        responses=STREAMED,
        name=f"export_{what}",
        dependencies=[personal_data()],
        description=description,
    )
    async def export_route(
        uow: UowDep, _: Manager, program: Program = None, from_: From = None, to: To = None, format: Format = "csv"
    ) -> StreamingResponse:
        span = period(from_, to)

        async def read(last: dict | None) -> list[dict]:
            async with uow.read() as session:
                after = tuple(last[c] for c in resume_after) if last else None
                return await page(
                    session, program=program, start=span.start, end=span.end, after=after, limit=page_rows
                )

        first = await read(None)

        async def body() -> AsyncIterator[bytes]:
            if format == export.CSV:
                yield csv_header
            rows = first
            while rows:
                yield render(format, rows)
                if len(rows) < page_rows:
                    return
                rows = await read(rows[-1])

        name = "-".join(p for p in (f"lazo-{what}", program, from_ and from_[:10], to and to[:10]) if p)
        return StreamingResponse(
            body(),
            media_type=export.MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{name}.{format}"', "Cache-Control": "no-store"},
        )
