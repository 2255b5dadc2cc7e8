"""KPI arithmetic and the reporting period. No I/O: the counting itself is done by SQL
(services/scoring/kpis.py); this module turns the few rows it returns into figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from services.scoring.domain.iec import IEC_MAX, IEC_MIN, Segment
from services.scoring.domain.measures import CES_SCALE, CSAT_SCALE


def nps(promoters: int, detractors: int, count: int) -> float | None:
    """NPS = %promoters − %detractors, on −100..100; None without any answer."""
    if not count:
        return None
    return 100.0 * (promoters - detractors) / count


def bai(defenders: int, critics: int, count: int) -> float | None:
    """BAI (brand advocacy index) = %defenders − %critics, on −100..100; None without a score.

    It mirrors NPS on the IEC: defenders are the WoW customers (the seed's "fans of the brand"),
    critics the Nunca Más ones ("never again"), over the scored responses. Each response keeps
    the segment its programme's bands gave it at scoring time.
    """
    if not count:
        return None
    return 100.0 * (defenders - critics) / count


def share(part: int, whole: int) -> float | None:
    """`part` as a fraction (0–1) of `whole`; None when there is no whole."""
    return part / whole if whole else None


# The largest population standard deviation values on the IEC's 1–10 scale can have: half of
# them at 1 and half at 10.
MAX_IEC_STDDEV = (IEC_MAX - IEC_MIN) / 2
CONSISTENCY_METHOD = ("1 − population standard deviation of the touchpoints' mean IECs / 4.5 "
                      "(4.5: the largest possible on 1–10); each touchpoint with a scored response counts once")


def consistency(touchpoint_means: Sequence[float]) -> float | None:
    """How even satisfaction is across touchpoints, 0 (as uneven as the scale allows) to 1 (equal).

    = 1 − σ / 4.5, σ the population standard deviation of the touchpoints' mean IECs. Every
    touchpoint weighs the same whatever its volume: the question is whether the brand delights
    on every channel, not on the busiest one. The standard deviation (rather than best − worst)
    uses every touchpoint, so one odd channel among many moves it less than a split brand. None
    with fewer than two touchpoints: there is nothing to compare.
    """
    if len(touchpoint_means) < 2:
        return None
    mean = sum(touchpoint_means) / len(touchpoint_means)
    sigma = math.sqrt(sum((m - mean) ** 2 for m in touchpoint_means) / len(touchpoint_means))
    return min(1.0, max(0.0, 1.0 - sigma / MAX_IEC_STDDEV))


def _zeros(n: int) -> tuple[int, ...]:
    return (0,) * n


DISTRIBUTION_POINTS = tuple(range(1, 11))


@dataclass(frozen=True)
class Tally:
    """The additive aggregates of one group of responses, as SQL returns them per group: tallies
    of disjoint groups (touchpoints, buckets) add up to the tally of their union."""

    scored: int = 0
    not_scored: int = 0
    iec_sum: float = 0.0
    iec_min: float | None = None
    iec_max: float | None = None
    segments: tuple[int, ...] = field(default_factory=lambda: _zeros(len(Segment.ALL)))  # Segment.ALL's order
    distribution: tuple[int, ...] = field(default_factory=lambda: _zeros(len(DISTRIBUTION_POINTS)))
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    ces_count: int = 0
    ces_sum: float = 0.0
    csat_count: int = 0
    csat_sum: float = 0.0
    csat_satisfied: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        def combine(name: str, a, b):
            if name == "iec_min":
                return min((v for v in (a, b) if v is not None), default=None)
            if name == "iec_max":
                return max((v for v in (a, b) if v is not None), default=None)
            if isinstance(a, tuple):
                return tuple(x + y for x, y in zip(a, b))
            return a + b
        return Tally(**{f.name: combine(f.name, getattr(self, f.name), getattr(other, f.name)) for f in fields(self)})

    @property
    def iec_mean(self) -> float | None:
        return self.iec_sum / self.scored if self.scored else None

    def segment_counts(self) -> dict[str, int]:
        return dict(zip(Segment.ALL, self.segments))


def total(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, Tally())


def nps_figures(t: Tally) -> dict:
    answered = t.promoters + t.passives + t.detractors
    return {"score": nps(t.promoters, t.detractors, answered), "promoters": t.promoters,
            "passives": t.passives, "detractors": t.detractors, "count": answered}


def bai_figures(t: Tally) -> dict:
    counts = t.segment_counts()
    defenders, critics = counts[Segment.WOW], counts[Segment.NUNCA_MAS]
    return {"score": bai(defenders, critics, t.scored), "defenders": defenders, "critics": critics,
            "count": t.scored}


def ces_figures(t: Tally) -> dict:
    """CES: the mean answer on its 1–7 scale (domain/measures.py)."""
    return {"mean": t.ces_sum / t.ces_count if t.ces_count else None, "count": t.ces_count,
            "scale": CES_SCALE.model_dump()}


def csat_figures(t: Tally) -> dict:
    """CSAT: the mean answer on its 1–5 scale, and the share satisfied (the top two boxes, 4–5)."""
    return {"mean": t.csat_sum / t.csat_count if t.csat_count else None, "count": t.csat_count,
            "satisfied": t.csat_satisfied, "satisfied_share": share(t.csat_satisfied, t.csat_count),
            "scale": CSAT_SCALE.model_dump()}


def touchpoint_figures(by_touchpoint: dict[str, Tally]) -> tuple[list[dict], dict]:
    """Each touchpoint's count and mean IEC (by name), and the consistency score across them."""
    rows = [{"touchpoint": name, "count": t.scored, "iec_mean": t.iec_mean}
            for name, t in sorted(by_touchpoint.items())]
    means = [r["iec_mean"] for r in rows if r["iec_mean"] is not None]
    return rows, {"score": consistency(means), "method": CONSISTENCY_METHOD, "compared": len(means)}


@dataclass(frozen=True)
class Asked:
    """Which optional measures a report carries: those the programme asks, or that were answered."""

    ces: bool = False
    csat: bool = False


def report(t: Tally, touchpoints: dict[str, Tally], asked: Asked) -> dict:
    """`GET /v1/kpis`: the population's tally `t`, and each touchpoint's (of which only the
    scored count and IEC sum are read). Responses without a touchpoint count in every figure but
    the per-touchpoint ones."""
    touchpoint_rows, consistent = touchpoint_figures(touchpoints)
    return {
        "count": t.scored,
        "not_scored": t.not_scored,
        "iec": {"mean": t.iec_mean, "min": t.iec_min, "max": t.iec_max,
                "distribution": {str(p): n for p, n in zip(DISTRIBUTION_POINTS, t.distribution)}},
        "segments": t.segment_counts(),
        "segment_shares": {s: share(n, t.scored) for s, n in t.segment_counts().items()},
        "nps": nps_figures(t),
        "bai": bai_figures(t),
        "ces": ces_figures(t) if asked.ces else None,
        "csat": csat_figures(t) if asked.csat else None,
        "touchpoints": touchpoint_rows,
        "consistency": consistent,
    }


def point(start: datetime, by_touchpoint: dict[str | None, Tally], asked: Asked) -> dict:
    """One bucket of `GET /v1/kpis/series` from its touchpoints' tallies (None: no touchpoint):
    the headline figures of `report`, without the distribution and the per-touchpoint list."""
    full = report(total(by_touchpoint.values()), {k: v for k, v in by_touchpoint.items() if k is not None}, asked)
    consistent = full["consistency"]
    return {"start": start, "count": full["count"], "not_scored": full["not_scored"], "iec_mean": full["iec"]["mean"],
            "segments": full["segments"], "segment_shares": full["segment_shares"], "nps": full["nps"],
            "bai": full["bai"], "ces": full["ces"], "csat": full["csat"],
            "consistency": {"score": consistent["score"], "compared": consistent["compared"]}}
