"""The casework API's bodies and views (CONTRACT.md, casework)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from shared.http.paging import Page
from shared.limits import label_of, text_of
from services.casework.domain.case import Status, allowed_from
from services.casework.domain.experiment import Conclusion
from services.casework.domain.outcomes import OutcomeIn
from services.casework.domain.sla import breaches
from services.casework.models import CaseAlertRow, CaseRow, TimelineRow

__all__ = ["OutcomeIn"]  # the body of POST /v1/outcomes (domain.outcomes: a batch's items are validated there)

Program = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]

# What agents type: bounded like a response's fields (shared.limits), so that a case event carrying
# them fits the broker with room to spare (tests/unit/test_event_budget.py), and valid text for
# PostgreSQL. The cause and owner columns are String(500) and String(200).
NOTE_CHARS = 5000
CAUSE_CHARS = 500
OWNER_CHARS = 200


class TransitionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "contacted", "note": "Called at 10:05", "cause": "billing error", "owner": "billing-team"}
            ]
        },
    )

    to: Status
    note: text_of(NOTE_CHARS) | None = None
    cause: text_of(CAUSE_CHARS) | None = None
    owner: label_of(OWNER_CHARS) | None = None
    cause_key: str | None = Field(
        None,
        max_length=40,
        description="at `contacted`: the taxonomy key of the cause "
        "(one of `suggested_causes`, or another of the programme's taxonomy)",
    )


class ConfirmationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"solved": True, "current_feeling": 8, "note": "Refund received, happy now"}]},
    )

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


class SuggestedCause(BaseModel):
    key: str
    evidence: str
    polarity: str


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
    suggested_causes: list[SuggestedCause] = Field(
        [], description="causes the comment analysis found (from the alert), with the words that matched"
    )
    cause_key: str | None = Field(None, description="the taxonomy key the agent recorded at first contact")
    suggestion_kept: bool | None = Field(None, description="whether `cause_key` was one of the suggestions")


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


CasePage = Page[CaseOut]


def case_out(row: CaseRow, now: datetime) -> dict:
    status = Status(row.status)
    broken = [b.value for b in breaches(status, row.first_contact_due, row.close_due, now)]
    return {
        "case_id": row.case_id,
        "customer_id": row.customer_id,
        "program": row.program,
        "status": status,
        "owner": row.owner,
        "cause": row.cause,
        "customer": {"email": row.customer_email, "name": row.customer_name},
        "opened_at": row.opened_at,
        "first_contact_at": row.first_contact_at,
        "analysing_at": row.analysing_at,
        "responded_at": row.responded_at,
        "unreachable_at": row.unreachable_at,
        "closed_at": row.closed_at,
        "current_feeling": row.current_feeling,
        "due": {"first_contact": row.first_contact_due, "close": row.close_due},
        "overdue": bool(broken),
        "breaches": broken,
        "allowed": allowed_from(status),
        "suggested_causes": row.suggested_causes or [],
        "cause_key": row.cause_key,
        "suggestion_kept": row.suggestion_kept,
    }


def case_detail(row: CaseRow, alerts: list[CaseAlertRow], timeline: list[TimelineRow], now: datetime) -> dict:
    return {
        **case_out(row, now),
        "alerts": [
            {"alert_id": a.alert_id, "response_id": a.response_id, "held_out": a.held_out, "raised_at": a.raised_at}
            for a in alerts
        ],
        "timeline": [
            {
                "seq": t.seq,
                "type": t.kind,
                "from": t.from_status,
                "to": t.to_status,
                "by": t.by,
                "at": t.at,
                "note": t.note,
                "cause": t.cause,
                "owner": t.owner,
                "alert_id": t.alert_id,
                "response_id": t.response_id,
                "current_feeling": t.current_feeling,
                "solved": t.solved,
                "overdue": t.overdue,
            }
            for t in timeline
        ],
    }


# -- outcomes ---------------------------------------------------------------------------------


class OutcomeAccepted(BaseModel):
    customer_id: str
    program: str
    date: date
    event_id: str = Field(description="the CloudEvent id: the same report sent again is the same event")
    status: str = "accepted"


class OutcomeBatchIn(BaseModel):
    # Items stay raw here: each one is validated on its own, so one bad item cannot sink the batch.
    outcomes: list[Any] = Field(min_length=1, description="up to 1000 outcomes, each as in POST /v1/outcomes")


class OutcomeOut(BaseModel):
    customer_id: str
    program: str
    date: date
    renewed: bool
    revenue: float | None
    event_id: str
    recorded_at: datetime


class OutcomeList(BaseModel):
    items: list[OutcomeOut]


def outcome_out(row) -> dict:
    return {
        "customer_id": row.customer_id,
        "program": row.program,
        "date": row.on,
        "renewed": row.renewed,
        "revenue": row.revenue,
        "event_id": row.event_id,
        "recorded_at": row.recorded_at,
    }


# -- the experiment ---------------------------------------------------------------------------


class Revenue(BaseModel):
    customers: int = Field(description="customers whose outcome gave a revenue")
    per_customer: float | None = Field(description="mean revenue over those customers")


class ArmOut(BaseModel):
    customers: int = Field(description="customers in the group, with or without an outcome")
    with_outcome: int
    renewed: int
    renewal_rate: float | None = Field(description="percent of customers with an outcome who renewed")
    ci95: tuple[float, float] | None = Field(description="Wilson 95% interval of the rate, in percent")
    revenue: Revenue


class Difference(BaseModel):
    points: float | None = Field(description="treated renewal rate minus control renewal rate, in points")
    ci95: tuple[float, float] | None = Field(description="95% interval of the difference, in points")
    method: str = "newcombe_hybrid_score"
    revenue_lift_percent: float | None = Field(
        description="revenue per customer, treated over control, minus 1, in percent"
    )


class ExperimentOut(BaseModel):
    program: str
    treated: ArmOut
    control: ArmOut
    difference: Difference
    conclusion: Conclusion
    verdict: str
    minimum_per_group: int = Field(description="customers with an outcome needed in each group for a verdict")
    not_worked: ArmOut
    excluded: ArmOut
    others: ArmOut
    definitions: dict[str, str]


# -- case KPIs --------------------------------------------------------------------------------


class Percentiles(BaseModel):
    count: int = Field(description="cases that got there")
    p50: float | None
    p90: float | None


class Confirmed(BaseModel):
    closed: int = Field(description="cases the customer confirmed as solved (the loop closed)")
    by_survey: int = Field(description="confirmed by a follow-up survey response")
    by_agent: int = Field(description="confirmed by the agent, on the customer's word")
    share: float | None = Field(description="closed / cases worked on (control excluded), 0–1")


class SlaPart(BaseModel):
    met: int
    missed: int
    compliance: float | None = Field(description="met / (met + missed), 0–1; cases still in time are not counted")


class Sla(BaseModel):
    first_contact: SlaPart
    close: SlaPart


class OwnerCount(BaseModel):
    owner: str
    cases: int


class Backlog(BaseModel):
    total: int
    by_status: dict[str, int]
    by_owner: list[OwnerCount] = Field(description="most loaded first (top 50)")


class CauseCount(BaseModel):
    cause: str
    cases: int


class SuggestionKpi(BaseModel):
    chosen: int = Field(description="cases with suggestions where the agent recorded a cause key")
    kept: int = Field(description="of those, the ones where the key was one of the suggestions")
    kept_share: float | None


class CaseKpisOut(BaseModel):
    program: str | None
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = Field(None, description="exclusive end of the period")
    cases: int = Field(description="cases opened in the period, control cases excluded")
    control_cases: int
    time_to_first_contact_hours: Percentiles
    time_to_close_hours: Percentiles
    confirmed: Confirmed
    sla: Sla
    backlog: Backlog
    top_causes: list[CauseCount] = Field(description="the 10 most frequent causes recorded at first contact")
    suggestions: SuggestionKpi = Field(
        description="cases with suggested causes where the agent chose a key: how "
        "often it was a suggestion (the analyzer's precision in production)"
    )


class AuditOut(BaseModel):
    audit_id: str
    at: datetime
    service: str
    kind: str
    actor: str
    role: str
    method: str
    route: str
    resource: dict[str, str]
    customer_digests: list[str]
    status: int
    client: str


AuditPage = Page[AuditOut]


def audit_out(row: Any) -> dict:
    return {
        "audit_id": row.audit_id,
        "at": row.at,
        "service": row.service,
        "kind": row.kind,
        "actor": row.actor,
        "role": row.role,
        "method": row.method,
        "route": row.route,
        "resource": row.resource,
        "customer_digests": row.customer_digests.split() if row.customer_digests else [],
        "status": row.status,
        "client": row.client,
    }
