"""Export of alerts, streamed as CSV or NDJSON (shared.http.export)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.http.export import add_export
from services.alerts import queries
from services.alerts.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

add_export(
    router,
    "alerts",
    page=queries.export_page,
    resume_after=("raised_at", "alert_id"),
    render=export.render,
    csv_header=export.csv_header(),
    page_rows=1000,
    description=(
        "Every alert raised in the period (`from`/`to` inclusive, either or both open), oldest first, "
        "held-out ones included (`control_group`): customer, programme, response, IEC, segment, why it "
        "was selected, comment and its analysis. Streamed page by page in constant memory; managers."
    ),
)
