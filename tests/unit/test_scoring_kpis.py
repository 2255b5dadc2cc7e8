"""KPI arithmetic and the reporting period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.scoring.domain.kpis import BadPeriod, nps, period

UTC = timezone.utc


def test_nps_is_percent_promoters_minus_percent_detractors():
    assert nps(promoters=5, detractors=2, count=10) == pytest.approx(30.0)
    assert nps(promoters=0, detractors=4, count=4) == -100.0
    assert nps(0, 0, 0) is None


def test_a_date_covers_its_whole_day_and_from_is_inclusive():
    p = period("2026-11-01", "2026-11-20")
    assert p.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 21, tzinfo=UTC)


def test_datetimes_are_inclusive_and_naive_means_utc():
    p = period("2026-11-01T10:00:00", "2026-11-01T12:00:00+01:00")
    assert p.start == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 1, 11, tzinfo=UTC) + timedelta(microseconds=1)
    assert period("2026-11-01T10:00:00Z", None).start == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_open_sides():
    assert period(None, None).start is None and period(None, None).end is None


@pytest.mark.parametrize("start, end, field", [
    ("yesterday", None, "from"), (None, "2026-13-01", "to"), ("2026-11-02", "2026-11-01", "to")])
def test_bad_values_name_the_parameter(start, end, field):
    with pytest.raises(BadPeriod) as err:
        period(start, end)
    assert err.value.field == field
