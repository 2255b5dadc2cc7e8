from __future__ import annotations

from datetime import datetime

from shared.events import EventData


class CustomerContact(EventData):
    email: str | None = None
    name: str | None = None


class ScoreComputed(EventData):
    """`lazo.score.computed`: a response's IEC and segment, with what alerts and casework need."""

    response_id: str
    customer_id: str
    customer: CustomerContact = CustomerContact()
    program: str
    touchpoint: str | None = None
    submitted_at: datetime
    iec: float
    segment: str
    previous_iec: float | None = None
    comment: str | None = None
    case_id: str | None = None
    answers: dict[str, float] = {}


class ScoreRejected(EventData):
    """`lazo.score.rejected`: a response kept but not scored, and why."""

    response_id: str
    customer_id: str
    program: str
    submitted_at: datetime
    reason: str
    missing: list[str] = []
