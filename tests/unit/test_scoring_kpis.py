"""KPI arithmetic (NPS, BAI, shares, consistency, tallies and the report) and the reporting period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import InvalidInput
from shared.periods import period
from services.scoring.domain.kpis import Asked, Tally, bai, consistency, nps, point, report, share, total

UTC = UTC


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


@pytest.mark.parametrize(
    "start, end, field", [("yesterday", None, "from"), (None, "2026-13-01", "to"), ("2026-11-02", "2026-11-01", "to")]
)
def test_bad_values_name_the_parameter(start, end, field):
    with pytest.raises(InvalidInput) as err:
        period(start, end)
    assert [e["field"] for e in err.value.errors] == [field]


# --- BAI, shares, consistency ---------------------------------------------------------------


def test_bai_is_percent_wow_minus_percent_nunca_mas_over_scored_responses():
    assert bai(defenders=30, critics=10, count=100) == pytest.approx(20.0)
    assert bai(defenders=0, critics=5, count=5) == -100.0
    assert bai(0, 0, 0) is None


def test_shares_are_fractions_of_the_whole():
    assert share(1, 4) == 0.25 and share(0, 3) == 0.0
    assert share(0, 0) is None


@pytest.mark.parametrize(
    "means, expected",
    [
        ([5.0, 5.0, 5.0], 1.0),  # the same everywhere
        ([1.0, 10.0], 0.0),  # as split as the scale allows: σ = 4.5
        ([6.0, 8.0], 1 - 1 / 4.5),  # σ = 1
        ([4.0, 6.0, 8.0], 1 - (8 / 3) ** 0.5 / 4.5),  # σ² = (4 + 0 + 4) / 3
        ([2.0, 9.0, 9.0, 9.0], 1 - (147 / 16) ** 0.5 / 4.5),  # mean 7.25; σ² = (27.5625 + 3 × 3.0625) / 4
    ],
)
def test_consistency_is_one_minus_the_touchpoints_spread_over_its_largest_possible(means, expected):
    assert consistency(means) == pytest.approx(expected)


def test_consistency_needs_two_touchpoints():
    assert consistency([7.0]) is None and consistency([]) is None


# --- tallies and the report -------------------------------------------------------------------


def tally(scored: int, iec_sum: float, **kw) -> Tally:
    return Tally(scored=scored, iec_sum=iec_sum, **kw)


def test_tallies_of_disjoint_groups_add_up():
    a = Tally(
        scored=2,
        not_scored=1,
        iec_sum=12.0,
        iec_min=4.0,
        iec_max=8.0,
        segments=(1, 0, 1, 0),
        distribution=(0, 0, 0, 1, 0, 0, 0, 1, 0, 0),
        promoters=0,
        passives=1,
        detractors=2,
        ces_count=1,
        ces_sum=3.0,
        csat_count=2,
        csat_sum=9.0,
        csat_satisfied=2,
    )
    b = Tally(
        scored=1,
        iec_sum=10.0,
        iec_min=10.0,
        iec_max=10.0,
        segments=(0, 0, 0, 1),
        distribution=(0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        promoters=1,
    )
    both = a + b
    assert (both.scored, both.not_scored, both.iec_sum, both.iec_min, both.iec_max) == (3, 1, 22.0, 4.0, 10.0)
    assert both.segments == (1, 0, 1, 1) and both.distribution == (0, 0, 0, 1, 0, 0, 0, 1, 0, 1)
    assert (both.promoters, both.passives, both.detractors) == (1, 1, 2)
    assert (both.ces_count, both.csat_count, both.csat_satisfied) == (1, 2, 2)
    assert both.iec_mean == pytest.approx(22 / 3)
    assert total([]) == Tally() and Tally().iec_mean is None and (Tally() + a) == a


def test_the_report_of_a_population():
    t = Tally(
        scored=4,
        not_scored=1,
        iec_sum=24.0,
        iec_min=2.0,
        iec_max=9.5,
        segments=(1, 1, 1, 1),
        distribution=(0, 1, 0, 0, 0, 1, 0, 1, 1, 0),
        promoters=1,
        passives=1,
        detractors=3,
        csat_count=2,
        csat_sum=7.0,
        csat_satisfied=1,
    )
    touchpoints = {"web": tally(2, 10.0), "sales": tally(1, 9.0), "email": Tally(not_scored=1)}
    r = report(t, touchpoints, Asked(ces=False, csat=True))
    assert (r["count"], r["not_scored"], r["iec"]["mean"]) == (4, 1, 6.0)
    assert r["iec"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0, "6": 1, "7": 0, "8": 1, "9": 1, "10": 0}
    assert r["segments"] == {"nunca_mas": 1, "funcional": 1, "pasivo": 1, "wow": 1}
    assert r["segment_shares"] == {"nunca_mas": 0.25, "funcional": 0.25, "pasivo": 0.25, "wow": 0.25}
    assert r["nps"] == {"score": -40.0, "promoters": 1, "passives": 1, "detractors": 3, "count": 5}
    assert r["bai"] == {"score": 0.0, "defenders": 1, "critics": 1, "count": 4}
    assert r["ces"] is None
    assert r["csat"] == {
        "mean": 3.5,
        "count": 2,
        "satisfied": 1,
        "satisfied_share": 0.5,
        "scale": {"min": 1.0, "max": 5.0},
    }
    assert r["touchpoints"] == [
        {"touchpoint": "email", "count": 0, "iec_mean": None},
        {"touchpoint": "sales", "count": 1, "iec_mean": 9.0},
        {"touchpoint": "web", "count": 2, "iec_mean": 5.0},
    ]
    # email has no scored response: the other two are compared, σ = 2
    assert r["consistency"]["score"] == pytest.approx(1 - 2 / 4.5) and r["consistency"]["compared"] == 2


def test_an_empty_population_reports_no_figures():
    r = report(Tally(), {}, Asked(ces=True))
    assert r["count"] == 0 and r["iec"]["mean"] is None and r["nps"]["score"] is None and r["bai"]["score"] is None
    assert set(r["segment_shares"].values()) == {None}
    assert r["ces"] == {"mean": None, "count": 0, "scale": {"min": 1.0, "max": 7.0}} and r["csat"] is None
    assert r["touchpoints"] == [] and r["consistency"]["score"] is None


def test_a_series_point_adds_up_its_touchpoints_and_the_responses_without_one():
    at = datetime(2026, 3, 1, tzinfo=UTC)
    p = point(
        at,
        {
            "web": tally(1, 4.0, segments=(1, 0, 0, 0)),
            None: tally(1, 8.0, segments=(0, 0, 1, 0)),
            "chat": tally(1, 9.0, segments=(0, 0, 0, 1)),
        },
        Asked(),
    )
    assert (p["start"], p["count"], p["iec_mean"]) == (at, 3, pytest.approx(7.0))
    assert p["segments"] == {"nunca_mas": 1, "funcional": 0, "pasivo": 1, "wow": 1}
    assert p["bai"]["score"] == pytest.approx(0.0) and p["ces"] is None and p["csat"] is None
    assert p["consistency"] == {"score": pytest.approx(1 - 2.5 / 4.5), "compared": 2}
