"""What comments say, in figures: the emotion mix and the cause counts of a population (or of each
of its groups), and the driver view. No I/O: SQL counts (services/scoring/kpis.py), this module
turns the counts into the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.scoring.domain.comments import EMOTIONS, POLARITIES
from services.scoring.domain.kpis import share


def emotion_mix(counts: Mapping[str, int]) -> dict:
    """Every emotion's count and share of the analysed comments (all five always listed)."""
    total = sum(counts.get(e, 0) for e in EMOTIONS)
    return {
        "analysed": total,
        "emotions": {e: counts.get(e, 0) for e in EMOTIONS},
        "emotion_shares": {e: share(counts.get(e, 0), total) for e in EMOTIONS},
    }


def cause_counts(rows: Iterable[tuple[str, str, int]]) -> list[dict]:
    """(key, polarity, count) rows → one entry per cause, most mentioned first (then by key)."""
    by_key: dict[str, dict[str, int]] = {}
    for key, polarity, n in rows:
        by_key.setdefault(key, dict.fromkeys(POLARITIES, 0))[polarity] = n
    out = [{"key": k, "mentions": sum(p.values()), **p} for k, p in by_key.items()]
    return sorted(out, key=lambda c: (-c["mentions"], c["key"]))


@dataclass(frozen=True)
class Sums:
    """Scored responses with an analysed comment: how many, and their IECs' sum."""

    count: int = 0
    iec_sum: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.iec_sum / self.count if self.count else None


def drivers(base: Sums, with_cause: Mapping[str, Sums]) -> list[dict]:
    """Per cause: the mean IEC of the responses whose comment mentions it against those whose
    comment does not, with counts, and the difference (negative: the cause drags the IEC down).
    Biggest drag first; a cause with no comment on either side has no difference."""
    out = []
    for key, w in with_cause.items():
        without = Sums(base.count - w.count, base.iec_sum - w.iec_sum)
        impact = (w.mean - without.mean) if w.count and without.count else None
        out.append(
            {
                "key": key,
                "with": {"count": w.count, "iec_mean": w.mean},
                "without": {"count": without.count, "iec_mean": without.mean},
                "impact": impact,
            }
        )
    return sorted(out, key=lambda d: (d["impact"] is None, d["impact"] or 0.0, d["key"]))


THEMES_TOP = 10
THEMES_MIN_COUNT = 2
RISING_FACTOR = 1.5


def themes(current: Iterable[Iterable[str]], previous: Iterable[Iterable[str]], *, top: int = THEMES_TOP) -> list[dict]:
    """Emerging themes: the keyphrases of comments no cause covered, each counted once per comment,
    in the period (`current`) against the period of the same length before it (`previous`).
    A theme is listed from two comments on; it is `rising` when it comes up at least half as often
    again as before (or is new). Most frequent first."""
    now, before = _phrase_counts(current), _phrase_counts(previous)
    out = [
        {"phrase": p, "count": n, "previous": before.get(p, 0), "rising": n >= RISING_FACTOR * before.get(p, 0)}
        for p, n in now.items()
        if n >= THEMES_MIN_COUNT
    ]
    return sorted(out, key=lambda t: (-t["count"], not t["rising"], t["phrase"]))[:top]


def _phrase_counts(comments: Iterable[Iterable[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for phrases in comments:
        for p in set(phrases):
            counts[p] = counts.get(p, 0) + 1
    return counts
