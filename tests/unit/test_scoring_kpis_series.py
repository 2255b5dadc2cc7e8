"""The buckets of a KPI time series: UTC days, ISO weeks from Monday, months; quiet ones included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.periods import Period
from services.scoring.domain.buckets import (
    MAX_BUCKETS,
    BadBucket,
    Bucket,
    bucket,
    bucket_start,
    bucket_starts,
    next_bucket,
    series_span,
)

UTC = UTC
MADRID = timezone(timedelta(hours=2))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment, width, start",
    [
        (at(2026, 3, 4, 15, 30), Bucket.DAY, at(2026, 3, 4)),
        (at(2026, 3, 4, 15, 30), Bucket.WEEK, at(2026, 3, 2)),  # a Wednesday: its Monday
        (at(2026, 3, 2), Bucket.WEEK, at(2026, 3, 2)),  # a Monday starts its own week
        (at(2026, 3, 1, 23, 59), Bucket.WEEK, at(2026, 2, 23)),  # a Sunday closes the week before
        (at(2026, 3, 31, 23, 59), Bucket.MONTH, at(2026, 3, 1)),
        # Buckets are UTC: 00:30 in Madrid on 1 March is still February.
        (datetime(2026, 3, 1, 0, 30, tzinfo=MADRID), Bucket.DAY, at(2026, 2, 28)),
        (datetime(2026, 3, 1, 0, 30, tzinfo=MADRID), Bucket.MONTH, at(2026, 2, 1)),
    ],
)
def test_the_bucket_of_a_moment(moment, width, start):
    assert bucket_start(moment, width) == start


def test_the_next_bucket():
    assert next_bucket(at(2026, 2, 28), Bucket.DAY) == at(2026, 3, 1)
    assert next_bucket(at(2026, 12, 28), Bucket.WEEK) == at(2027, 1, 4)
    assert next_bucket(at(2026, 11, 1), Bucket.MONTH) == at(2026, 12, 1)
    assert next_bucket(at(2026, 12, 1), Bucket.MONTH) == at(2027, 1, 1)


def test_every_bucket_between_two_moments_is_listed():
    assert bucket_starts(at(2026, 11, 20), at(2027, 2, 3), Bucket.MONTH) == [
        at(2026, 11, 1),
        at(2026, 12, 1),
        at(2027, 1, 1),
        at(2027, 2, 1),
    ]
    assert bucket_starts(at(2026, 3, 1, 12), at(2026, 3, 3), Bucket.DAY) == [at(2026, 3, d) for d in (1, 2, 3)]
    assert bucket_starts(at(2026, 3, 5), at(2026, 3, 5), Bucket.WEEK) == [at(2026, 3, 2)]


def test_too_many_buckets_is_refused_naming_the_bucket():
    first = at(2020, 1, 1)
    assert len(bucket_starts(first, first + timedelta(days=MAX_BUCKETS - 1), Bucket.DAY)) == MAX_BUCKETS
    with pytest.raises(BadBucket) as err:
        bucket_starts(first, first + timedelta(days=MAX_BUCKETS), Bucket.DAY)
    assert err.value.field == "bucket"


def test_a_series_spans_the_period_or_else_the_buckets_found():
    found = [at(2026, 3, 1), at(2026, 5, 1)]
    assert series_span(found, Period()) == (at(2026, 3, 1), at(2026, 5, 1))
    # `to` is exclusive in a Period: the series ends on the instant before it.
    assert series_span(found, Period(at(2026, 1, 15), at(2026, 7, 1))) == (
        at(2026, 1, 15),
        at(2026, 7, 1) - timedelta(microseconds=1),
    )
    assert series_span(found, Period(start=at(2026, 1, 15))) == (at(2026, 1, 15), at(2026, 5, 1))
    assert series_span([], Period(start=at(2026, 1, 15))) is None
    assert series_span([], Period(at(2026, 1, 1), at(2026, 2, 1))) == (
        at(2026, 1, 1),
        at(2026, 2, 1) - timedelta(microseconds=1),
    )


def test_a_bucket_width_is_day_week_or_month():
    assert [bucket(b) for b in ("day", "week", "month")] == ["day", "week", "month"]
    with pytest.raises(BadBucket) as err:
        bucket("hour")
    assert err.value.field == "bucket" and "day, week, month" in str(err.value)
