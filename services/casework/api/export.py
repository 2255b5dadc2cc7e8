"""Export of cases with their timelines, and of renewal outcomes, streamed as CSV or NDJSON
(shared.http.export)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.http.export import add_export
from services.casework import queries
from services.casework.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

# 500 cases a page: each comes with its timeline entries.
add_export(
    router,
    "cases",
    page=queries.export_page,
    resume_after=("opened_at", "case_id"),
    render=export.render,
    csv_header=export.csv_header(),
    page_rows=500,
    description=(
        "Every case opened in the period (`from`/`to` inclusive, either or both open), oldest first, "
        "each with its whole timeline: customer, programme, status, owner, causes, milestones, SLA due "
        "times and breaches, suggested causes. Streamed page by page in constant memory; managers."
    ),
)

add_export(
    router,
    "outcomes",
    page=queries.export_outcomes_page,
    resume_after=("on", "program", "customer_id"),
    render=export.render_outcomes,
    csv_header=export.outcomes_csv_header(),
    page_rows=1000,
    description=(
        "Every renewal outcome dated in the period (a day is in when its midnight UTC is; `from`/`to` "
        "inclusive, either or both open), by date: customer, programme, renewed, revenue, when recorded. "
        "Streamed page by page in constant memory; managers."
    ),
)
