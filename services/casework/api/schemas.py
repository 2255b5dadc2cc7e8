"""The casework API's bodies and views (CONTRACT.md, casework)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.limits import label_of, text_of
from services.casework.domain.case import Status, allowed_from
from services.casework.domain.sla import breaches
from services.casework.models import CaseAlertRow, CaseRow, TimelineRow

# What agents type: bounded like a response's fields (shared.limits), so that a case event carrying
# them fits the broker with room to spare (tests/unit/test_event_budget.py), and valid text for
# PostgreSQL. The cause and owner columns are String(500) and String(200).
NOTE_CHARS = 5000
CAUSE_CHARS = 500
OWNER_CHARS = 200


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"to": "contacted", "note": "Called at 10:05", "cause": "billing error", "owner": "billing-team"}]})

    to: Status
    note: text_of(NOTE_CHARS) | None = None
    cause: text_of(CAUSE_CHARS) | None = None
    owner: label_of(OWNER_CHARS) | None = None


class ConfirmationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"solved": True, "current_feeling": 8, "note": "Refund received, happy now"}]})

    solved: bool
    current_feeling: float | None = Field(None, ge=1, le=10)
    note: text_of(NOTE_CHARS) | None = None


class SlaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_contact_hours: int = Field(48, ge=0, le=24 * 365)
    close_days: int = Field(14, ge=0, le=365)


class SlaOut(SlaIn):
    program: str
    updated_at: datetime | None = None
    updated_by: str | None = None


class Contact(BaseModel):
    email: str | None = None
    name: str | None = None


class Due(BaseModel):
    first_contact: datetime
    close: datetime


class CaseOut(BaseModel):
    case_id: str
    customer_id: str
    program: str
    status: Status
    owner: str | None
    cause: str | None
    customer: Contact
    opened_at: datetime
    first_contact_at: datetime | None
    analysing_at: datetime | None
    responded_at: datetime | None
    unreachable_at: datetime | None
    closed_at: datetime | None
    current_feeling: float | None
    due: Due
    overdue: bool
    breaches: list[str] = Field(description="SLAs broken now: first_contact, close")
    allowed: list[str] = Field(description="transitions an agent may ask for now")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    seq: int
    type: str
    from_: str | None = Field(None, alias="from")
    to: str | None
    by: str
    at: datetime
    note: str | None
    cause: str | None
    owner: str | None
    alert_id: str | None
    response_id: str | None
    current_feeling: float | None
    solved: bool | None
    overdue: str | None


class AlertTaken(BaseModel):
    alert_id: str
    response_id: str | None
    held_out: bool
    raised_at: datetime


class CaseDetail(CaseOut):
    alerts: list[AlertTaken]
    timeline: list[TimelineEntry]


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CaseOut]


def case_out(row: CaseRow, now: datetime) -> dict:
    status = Status(row.status)
    broken = [b.value for b in breaches(status, row.first_contact_due, row.close_due, now)]
    return {
        "case_id": row.case_id, "customer_id": row.customer_id, "program": row.program, "status": status,
        "owner": row.owner, "cause": row.cause,
        "customer": {"email": row.customer_email, "name": row.customer_name},
        "opened_at": row.opened_at, "first_contact_at": row.first_contact_at, "analysing_at": row.analysing_at,
        "responded_at": row.responded_at, "unreachable_at": row.unreachable_at, "closed_at": row.closed_at,
        "current_feeling": row.current_feeling,
        "due": {"first_contact": row.first_contact_due, "close": row.close_due},
        "overdue": bool(broken), "breaches": broken, "allowed": allowed_from(status),
    }


def case_detail(row: CaseRow, alerts: list[CaseAlertRow], timeline: list[TimelineRow], now: datetime) -> dict:
    return {
        **case_out(row, now),
        "alerts": [{"alert_id": a.alert_id, "response_id": a.response_id, "held_out": a.held_out,
                    "raised_at": a.raised_at} for a in alerts],
        "timeline": [{"seq": t.seq, "type": t.kind, "from": t.from_status, "to": t.to_status, "by": t.by,
                      "at": t.at, "note": t.note, "cause": t.cause, "owner": t.owner, "alert_id": t.alert_id,
                      "response_id": t.response_id, "current_feeling": t.current_feeling, "solved": t.solved,
                      "overdue": t.overdue} for t in timeline],
    }
