"""KPI arithmetic and the reporting period. No I/O: the counting itself is done by SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


def nps(promoters: int, detractors: int, count: int) -> float | None:
    """NPS = %promoters − %detractors, on −100..100; None without any answer."""
    if not count:
        return None
    return 100.0 * (promoters - detractors) / count


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) on submitted_at; either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


class BadPeriod(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _parse(field: str, raw: str) -> tuple[datetime, bool]:
    """A point in time, and whether it was a whole day (a date without time)."""
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), timezone.utc), True
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise BadPeriod(field, f"'{raw}' is not an ISO date (2026-11-20) or datetime (2026-11-20T10:00:00Z)")
    # Naive times mean UTC, as they do at ingest.
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)), False


def period(start: str | None, end: str | None) -> Period:
    """`from`/`to` query values: `from` is inclusive; `to` is inclusive, and a date means its whole day."""
    lo = _parse("from", start)[0] if start else None
    hi = None
    if end:
        hi, whole_day = _parse("to", end)
        hi = hi + (timedelta(days=1) if whole_day else timedelta(microseconds=1))
    if lo and hi and hi <= lo:
        raise BadPeriod("to", "'to' is before 'from'")
    return Period(lo, hi)
