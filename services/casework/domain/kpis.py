"""Case KPI arithmetic. No I/O: the database counts and orders, this only combines.

Percentiles are continuous (linear interpolation between the two nearest ranks), as
PostgreSQL's `percentile_cont`: where the database has no such function the values at the
two ranks are fetched with ORDER BY ... OFFSET and combined here, so both engines agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PERCENTILES = (0.5, 0.9)
TOP_CAUSES = 10
TOP_OWNERS = 50
UNASSIGNED = "(unassigned)"


@dataclass(frozen=True)
class Ranks:
    """Where a continuous percentile lies among n ordered values: between `lower` and `lower + 1`."""

    lower: int
    weight: float  # of the upper value

    @property
    def needed(self) -> int:
        """How many values from `lower` on take part (1 when it falls exactly on a rank)."""
        return 2 if self.weight > 0 else 1


def ranks(n: int, fraction: float) -> Ranks | None:
    """The 0-based ranks of the `fraction` percentile of n values; None when there are none."""
    if not 0 <= fraction <= 1:
        raise ValueError("a percentile is a fraction between 0 and 1")
    if n <= 0:
        return None
    position = (n - 1) * fraction
    lower = math.floor(position)
    return Ranks(lower, position - lower)


def interpolate(at: Ranks, values: list[float]) -> float:
    """The percentile from the values at ranks `lower` (and `lower + 1`)."""
    if at.weight == 0:
        return values[0]
    return values[0] + at.weight * (values[1] - values[0])


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by (not 0: "no data" is not "none met")."""
    return part / whole if whole else None
