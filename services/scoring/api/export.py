"""Export of responses with their scores, streamed as CSV or NDJSON (managers and admins)."""

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
from services.scoring import queries
from services.scoring.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

# Rows read per query: what one page of the export holds in memory, whatever the export's size.
PAGE_ROWS = 1000


async def _page(uow: UnitsOfWork, program: str | None, span: Period, last: dict | None) -> list[dict]:
    # A short read per page: a slow client never holds a transaction (or a pooled connection) open.
    async with uow.read() as session:
        return await queries.export_page(session, program=program, start=span.start, end=span.end,
                                         after=(last["submitted_at"], last["response_id"]) if last else None,
                                         limit=PAGE_ROWS)


@router.get("/responses", response_class=StreamingResponse, responses=STREAMED,
            dependencies=[personal_data()])  # in the audit trail: who exported what, when
async def export_responses(uow: UowDep, _: Manager, program: Program = None, from_: From = None, to: To = None,
                           format: Format = "csv") -> StreamingResponse:
    """Every response submitted in the period (`from`/`to` inclusive, either or both open), oldest
    first: ids, programme, touchpoint, status (and why not scored), IEC, segment, NPS points, CES,
    CSAT, answers, comment and its analysis. Streamed page by page in constant memory, so an export
    of any size, an unbounded period included, is one request; a failure after the first byte cuts
    the download short (NDJSON: the last line is incomplete; CSV: fewer rows than expected)."""
    span = period(from_, to)
    return await streamed(
        format, first=await _page(uow, program, span, None), next_page=partial(_page, uow, program, span),
        page_rows=PAGE_ROWS, render=partial(export.render, format),
        header=export.csv_header() if format == formats.CSV else None,
        filename=export_filename("lazo-responses", program, from_ and from_[:10], to and to[:10]))
