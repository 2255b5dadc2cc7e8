"""Export of responses with their scores, streamed as CSV or NDJSON (managers and admins)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from shared.http.auth import Manager
from shared.http.deps import UowDep
from shared.periods import Period, period
from shared.uow import UnitsOfWork
from services.scoring import queries
from services.scoring.api.kpis import From, To
from services.scoring.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

# Rows read per query: what one page of the export holds in memory, whatever the export's size.
PAGE_ROWS = 1000

Program = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                                      description="one programme; every programme when left out")]


async def _page(uow: UnitsOfWork, program: str | None, span: Period, after: tuple | None) -> list[dict]:
    # A short read per page: a slow client never holds a transaction (or a pooled connection) open.
    async with uow.read() as session:
        return await queries.export_page(session, program=program, start=span.start, end=span.end, after=after,
                                         limit=PAGE_ROWS)


@router.get("/responses", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                             "description": "the responses, streamed"}})
async def export_responses(uow: UowDep, _: Manager, program: Program = None, from_: From = None, to: To = None,
                           format: Literal["csv", "ndjson"] = "csv") -> StreamingResponse:
    """Every response submitted in the period (`from`/`to` inclusive, either or both open), oldest
    first: ids, programme, touchpoint, status (and why not scored), IEC, segment, NPS points, CES,
    CSAT, answers, comment and its analysis. Streamed page by page in constant memory, so an export
    of any size, an unbounded period included, is one request; a failure after the first byte cuts
    the download short (NDJSON: the last line is incomplete; CSV: fewer rows than expected)."""
    span = period(from_, to)
    first = await _page(uow, program, span, None)  # a database that is away is a 503 before any byte

    async def body() -> AsyncIterator[bytes]:
        if format == export.CSV:
            yield export.csv_header()
        page = first
        while page:
            yield export.chunk(format, [export.record(row) for row in page])
            if len(page) < PAGE_ROWS:
                return
            last = page[-1]
            page = await _page(uow, program, span, (last["submitted_at"], last["response_id"]))

    name = "-".join(filter(None, ("lazo-responses", program, from_ and from_[:10], to and to[:10])))
    return StreamingResponse(body(), media_type=export.MEDIA_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}.{format}"',
                                      "Cache-Control": "no-store"})
