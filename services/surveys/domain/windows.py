"""A local sending window on a local date, as the UTC instants it covers — right across DST changes.

"09:00–18:00 on 2026-03-29 in Europe/Madrid" is the set of instants whose wall-clock time there is
on that date and inside [09:00, 18:00). On most days that is one interval. On a day the clocks
change it is computed from the offsets actually in force, so that:
- a window start that does not exist (the clocks jump over it) begins at the jump;
- a window start that exists twice (the clocks go back) is covered once per occurrence, and
  every instant returned still reads as inside the window on the customer's clock;
- a window that falls wholly inside a jump is empty that day.

Zone transitions are found by probing offsets hourly around the date (a change is then located
to the second); results are cached per (zone, date, window), so planning a million contacts costs
a dictionary lookup per contact, not a probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = UTC
Interval = tuple[datetime, datetime]  # aware UTC, [start, end)

# Offsets on Earth lie within −12h…+14h: a local date's instants lie within these bounds in UTC.
_BEFORE = timedelta(hours=15)
_AFTER = timedelta(hours=13)
_PROBE = timedelta(hours=1)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def _transition(zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first instant in (lo, hi] whose offset differs from lo's (one change between them)."""
    before = _offset(zone, lo)
    low, high = 0, int((hi - lo).total_seconds())
    while high - low > 1:
        mid = (low + high) // 2
        if _offset(zone, lo + timedelta(seconds=mid)) == before:
            low = mid
        else:
            high = mid
    return lo + timedelta(seconds=high)


def _segments(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """[lo, hi) cut where the zone's offset changes: (start, end, offset) pieces."""
    pieces, start, offset = [], lo, _offset(zone, lo)
    probe = lo
    while probe < hi:
        nxt = min(probe + _PROBE, hi)
        if _offset(zone, nxt) != offset:
            change = _transition(zone, probe, nxt)
            pieces.append((start, change, offset))
            start, offset = change, _offset(zone, change)
        probe = nxt
    pieces.append((start, hi, offset))
    return pieces


@dataclass(frozen=True, slots=True)
class Window:
    """One local date's sending window: the UTC intervals it covers and their real length."""

    intervals: tuple[Interval, ...]
    seconds: int

    def moment(self, fraction: float) -> datetime | None:
        """The instant `fraction` (0 ≤ f < 1) of the way through the window's real time; None if empty."""
        if self.seconds <= 0:
            return None
        position = min(int(fraction * self.seconds), self.seconds - 1)
        for lo, hi in self.intervals:
            length = int((hi - lo).total_seconds())
            if position < length:
                return lo + timedelta(seconds=position)
            position -= length
        return None  # unreachable: position < seconds

    def __contains__(self, instant: datetime) -> bool:
        return any(lo <= instant < hi for lo, hi in self.intervals)


@lru_cache(maxsize=1 << 16)
def local_window(zone_name: str, day: date, start: time, end: time) -> Window:
    """The instants at which the wall clock of `zone_name` reads `day`, start ≤ t < end."""
    zone = ZoneInfo(zone_name)
    wall_start, wall_end = datetime.combine(day, start), datetime.combine(day, end)
    midnight = datetime.combine(day, time()).replace(tzinfo=UTC)
    out = []
    for seg_start, seg_end, offset in _segments(zone, midnight - _BEFORE, midnight + timedelta(days=1) + _AFTER):
        # Within a piece the wall clock is UTC + offset, a straight line: intersect.
        lo = max(seg_start, (wall_start - offset).replace(tzinfo=UTC))
        hi = min(seg_end, (wall_end - offset).replace(tzinfo=UTC))
        if lo < hi:
            out.append((lo, hi))
    return Window(tuple(out), sum(int((hi - lo).total_seconds()) for lo, hi in out))


@lru_cache(maxsize=4096)
def local_date(zone_name: str, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(zone_name)).date()
