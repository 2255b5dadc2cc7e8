"""Export of invitations, streamed as CSV or NDJSON (shared.http.export)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.http.export import add_export
from services.surveys import queries
from services.surveys.domain import export

router = APIRouter(prefix="/v1/exports", tags=["export"])

add_export(
    router,
    "invitations",
    page=queries.export_invitations_page,
    resume_after=("invitation_id",),
    render=export.render,
    csv_header=export.csv_header(),
    page_rows=1000,
    description=(
        "Every invitation created in the period (`from`/`to` inclusive, either or both open), oldest "
        "first: customer, programme, period, kind (survey, reminder, follow-up), channel, status with the "
        "suppression reason, milestones and time to respond. Streamed page by page in constant memory; "
        "managers."
    ),
)
