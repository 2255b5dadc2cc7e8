"""Survey periods: the calendar unit in which a customer gets at most one invitation per programme.

Keys are what the unique key (programme, customer, period) stores: `2026-11` (monthly),
`2026-W47` (ISO week, Monday to Sunday) and `2026-Q4` (quarterly). A period is a run of local
calendar dates; which one a customer is in is decided on the customer's own calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True, slots=True)
class Period:
    """Dates [start, end) of one cadence period."""

    cadence: Cadence
    key: str
    start: date
    end: date  # exclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=i) for i in range(self.days))

    def next(self) -> Period:
        return period_of(self.cadence, self.end)

    def previous(self) -> Period:
        return period_of(self.cadence, self.start - timedelta(days=1))


@lru_cache(maxsize=4096)
def period_of(cadence: Cadence | str, day: date) -> Period:
    """The period of `cadence` that contains the date `day`."""
    cadence = Cadence(cadence)
    if cadence is Cadence.WEEKLY:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(cadence, f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if cadence is Cadence.MONTHLY:
        start = day.replace(day=1)
        return Period(cadence, f"{day.year}-{day.month:02d}", start, _add_months(start, 1))
    quarter = (day.month - 1) // 3
    start = date(day.year, quarter * 3 + 1, 1)
    return Period(cadence, f"{day.year}-Q{quarter + 1}", start, _add_months(start, 3))


_KEY = {
    Cadence.WEEKLY: re.compile(r"^(\d{4})-W(\d{2})$"),
    Cadence.MONTHLY: re.compile(r"^(\d{4})-(\d{2})$"),
    Cadence.QUARTERLY: re.compile(r"^(\d{4})-Q(\d)$"),
}
_EXAMPLE = {Cadence.WEEKLY: "2026-W47", Cadence.MONTHLY: "2026-11", Cadence.QUARTERLY: "2026-Q4"}


def parse_period(cadence: Cadence | str, key: str) -> Period:
    """The period named `key`, or ValueError saying the form `cadence` expects."""
    cadence = Cadence(cadence)
    match = _KEY[cadence].match(key.strip()) if isinstance(key, str) and len(key) <= 16 else None
    try:
        if match is None:
            raise ValueError
        year, number = int(match[1]), int(match[2])
        if not 1900 <= year <= 2100:
            raise ValueError
        if cadence is Cadence.WEEKLY:
            day = date.fromisocalendar(year, number, 1)
        elif cadence is Cadence.MONTHLY:
            day = date(year, number, 1)
        else:
            if not 1 <= number <= 4:
                raise ValueError
            day = date(year, number * 3 - 2, 1)
    except ValueError:
        raise ValueError(f"'{str(key)[:20]}' is not a {cadence} period (e.g. '{_EXAMPLE[cadence]}')") from None
    return period_of(cadence, day)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
