"""Export of cases with their timelines, streamed as CSV or NDJSON (managers and admins)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from shared import export as formats
from shared.http.auth import Manager
from shared.http.doors import personal_data
from shared.http.deps import UowDep
from shared.http.export import STREAMED, Format, From, Program, To, export_filename, streamed
from shared.periods import Period, period
from shared.uow import UnitsOfWork
from services.casework import queries
from services.casework.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

# Cases read per query (with their timelines): what one page holds in memory.
PAGE_ROWS = 500


async def _page(uow: UnitsOfWork, program: str | None, span: Period, last: dict | None) -> list[dict]:
    async with uow.read() as session:  # a short read per page: nothing held open while the client reads
        return await queries.export_page(session, program=program, start=span.start, end=span.end,
                                         after=(last["opened_at"], last["case_id"]) if last else None,
                                         limit=PAGE_ROWS)


@router.get("/cases", response_class=StreamingResponse, responses=STREAMED,
            dependencies=[personal_data()])  # in the audit trail: who exported what, when
async def export_cases(uow: UowDep, _: Manager, program: Program = None, from_: From = None, to: To = None,
                       format: Format = "csv") -> StreamingResponse:
    """Every case opened in the period (`from`/`to` inclusive, either or both open), oldest first,
    each with its whole timeline: customer, programme, status, owner, causes, milestones, SLA due
    times and breaches, suggested causes. Streamed page by page in constant memory (an unbounded
    period included); a failure after the first byte cuts the download short."""
    span = period(from_, to)
    return await streamed(
        format, first=await _page(uow, program, span, None), next_page=partial(_page, uow, program, span),
        page_rows=PAGE_ROWS, render=partial(export.render, format),
        header=export.csv_header() if format == formats.CSV else None,
        filename=export_filename("lazo-cases", program, from_ and from_[:10], to and to[:10]))
