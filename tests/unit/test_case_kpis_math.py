"""Continuous percentiles from ranks (SQLite's path), checked against the textbook definition."""

from __future__ import annotations

import statistics

import pytest

from services.casework.domain.kpis import Ranks, interpolate, ranks, share


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    at = ranks(len(ordered), fraction)
    return interpolate(at, ordered[at.lower : at.lower + at.needed])


def test_ranks_by_hand():
    assert ranks(0, 0.5) is None
    assert ranks(1, 0.9) == Ranks(0, 0.0)
    assert ranks(4, 0.5) == Ranks(1, 0.5)  # between the 2nd and 3rd value
    assert ranks(5, 0.5) == Ranks(2, 0.0)  # exactly the 3rd: one value needed
    assert ranks(11, 0.9) == Ranks(9, 0.0)
    at = ranks(10, 0.9)  # (10 - 1) × 0.9 = 8.1
    assert at.lower == 8 and at.weight == pytest.approx(0.1) and at.needed == 2
    with pytest.raises(ValueError):
        ranks(3, 1.5)


def test_matches_percentile_cont():
    hours = [1.0, 2.0, 4.0, 8.0, 30.0, 3.0, 50.0]
    assert percentile(hours, 0.5) == statistics.median(hours) == 4.0
    # percentile_cont(0.9) over 7 values: position 5.4 between 30 and 50 -> 30 + 0.4 × 20
    assert percentile(hours, 0.9) == pytest.approx(38.0)
    assert percentile([5.0, 1.0], 0.5) == 3.0
    # statistics' "inclusive" quantiles are the same linear interpolation
    assert percentile(hours, 0.9) == pytest.approx(statistics.quantiles(hours, n=10, method="inclusive")[8])


def test_share_of_nothing_is_unknown_not_zero():
    assert share(3, 4) == 0.75 and share(0, 4) == 0.0 and share(0, 0) is None
