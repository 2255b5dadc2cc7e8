"""The control-group experiment: do treated customers renew more than held-out ones?

Pure arithmetic on counts (the database does the counting). The interval of a difference of
two proportions is Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for
the difference between independent proportions", method 10), built from the Wilson score
interval of each rate. Unlike the textbook Wald interval it stays inside [-1, 1], behaves with
rates near 0 or 1 (renewal rates of 90 % are the usual case) and keeps close to its nominal
95 % coverage with a few dozen customers per group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

# Below this many customers with an outcome in either group the verdict is "not enough data yet":
# the normal approximations behind the interval need a few dozen per group to be trusted.
MIN_PER_GROUP = 30


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def scaled(self, factor: float) -> Interval:
        return Interval(self.low * factor, self.high * factor)


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """Wilson's score interval for a proportion successes/n; None without observations."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    z2 = z * z
    centre = 2 * n * p + z2
    spread = z * math.sqrt(z2 + 4 * n * p * (1 - p))
    denominator = 2 * (n + z2)
    return Interval(max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator))


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval | None:
    """Newcombe's hybrid score interval for p1 - p2 (method 10); None when a group is empty."""
    w1, w2 = wilson(x1, n1, z), wilson(x2, n2, z)
    if w1 is None or w2 is None:
        return None
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return Interval(
        d - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2), d + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    )


@dataclass(frozen=True)
class Group:
    """One arm of the experiment: customers with an outcome, how many renewed, and revenue."""

    with_outcome: int
    renewed: int
    with_revenue: int = 0
    revenue_total: float = 0.0

    @property
    def rate(self) -> float | None:
        return self.renewed / self.with_outcome if self.with_outcome else None

    @property
    def interval(self) -> Interval | None:
        return wilson(self.renewed, self.with_outcome)

    @property
    def revenue_per_customer(self) -> float | None:
        """Mean revenue over the customers whose outcome gave one."""
        return self.revenue_total / self.with_revenue if self.with_revenue else None


class Conclusion(StrEnum):
    NOT_ENOUGH_DATA = "not_enough_data"
    TREATED_RENEW_MORE = "treated_renew_more"
    TREATED_RENEW_LESS = "treated_renew_less"
    NO_CLEAR_DIFFERENCE = "no_clear_difference"


@dataclass(frozen=True)
class Comparison:
    treated: Group
    control: Group
    minimum: int = MIN_PER_GROUP

    @property
    def difference(self) -> float | None:
        """Treated rate minus control rate, as a proportion (x100 for points)."""
        if self.treated.rate is None or self.control.rate is None:
            return None
        return self.treated.rate - self.control.rate

    @property
    def interval(self) -> Interval | None:
        return newcombe(
            self.treated.renewed, self.treated.with_outcome, self.control.renewed, self.control.with_outcome
        )

    @property
    def revenue_lift(self) -> float | None:
        """Relative difference of revenue per customer, treated over control (0.09 = +9 %)."""
        t, c = self.treated.revenue_per_customer, self.control.revenue_per_customer
        if t is None or not c:
            return None
        return t / c - 1

    @property
    def conclusion(self) -> Conclusion:
        if min(self.treated.with_outcome, self.control.with_outcome) < self.minimum:
            return Conclusion.NOT_ENOUGH_DATA
        ci = self.interval
        if ci.low > 0:
            return Conclusion.TREATED_RENEW_MORE
        if ci.high < 0:
            return Conclusion.TREATED_RENEW_LESS
        return Conclusion.NO_CLEAR_DIFFERENCE

    def verdict(self) -> str:
        """The result in plain words, as a customer-experience team would say it."""
        conclusion = self.conclusion
        if conclusion is Conclusion.NOT_ENOUGH_DATA:
            return (
                f"Not enough data yet: {self.treated.with_outcome} treated and {self.control.with_outcome} "
                f"control customers have a renewal outcome; at least {self.minimum} in each group are needed."
            )
        points, ci = 100 * self.difference, self.interval.scaled(100)
        span = f"95% CI {ci.low:+.1f} to {ci.high:+.1f} points"
        rates = (
            f"{100 * self.treated.rate:.1f}% of treated customers renewed against "
            f"{100 * self.control.rate:.1f}% of the control group"
        )
        if conclusion is Conclusion.TREATED_RENEW_MORE:
            return f"Treated customers renew {points:.1f} points more ({span}): {rates}."
        if conclusion is Conclusion.TREATED_RENEW_LESS:
            return f"Treated customers renew {-points:.1f} points less ({span}): {rates}."
        return f"No clear difference yet: {points:+.1f} points, and the {span} includes 0: {rates}."
