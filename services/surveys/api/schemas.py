"""Bodies of the surveys API (what /docs shows), and how rows become them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.paging import Page
from services.surveys import repository as repo
from services.surveys.domain.plans import SurveyPlan
from services.surveys.models import ContactRow, InvitationRow, PlanRow


class ContactOut(BaseModel):
    customer_id: str
    email: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    consent: list[str]
    customer_since: date | None
    next_renewal: date | None
    attributes: dict[str, Any]
    unsubscribed_at: datetime | None
    bounced: list[str]
    updated_at: datetime

    @classmethod
    def of(cls, row: ContactRow) -> ContactOut:
        return cls(
            customer_id=row.customer_id,
            email=row.email,
            name=row.name,
            locale=row.locale,
            time_zone=row.time_zone,
            consent=sorted(repo.channels_of(row.consent)),
            customer_since=row.customer_since,
            next_renewal=row.next_renewal,
            attributes=row.attributes or {},
            unsubscribed_at=row.unsubscribed_at,
            bounced=sorted(repo.channels_of(row.bounced)),
            updated_at=row.updated_at,
        )


class ContactBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Each item is checked on its own (a broken one does not refuse the others): raw objects here.
    contacts: list[dict[str, Any]] = Field(min_length=1)


class ItemOut(BaseModel):
    index: int
    customer_id: str | None
    status: Literal["upserted", "rejected"]
    errors: list[dict[str, Any]] | None = None


class ContactBatchOut(BaseModel):
    upserted: int
    rejected: int
    items: list[ItemOut]


class ImportError_(BaseModel):
    line: int
    field: str
    message: str
    column: str | None = None


class ImportOut(BaseModel):
    imported: int
    broken: int
    errors: list[ImportError_] = Field(
        description="each broken row's line (the header is line 1), field and message; the first 1000 rows in detail"
    )


class PlanOut(SurveyPlan):
    model_config = ConfigDict(frozen=True, extra="ignore")

    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, row: PlanRow) -> PlanOut:
        return cls(**repo.plan_of(row).model_dump(), updated_at=row.updated_at, updated_by=row.updated_by)


class InvitationOut(BaseModel):
    invitation_id: str
    customer_id: str
    program: str
    period_key: str
    kind: str
    channel: str
    status: str
    case_id: str | None
    due_at: datetime | None
    sent_at: datetime | None
    opened_at: datetime | None
    reminded_at: datetime | None
    remind_at: datetime | None
    expire_at: datetime | None
    responded_at: datetime | None
    response_id: str | None
    seconds_to_respond: float | None
    closed_at: datetime | None
    reason: str | None
    detail: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: InvitationRow) -> InvitationOut:
        return cls.model_validate(row, from_attributes=True)


InvitationPage = Page[InvitationOut]
ContactPage = Page[ContactOut]


class ReportIn(BaseModel):
    """What the sending tool tells about one invitation."""

    model_config = ConfigDict(extra="forbid")
    event: Literal["sent", "opened", "bounced"]
    at: datetime | None = Field(None, description="when it happened (default: now)")
    detail: str | None = Field(None, max_length=300, description="e.g. the bounce's diagnostic")


class RunOut(BaseModel):
    at: datetime
    planned: int = 0
    suppressed: int = 0
    due: int = 0
    sent: int = 0
    reminded: int = 0
    expired: int = 0


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime


class ClockOut(BaseModel):
    now: datetime
    manual: bool
