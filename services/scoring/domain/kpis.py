"""KPI arithmetic and the reporting period. No I/O: the counting itself is done by SQL
(services/scoring/kpis.py); this module turns the few rows it returns into figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from services.scoring.domain.assessment import Status
from services.scoring.domain.iec import IEC_MAX, IEC_MIN, Segment
from services.scoring.domain.measures import CES_SCALE, CSAT_SATISFIED_FROM, CSAT_SCALE


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
CONSISTENCY_METHOD = (
    "1 − population standard deviation of the touchpoints' mean IECs / 4.5 "
    "(4.5: the largest possible on 1–10); each touchpoint with a scored response counts once"
)


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

    def __add__(self, other: Tally) -> Tally:
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


def tally_of_response(
    *,
    status: str,
    iec: float | None,
    segment: str | None,
    recommend_0_10: int | None,
    ces: float | None,
    csat: float | None,
) -> Tally:
    """One stored response's tally: what the aggregate queries count of it, so that adding the
    tallies of a day's responses gives the same figures as aggregating its rows (kpi_days)."""
    distribution = list(_zeros(len(DISTRIBUTION_POINTS)))
    if iec is not None:  # IEC 1–10: below 2 is the first bin, 10 the last
        distribution[min(max(math.floor(iec), 1), DISTRIBUTION_POINTS[-1]) - 1] = 1
    return Tally(
        scored=int(status == Status.SCORED),
        not_scored=int(status == Status.NOT_SCORED),
        iec_sum=iec or 0.0,
        iec_min=iec,
        iec_max=iec,
        segments=tuple(int(segment == s) for s in Segment.ALL),
        distribution=tuple(distribution),
        promoters=int(recommend_0_10 is not None and recommend_0_10 >= 9),
        passives=int(recommend_0_10 is not None and 7 <= recommend_0_10 <= 8),
        detractors=int(recommend_0_10 is not None and recommend_0_10 <= 6),
        ces_count=int(ces is not None),
        ces_sum=ces or 0.0,
        csat_count=int(csat is not None),
        csat_sum=csat or 0.0,
        csat_satisfied=int(csat is not None and csat >= CSAT_SATISFIED_FROM),
    )


DayKey = tuple[str, str, date]  # programme, touchpoint ('' for none), UTC day

# Sums of IECs and answers are kept in billionths (the precision scoring rounds them to): integer
# sums are exact in any order, so tallies kept batch by batch equal the rows' own, to the last digit.
NANO = 1_000_000_000


def nano(value: float | None) -> int:
    return round(value * NANO) if value is not None else 0


@dataclass(frozen=True)
class DayTally:
    """A tally as it is kept per day: its sums also in exact billionths."""

    tally: Tally = Tally()
    iec_nano: int = 0
    ces_nano: int = 0
    csat_nano: int = 0

    def __add__(self, other: DayTally) -> DayTally:
        return DayTally(
            self.tally + other.tally,
            self.iec_nano + other.iec_nano,
            self.ces_nano + other.ces_nano,
            self.csat_nano + other.csat_nano,
        )

    def finished(self) -> Tally:
        """The tally with its sums from the exact billionths: however the parts were added, the
        same responses give the same figures."""
        return replace(
            self.tally, iec_sum=self.iec_nano / NANO, ces_sum=self.ces_nano / NANO, csat_sum=self.csat_nano / NANO
        )


def day_tallies(rows: Iterable[Mapping[str, Any]]) -> dict[DayKey, DayTally]:
    """The KPI tallies stored responses add, per programme, touchpoint and UTC day (a naive
    submission time is UTC, as everywhere in Lazo)."""
    out: dict[DayKey, DayTally] = {}
    for r in rows:
        at = r["submitted_at"]
        day = (at.astimezone(UTC) if at.tzinfo else at).date()
        key = (r["program"], r["touchpoint"] or "", day)
        one = DayTally(
            tally_of_response(
                status=r["status"],
                iec=r["iec"],
                segment=r["segment"],
                recommend_0_10=r["recommend_0_10"],
                ces=r["ces"],
                csat=r["csat"],
            ),
            iec_nano=nano(r["iec"]),
            ces_nano=nano(r["ces"]),
            csat_nano=nano(r["csat"]),
        )
        out[key] = out[key] + one if key in out else one
    return out


def total(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, Tally())


def nps_figures(t: Tally) -> dict:
    answered = t.promoters + t.passives + t.detractors
    return {
        "score": nps(t.promoters, t.detractors, answered),
        "promoters": t.promoters,
        "passives": t.passives,
        "detractors": t.detractors,
        "count": answered,
    }


def bai_figures(t: Tally) -> dict:
    counts = t.segment_counts()
    defenders, critics = counts[Segment.WOW], counts[Segment.NUNCA_MAS]
    return {"score": bai(defenders, critics, t.scored), "defenders": defenders, "critics": critics, "count": t.scored}


def ces_figures(t: Tally) -> dict:
    """CES: the mean answer on its 1–7 scale (domain/measures.py)."""
    return {
        "mean": t.ces_sum / t.ces_count if t.ces_count else None,
        "count": t.ces_count,
        "scale": CES_SCALE.model_dump(),
    }


def csat_figures(t: Tally) -> dict:
    """CSAT: the mean answer on its 1–5 scale, and the share satisfied (the top two boxes, 4–5)."""
    return {
        "mean": t.csat_sum / t.csat_count if t.csat_count else None,
        "count": t.csat_count,
        "satisfied": t.csat_satisfied,
        "satisfied_share": share(t.csat_satisfied, t.csat_count),
        "scale": CSAT_SCALE.model_dump(),
    }


def touchpoint_figures(by_touchpoint: dict[str, Tally]) -> tuple[list[dict], dict]:
    """Each touchpoint's count and mean IEC (by name), and the consistency score across them."""
    rows = [
        {"touchpoint": name, "count": t.scored, "iec_mean": t.iec_mean} for name, t in sorted(by_touchpoint.items())
    ]
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
        "iec": {
            "mean": t.iec_mean,
            "min": t.iec_min,
            "max": t.iec_max,
            "distribution": {str(p): n for p, n in zip(DISTRIBUTION_POINTS, t.distribution)},
        },
        "segments": t.segment_counts(),
        "segment_shares": {s: share(n, t.scored) for s, n in t.segment_counts().items()},
        "nps": nps_figures(t),
        "bai": bai_figures(t),
        "ces": ces_figures(t) if asked.ces else None,
        "csat": csat_figures(t) if asked.csat else None,
        "touchpoints": touchpoint_rows,
        "consistency": consistent,
    }


def point(start: datetime, by_touchpoint: dict[str | None, Tally], asked: Asked, whole: Tally | None = None) -> dict:
    """One bucket of `GET /v1/kpis/series` from its touchpoints' tallies (None: no touchpoint):
    the headline figures of `report`, without the distribution and the per-touchpoint list.
    `whole`, when given, is the bucket's tally added up exactly (DayTally), not in float."""
    whole = total(by_touchpoint.values()) if whole is None else whole
    full = report(whole, {k: v for k, v in by_touchpoint.items() if k is not None}, asked)
    consistent = full["consistency"]
    return {
        "start": start,
        "count": full["count"],
        "not_scored": full["not_scored"],
        "iec_mean": full["iec"]["mean"],
        "segments": full["segments"],
        "segment_shares": full["segment_shares"],
        "nps": full["nps"],
        "bai": full["bai"],
        "ces": full["ces"],
        "csat": full["csat"],
        "consistency": {"score": consistent["score"], "compared": consistent["compared"]},
    }
