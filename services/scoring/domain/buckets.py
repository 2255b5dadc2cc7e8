"""The buckets of a KPI time series: UTC calendar days, ISO weeks (from Monday) and months. No I/O.

The database groups responses by the start of their bucket (services/scoring/kpis.py builds that
expression per dialect, with the same rules as `bucket_start` here); this module names the
buckets a series covers, so that quiet ones show as zero instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.periods import Period


class Bucket:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    ALL = (DAY, WEEK, MONTH)


# A day series over a year is 366 buckets; far more than that is a request to narrow, not to answer.
MAX_BUCKETS = 1000
# A series whose `from` is left open starts at its first bucket holding responses, but shows at most
# its newest this many buckets: one odd date in the history cannot make every open series too long.
DEFAULT_BUCKETS = {"day": 366, "week": 260, "month": 120}


class BadBucket(ValueError):
    field = "bucket"


def bucket(raw: str) -> str:
    """A `bucket` query value, or BadBucket."""
    if raw not in Bucket.ALL:
        raise BadBucket(f"'{raw}' is not one of {', '.join(Bucket.ALL)}")
    return raw


_FIRST = datetime.min.replace(tzinfo=UTC)


def bucket_start(moment: datetime, width: str) -> datetime:
    """The start (UTC midnight) of the bucket holding `moment`."""
    day = moment.astimezone(UTC).date()
    if width == Bucket.WEEK:
        day -= timedelta(days=day.weekday())
    elif width == Bucket.MONTH:
        day = day.replace(day=1)
    return datetime.combine(day, time(), UTC)


def next_bucket(start: datetime, width: str) -> datetime:
    if width == Bucket.DAY:
        return start + timedelta(days=1)
    if width == Bucket.WEEK:
        return start + timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def buckets_back(start: datetime, width: str, count: int) -> datetime:
    """The start of the bucket `count` buckets before the one starting at `start` (held at year 1)."""
    if width == Bucket.MONTH:
        months = start.year * 12 + start.month - 1 - count
        return start.replace(year=months // 12, month=months % 12 + 1) if months >= 12 else _FIRST
    try:
        return start - timedelta(days=count * (7 if width == Bucket.WEEK else 1))
    except OverflowError:
        return _FIRST


def bucket_starts(first: datetime, last: datetime, width: str) -> list[datetime]:
    """Every bucket start from `first`'s bucket to `last`'s; BadBucket past MAX_BUCKETS."""
    out, at, end = [], bucket_start(first, width), bucket_start(last, width)
    while at <= end:
        if len(out) == MAX_BUCKETS:
            raise BadBucket(f"more than {MAX_BUCKETS} {width} buckets: narrow 'from'/'to' or use a wider bucket")
        out.append(at)
        try:
            at = next_bucket(at, width)
        except (OverflowError, ValueError):  # the calendar's last bucket
            break
    return out


def series_span(
    found: Iterable[datetime], span: Period, *, width: str | None = None, latest: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """The first and last moments a series covers: the period's ends where given, else the
    first and last buckets holding responses; None when an open end has nothing to reach.

    With `width`, an open `from` reaches back at most DEFAULT_BUCKETS[width] buckets from the
    series' last one; with `latest`, an open `to` ignores buckets starting after it (responses
    dated ahead of the window ingest accepts, stored before it was enforced).
    The first and last buckets may stick out of the period: they count only what lies inside it.
    """
    found = list(found)
    if latest is not None and span.end is None:
        found = [at for at in found if at <= latest]
    first = span.start if span.start is not None else min(found, default=None)
    last = span.end - timedelta(microseconds=1) if span.end is not None else max(found, default=None)
    if first is None or last is None:
        return None
    if span.start is None and width is not None:
        first = max(first, buckets_back(bucket_start(last, width), width, DEFAULT_BUCKETS[width] - 1))
    return first, last


@dataclass(frozen=True)
class DaySplit:
    """A period cut where the kept day tallies can answer it: the whole UTC days from `first_day`
    (inclusive) to `end_day` (exclusive; None = open), and the partial days at its `edges`, which
    only the rows themselves can answer. `days` is False when no whole day is inside."""

    days: bool
    first_day: date | None
    end_day: date | None
    edges: tuple[Period, ...]


def split_by_days(period: Period) -> DaySplit:
    def midnight(moment: datetime) -> datetime:
        return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)

    first = start_edge = None
    if period.start is not None:
        first = midnight(period.start)
        if first != period.start:
            try:
                first += timedelta(days=1)
            except OverflowError:  # the calendar's last day: no whole day can follow
                return DaySplit(False, None, None, (period,))
            start_edge = Period(period.start, first)
    end = midnight(period.end) if period.end is not None else None
    if first is not None and end is not None and end <= first:
        return DaySplit(False, None, None, (period,))  # within one day, or two partial ones
    edges = [e for e in (start_edge, Period(end, period.end) if end is not None and end != period.end else None) if e]
    return DaySplit(True, first.date() if first else None, end.date() if end else None, tuple(edges))
