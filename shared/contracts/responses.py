from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events import EventData


class Customer(EventData):
    id: str
    email: str | None = None
    name: str | None = None
    attributes: dict[str, Any] = {}


class ResponseReceived(EventData):
    """`lazo.response.received`: one canonical survey response, as accepted by ingest."""

    response_id: str
    program: str = "default"
    customer: Customer
    submitted_at: datetime
    received_at: datetime
    touchpoint: str | None = None
    answers: dict[str, float]
    comment: str | None = None
    case_id: str | None = None
    source: str | None = None
