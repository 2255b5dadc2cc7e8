"""Bodies of the alerts API (what /docs shows), and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.contracts.scores import CommentAnalysis, CustomerContact
from shared.events import EventType
from shared.http.paging import Page
from services.alerts.domain.chat import CHAT_FORMATS, CLOUDEVENTS
from services.alerts.domain.rules import AlertRules
from services.alerts.models import Alert, AttachedResponse, Delivery, DeliveryAttempt, Subscription
from services.alerts.queries import RulesView

PROGRAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PUSHABLE = (EventType.ALERT_RAISED, EventType.ALERT_HELD_OUT)


class RulesOut(AlertRules):
    model_config = ConfigDict(frozen=True, extra="ignore")

    program: str
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def of(cls, view: RulesView) -> RulesOut:
        return cls(
            program=view.program, updated_at=view.updated_at, updated_by=view.updated_by, **view.rules.model_dump()
        )


class AttachedOut(BaseModel):
    response_id: str
    iec: float
    segment: str
    reasons: list[str]
    comment: str | None
    touchpoint: str | None
    submitted_at: datetime
    attached_at: datetime

    @classmethod
    def of(cls, row: AttachedResponse) -> AttachedOut:
        return cls(
            response_id=row.response_id,
            iec=row.iec,
            segment=row.segment,
            reasons=row.reasons.split(","),
            comment=row.comment,
            touchpoint=row.touchpoint,
            submitted_at=row.submitted_at,
            attached_at=row.attached_at,
        )


class AlertOut(BaseModel):
    alert_id: str
    customer_id: str
    customer: CustomerContact
    program: str
    response_id: str
    iec: float
    segment: str
    previous_iec: float | None
    reasons: list[str]
    comment: str | None
    touchpoint: str | None
    submitted_at: datetime
    raised_at: datetime
    control_group: bool
    comment_analysis: CommentAnalysis | None = Field(None, description="what scoring read in the comment")
    attached_responses: list[AttachedOut] = Field(
        description="later selected responses of the customer that fell within this alert's cool-down"
    )

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        return cls(
            alert_id=a.alert_id,
            customer_id=a.customer_id,
            customer=CustomerContact(email=a.customer_email, name=a.customer_name),
            program=a.program,
            response_id=a.response_id,
            iec=a.iec,
            segment=a.segment,
            previous_iec=a.previous_iec,
            reasons=a.reasons.split(","),
            comment=a.comment,
            touchpoint=a.touchpoint,
            submitted_at=a.submitted_at,
            raised_at=a.raised_at,
            control_group=a.control_group,
            comment_analysis=a.comment_analysis,
            attached_responses=[AttachedOut.of(r) for r in a.attached],
        )


AlertPage = Page[AlertOut]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://cc.example.com/lazo",
                    "secret": "a-long-random-shared-secret",
                    "event_types": ["lazo.alert.raised"],
                    "programs": None,
                }
            ]
        },
    )

    url: AnyHttpUrl = Field(
        description="http(s) endpoint that receives each event as a signed POST; for `slack` "
        "an incoming webhook on hooks.slack.com, for `teams` a Teams workflow's URL"
    )
    format: Literal["cloudevents", "slack", "teams"] = Field(
        CLOUDEVENTS,
        description="`cloudevents`: the signed CloudEvent; `slack`: a Block Kit message; "
        "`teams`: an Adaptive Card (chat formats carry lazo.alert.raised only)",
    )
    language: Literal["en", "es"] = Field(
        "en", description="the words of a `slack` or `teams` message: English or Spanish (a CloudEvent has none)"
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description="signs every POST (HMAC-SHA256); never returned. Required for "
        "`cloudevents`; optional for chat formats (their URL is the credential)",
        validate_default=True,
    )
    event_types: list[str] = Field(min_length=1, description=f"any of {list(PUSHABLE)}")
    programs: list[Annotated[str, Field(min_length=1, max_length=64, pattern=PROGRAM_PATTERN)]] | None = Field(
        None, min_length=1, description="only these programmes' events; null = every programme"
    )

    @field_validator("url")
    @classmethod
    def _length(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(url)) > 2000:
            raise ValueError("the url is longer than 2000 characters")
        if url.username or url.password:
            raise ValueError(
                "credentials embedded in a URL are not allowed (user:password@); the secret signs every request instead"
            )
        return url

    @field_validator("secret")
    @classmethod
    def _signs_cloudevents(cls, secret: str | None, info: ValidationInfo) -> str | None:
        if secret is None and info.data.get("format") == CLOUDEVENTS:  # (an invalid format is its own error)
            raise ValueError("required for format cloudevents: it signs every push")
        return secret

    @field_validator("event_types")
    @classmethod
    def _known(cls, types: list[str], info: ValidationInfo) -> list[str]:
        unknown = [t for t in types if t not in PUSHABLE]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; pushable: {list(PUSHABLE)}")
        fmt = info.data.get("format")
        if fmt in CHAT_FORMATS and set(types) != {EventType.ALERT_RAISED}:
            # A held-out alert is a customer not to contact: nothing to post in an agents' channel.
            raise ValueError(f"a {fmt} subscription carries {EventType.ALERT_RAISED} only")
        return list(dict.fromkeys(types))


class SubscriptionOut(BaseModel):
    id: str
    url: str = Field(description="for chat formats only the origin: their webhook URL is a credential")
    format: str
    language: str
    event_types: list[str]
    programs: list[str] | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        url = s.url
        if s.format in CHAT_FORMATS:
            parts = urlsplit(url)
            url = f"{parts.scheme}://{parts.netloc}/…"
        return cls(
            id=s.id,
            url=url,
            format=s.format,
            language=s.language or "en",
            event_types=s.event_types,
            programs=s.programs,
            created_at=s.created_at,
            created_by=s.created_by,
        )


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float
    next_attempt_at: datetime | None = Field(description="null when this attempt was the last one")

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        return cls(
            at=a.attempted_at,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
            next_attempt_at=a.next_attempt_at,
        )


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: str
    attempt_count: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempt_count=d.attempt_count,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            delivered_at=d.delivered_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            attempts=[AttemptOut.of(a) for a in d.attempts],
        )


DeliveryPage = Page[DeliveryOut]
