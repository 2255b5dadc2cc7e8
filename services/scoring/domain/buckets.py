"""The buckets of a KPI time series: UTC calendar days, ISO weeks (from Monday) and months. No I/O.

The database groups responses by the start of their bucket (services/scoring/kpis.py builds that
expression per dialect, with the same rules as `bucket_start` here); this module names the
buckets a series covers, so that quiet ones show as zero instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, timezone

from shared.periods import Period


class Bucket:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    ALL = (DAY, WEEK, MONTH)


# A day series over a year is 366 buckets; far more than that is a request to narrow, not to answer.
MAX_BUCKETS = 1000


class BadBucket(ValueError):
    field = "bucket"


def bucket(raw: str) -> str:
    """A `bucket` query value, or BadBucket."""
    if raw not in Bucket.ALL:
        raise BadBucket(f"'{raw}' is not one of {', '.join(Bucket.ALL)}")
    return raw


def bucket_start(moment: datetime, width: str) -> datetime:
    """The start (UTC midnight) of the bucket holding `moment`."""
    day = moment.astimezone(timezone.utc).date()
    if width == Bucket.WEEK:
        day -= timedelta(days=day.weekday())
    elif width == Bucket.MONTH:
        day = day.replace(day=1)
    return datetime.combine(day, time(), timezone.utc)


def next_bucket(start: datetime, width: str) -> datetime:
    if width == Bucket.DAY:
        return start + timedelta(days=1)
    if width == Bucket.WEEK:
        return start + timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def bucket_starts(first: datetime, last: datetime, width: str) -> list[datetime]:
    """Every bucket start from `first`'s bucket to `last`'s; BadBucket past MAX_BUCKETS."""
    out, at, end = [], bucket_start(first, width), bucket_start(last, width)
    while at <= end:
        if len(out) == MAX_BUCKETS:
            raise BadBucket(f"more than {MAX_BUCKETS} {width} buckets: narrow 'from'/'to' or use a wider bucket")
        out.append(at)
        at = next_bucket(at, width)
    return out


def series_span(found: Iterable[datetime], span: Period) -> tuple[datetime, datetime] | None:
    """The first and last moments a series covers: the period's ends where given, else the
    first and last buckets holding responses; None when an open end has nothing to reach.

    The first and last buckets may stick out of the period: they count only what lies inside it.
    """
    found = list(found)
    first = span.start if span.start is not None else min(found, default=None)
    last = span.end - timedelta(microseconds=1) if span.end is not None else max(found, default=None)
    if first is None or last is None:
        return None
    return first, last
