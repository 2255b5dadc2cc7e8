from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.events import EventData

PROGRAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class OutcomeRecorded(EventData):
    """`lazo.outcome.recorded` on `lazo.outcomes.v1`: whether a customer renewed, as a CRM knows it.

    Key and `subject` are the customer id. Casework's `POST /v1/outcomes` produces it; a CRM may
    also produce it directly. One outcome per customer, programme and date: a later event for the
    same three replaces the earlier one (a correction); the newest date is the customer's outcome.
    """

    customer_id: str = Field(min_length=1, max_length=200)
    program: str = Field("default", min_length=1, max_length=64, pattern=PROGRAM_PATTERN)
    renewed: bool
    date: dt.date = Field(description="the day the customer renewed or let the contract lapse")
    revenue: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="what the customer brought in with this renewal (0 if lapsed)"
    )
