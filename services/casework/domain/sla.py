"""Service levels per programme: how soon the first contact, how soon the close.

Due times are computed once, when the case opens, and stored on the case: changing a
programme's SLA applies to the cases opened afterwards (the promise made to a customer
does not move under them). The listing computes breaches in SQL with the same rule as
`breaches` below (see queries.overdue_conditions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.casework.domain.case import WORKING, Breach, Status

DEFAULT_FIRST_CONTACT_HOURS = 48
DEFAULT_CLOSE_DAYS = 14


@dataclass(frozen=True)
class Sla:
    first_contact_hours: int = DEFAULT_FIRST_CONTACT_HOURS
    close_days: int = DEFAULT_CLOSE_DAYS

    def __post_init__(self) -> None:
        if self.first_contact_hours < 0 or self.close_days < 0:
            raise ValueError("SLA durations cannot be negative")

    def first_contact_due(self, opened_at: datetime) -> datetime:
        return opened_at + timedelta(hours=self.first_contact_hours)

    def close_due(self, opened_at: datetime) -> datetime:
        return opened_at + timedelta(days=self.close_days)


def breaches(status: Status, first_contact_due: datetime, close_due: datetime, now: datetime) -> list[Breach]:
    """The SLAs a case in `status` has broken at `now`.

    First contact: the case is still `open` (nobody reached the customer) at its due time.
    Close: the case is still being worked at its due time. Closed, control and unreachable
    cases are not in breach: there is nothing the contact center can do on time for them.
    """
    out = []
    if status is Status.OPEN and first_contact_due <= now:
        out.append(Breach.FIRST_CONTACT)
    if status in WORKING and close_due <= now:
        out.append(Breach.CLOSE)
    return out
