"""Export of responses with their scores, streamed as CSV or NDJSON (shared.http.export)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.http.export import add_export
from services.scoring import queries
from services.scoring.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

add_export(
    router,
    "responses",
    page=queries.export_page,
    resume_after=("submitted_at", "response_id"),
    render=export.render,
    csv_header=export.csv_header(),
    page_rows=1000,
    description=(
        "Every response submitted in the period (`from`/`to` inclusive, either or both open), oldest "
        "first: ids, programme, touchpoint, status (and why not scored), IEC, segment, NPS points, CES, "
        "CSAT, answers, comment and its analysis. Streamed page by page in constant memory; managers."
    ),
)
