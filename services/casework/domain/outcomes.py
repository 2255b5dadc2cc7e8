"""Renewal outcomes as the CRM reports them, and who counts as treated or control.

Definitions the experiment rests on (GET /v1/experiments/{program} documents them too):
- **Control**: a customer with a `control` case in the programme (held out by the alerts
  service: selected, and deliberately never contacted).
- **Treated**: a customer with a non-control case in the programme that was *worked*, i.e.
  reached at least `contacted` (someone spoke to the customer and recorded the cause; the
  case has a first contact). Cases still `open`, or parked `unreachable` without ever being
  reached, are not treatment: those customers are reported apart as `not_worked`.
- A customer on both sides (the programme's control share changed between two of their
  cases) is excluded from the comparison and counted as `excluded`.
- A customer's outcome is their latest one in the programme (the newest `date`).

Pure code: no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import ConfigDict, Field

from shared.contracts.outcomes import OutcomeRecorded
from shared.limits import CustomerId

_OUTCOME_IDS = uuid.UUID("0c7d3b0e-7d8f-4c61-b1a4-5e11e7a9b0c3")

# A CRM in a timezone ahead of UTC may already be on tomorrow's date; more than that is a mistake.
FUTURE_TOLERANCE = timedelta(days=1)


class OutcomeIn(OutcomeRecorded):
    """An outcome as a CRM reports it (`POST /v1/outcomes`, each item of a batch): the event's data,
    bounded as responses are (shared.limits): the customer id printable and at most 200
    characters, a finite revenue."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"customer_id": "C-42", "program": "default", "renewed": True, "date": "2026-11-30", "revenue": 1200.0}
            ]
        }
    )

    customer_id: CustomerId
    revenue: float | None = Field(
        None,
        ge=0,
        le=1e15,
        allow_inf_nan=False,
        description="what the customer brought in with this renewal (0 if lapsed)",
    )


def outcome_event_id(outcome: OutcomeRecorded) -> str:
    """The event id of an outcome: the same report sent twice (a CRM's retry) is the same event.

    It covers the content too, so a corrected report (same customer, programme and date, other
    values) is a new event, and replaces the earlier row when casework stores it.
    """
    revenue = "" if outcome.revenue is None else repr(float(outcome.revenue))
    name = "\x1f".join(
        (outcome.program, outcome.customer_id, outcome.date.isoformat(), "1" if outcome.renewed else "0", revenue)
    )
    return str(uuid.uuid5(_OUTCOME_IDS, name))


def date_error(on: date, today: date, earliest: date | None = None) -> str | None:
    """Why an outcome's date cannot be taken, or None. Renewals are reported once they happened, and
    not before `earliest` (the same bound as responses' submission dates: older is a mistake)."""
    if on > today + FUTURE_TOLERANCE:
        return f"{on.isoformat()} is in the future; report an outcome once the customer renewed or lapsed"
    if earliest is not None and on < earliest:
        return f"{on.isoformat()} is before {earliest.isoformat()}, the earliest date accepted"
    return None


def latest_per_key(reports: Sequence[tuple[str, OutcomeRecorded]]) -> list[tuple[str, OutcomeRecorded]]:
    """(event id, outcome) reports, one per (programme, customer, date): the last to arrive (corrections win).

    A batch is stored with one multi-row upsert, which may touch each row only once.
    """
    last: dict[tuple[str, str, date], tuple[str, OutcomeRecorded]] = {}
    for event_id, o in reports:
        key = (o.program, o.customer_id, o.date)
        last.pop(key, None)  # re-inserted: keeps arrival order
        last[key] = (event_id, o)
    return list(last.values())
