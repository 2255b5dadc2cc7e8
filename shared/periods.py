"""The reporting period of the KPI endpoints: `from` and `to` query values.

Shared by scoring's and casework's KPIs: `from` inclusive; `to` inclusive, a bare date meaning its whole day; naive times mean UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from shared.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """Half-open [start, end); either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


def _parse(field: str, raw: str) -> tuple[datetime, bool]:
    """A point in time, and whether it was a whole day (a date without time)."""
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), timezone.utc), True
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise _bad(field, f"'{raw}' is not an ISO date (2026-11-20) or datetime (2026-11-20T10:00:00Z)") from None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)), False


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def period(start: str | None, end: str | None) -> Period:
    """The period named by `from`/`to`, or InvalidInput naming the field at fault."""
    lo = _parse("from", start)[0] if start else None
    hi = None
    if end:
        hi, whole_day = _parse("to", end)
        hi = hi + (timedelta(days=1) if whole_day else timedelta(microseconds=1))
    if lo and hi and hi <= lo:
        raise _bad("to", "'to' is before 'from'")
    return Period(lo, hi)
