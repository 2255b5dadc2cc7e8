from __future__ import annotations

from datetime import datetime

from shared.events import EventData


class CaseEvent(EventData):
    """Payload of `lazo.case.opened|transitioned|overdue|closed` on `lazo.cases.v1`."""

    case_id: str
    customer_id: str
    program: str
    status: str
    previous_status: str | None = None
    owner: str | None = None
    cause: str | None = None
    note: str | None = None
    by: str | None = None
    at: datetime
    alert_id: str | None = None
    current_feeling: float | None = None
    overdue: str | None = None  # "first_contact" | "close" for lazo.case.overdue
    # Added compatibly: the follow-up survey response that confirmed a case (closed via survey).
    response_id: str | None = None
