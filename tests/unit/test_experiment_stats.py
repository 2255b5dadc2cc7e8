"""The experiment's statistics against published and hand-computed values."""

from __future__ import annotations

import pytest

from services.casework.domain.experiment import MIN_PER_GROUP, Comparison, Conclusion, Group, Interval, newcombe, wilson


def approx(interval: Interval | None, low: float, high: float, abs: float = 5e-5) -> bool:
    return (
        interval is not None
        and interval.low == pytest.approx(low, abs=abs)
        and interval.high == pytest.approx(high, abs=abs)
    )


def test_wilson_by_hand():
    # 8/10, z = 1.96: p = 0.8, z² = 3.8416; (2np + z² ∓ z·√(z² + 4np(1-p))) / 2(n + z²)
    # = (19.8416 ∓ 1.96·√10.2416) / 27.6832 = (19.8416 ∓ 6.27249) / 27.6832
    assert approx(wilson(8, 10, z=1.96), 13.56911 / 27.6832, 26.11409 / 27.6832, abs=1e-5)
    assert approx(wilson(8, 10), 0.4902, 0.9433)


@pytest.mark.parametrize(
    "x, n, low, high",
    [
        # Newcombe (1998a), Statistics in Medicine 17:857, Table I, method 3 (score, no correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(x, n, low, high):
    assert approx(wilson(x, n), low, high)


@pytest.mark.parametrize(
    "x1, n1, x2, n2, low, high",
    [
        # Newcombe (1998b), Statistics in Medicine 17:873, Table II, method 10 (hybrid score)
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0),
        (10, 10, 0, 10, 0.6075, 1.0),
    ],
)
def test_newcombe_hybrid_score_matches_the_paper(x1, n1, x2, n2, low, high):
    assert approx(newcombe(x1, n1, x2, n2), low, high)


def test_no_interval_without_observations():
    assert wilson(0, 0) is None and newcombe(3, 4, 0, 0) is None
    with pytest.raises(ValueError):
        wilson(5, 4)


def seed(treated_n: int = 100, control_n: int = 100) -> Comparison:
    # The seed's result: 92% of treated customers renewed, 81% of the control group.
    return Comparison(
        Group(treated_n, round(0.92 * treated_n), 50, 50 * 1090.0),
        Group(control_n, round(0.81 * control_n), 40, 40 * 1000.0),
    )


def test_the_seeds_result_is_a_clear_difference():
    c = seed()
    assert c.treated.rate == 0.92 and c.control.rate == 0.81
    assert c.difference == pytest.approx(0.11)
    assert c.conclusion is Conclusion.TREATED_RENEW_MORE
    low, high = c.interval.low, c.interval.high
    assert 0 < low < 0.11 < high
    assert c.revenue_lift == pytest.approx(0.09)
    assert c.verdict() == (
        f"Treated customers renew 11.0 points more (95% CI {100 * low:+.1f} to {100 * high:+.1f} "
        "points): 92.0% of treated customers renewed against 81.0% of the control group."
    )


def test_below_the_minimum_there_is_no_verdict():
    c = seed(control_n=MIN_PER_GROUP - 1)
    assert c.conclusion is Conclusion.NOT_ENOUGH_DATA
    assert c.verdict().startswith(f"Not enough data yet: 100 treated and {MIN_PER_GROUP - 1} control customers")
    assert Comparison(Group(0, 0), Group(0, 0)).conclusion is Conclusion.NOT_ENOUGH_DATA


def test_an_interval_spanning_zero_is_no_clear_difference():
    c = Comparison(Group(40, 34), Group(40, 32))  # 85% vs 80%
    assert c.interval.contains(0)
    assert c.conclusion is Conclusion.NO_CLEAR_DIFFERENCE
    assert c.verdict().startswith("No clear difference yet: +5.0 points, and the 95% CI")


def test_treated_renewing_less_is_said_plainly():
    c = Comparison(Group(100, 70), Group(100, 90))
    assert c.conclusion is Conclusion.TREATED_RENEW_LESS
    assert c.verdict().startswith("Treated customers renew 20.0 points less")


def test_revenue_per_customer_only_where_given():
    g = Group(with_outcome=10, renewed=9, with_revenue=4, revenue_total=4000.0)
    assert g.revenue_per_customer == 1000.0
    assert Group(10, 9).revenue_per_customer is None
    assert Comparison(g, Group(10, 9)).revenue_lift is None
