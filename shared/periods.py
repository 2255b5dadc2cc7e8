"""Date and datetime query parameters, parsed in one place for every service.

`from` inclusive; `to` inclusive, a bare date meaning its whole day (the KPIs); naive times mean
UTC. A value that does not parse is a 422 naming the parameter. A value at the calendar's edge
(`to=9999-12-31`, whose day ends past the last instant Python represents, or
`from=0001-01-01T00:00:00+01:00`, whose UTC instant is in year 0) is not an error: it is held at
the first or last representable instant, which means the same, never overflowing into a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.errors import InvalidInput

UTC = UTC
FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)
_LONGEST = 64  # an ISO datetime with microseconds and an offset is 32 characters


@dataclass(frozen=True)
class Period:
    """Half-open [start, end); either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def instant(field: str, raw: str) -> tuple[datetime, bool]:
    """A query value as an aware UTC instant, and whether it was a whole day (a date without time).

    Instants beyond what UTC can represent are held at FIRST or LAST; InvalidInput names `field`
    when the value is not an ISO date or datetime.
    """
    try:
        if len(raw) > _LONGEST:
            raise ValueError
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), UTC), True
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise _bad(
            field, f"'{raw[:_LONGEST]}' is not an ISO date (2026-11-20) or datetime (2026-11-20T10:00:00Z)"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), False
    try:
        return value.astimezone(UTC), False
    except OverflowError:  # e.g. year 1 at +01:00, or 9999-12-31T23:00-05:00
        return (FIRST if value.year == 1 else LAST), False


def _plus(moment: datetime, delta: timedelta) -> datetime:
    try:
        return moment + delta
    except OverflowError:
        return LAST


def period(start: str | None, end: str | None, *, start_field: str = "from", end_field: str = "to") -> Period:
    """The period named by `from`/`to` (both inclusive), or InvalidInput naming the field at fault."""
    lo = instant(start_field, start)[0] if start else None
    hi = None
    if end:
        moment, whole_day = instant(end_field, end)
        hi = _plus(moment, timedelta(days=1) if whole_day else timedelta(microseconds=1))
    if lo and hi and hi <= lo:
        raise _bad(end_field, f"'{end_field}' is before '{start_field}'")
    return Period(lo, hi)


def since(field: str, raw: str | None) -> datetime | None:
    """An inclusive lower bound as given (a date: its midnight UTC); None when not given."""
    return instant(field, raw)[0] if raw else None


def before(field: str, raw: str | None) -> datetime | None:
    """An exclusive upper bound as given (a date: its midnight UTC); None when not given."""
    return instant(field, raw)[0] if raw else None
