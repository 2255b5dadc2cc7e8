"""The IEC (Índice de Experiencia del Cliente) of one response, and its segment. No I/O.

DOMAIN.md: the IEC is the (weighted) mean of the answers to `experience`, `worth` and
`recommend`, each first mapped linearly from its question's scale onto 1–10.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from shared.contracts.programs import IEC_QUESTIONS, ProgramDefinition, Question, Scale, SegmentBands

IEC_MIN, IEC_MAX = 1.0, 10.0
# Float noise (e.g. 6.999999999999999 for an exact 7) must not move a response across a band
# boundary; nothing a survey can express needs more than nine decimals.
_DECIMALS = 9


class Segment:
    NUNCA_MAS = "nunca_mas"
    FUNCIONAL = "funcional"
    PASIVO = "pasivo"
    WOW = "wow"

    ALL = (NUNCA_MAS, FUNCIONAL, PASIVO, WOW)


class MissingAnswers(ValueError):
    """The response lacks answers the programme needs for its IEC."""

    def __init__(self, keys: list[str]):
        super().__init__(f"missing answers: {', '.join(keys)}")
        self.keys = keys


class AnswersOutOfScale(ValueError):
    """An answer lies outside its question's scale (ingest checks this, but the programme may
    have changed between ingest and scoring)."""

    def __init__(self, keys: list[str]):
        super().__init__(f"answers outside their scale: {', '.join(keys)}")
        self.keys = keys


def rescale(value: float, scale: Scale) -> float:
    """Map an answer linearly from its scale onto 1–10: min -> 1, max -> 10."""
    return IEC_MIN + (IEC_MAX - IEC_MIN) * (value - scale.min) / (scale.max - scale.min)


def iec_questions(program: ProgramDefinition) -> list[Question]:
    """The questions that enter the IEC: the three IEC questions with a non-zero weight."""
    return [q for q in program.questions if q.key in IEC_QUESTIONS and q.weight > 0]


def iec(answers: Mapping[str, float], program: ProgramDefinition) -> float:
    """The IEC of a response under `program`, at full precision (display rounds to one decimal)."""
    needed = iec_questions(program)
    missing = [q.key for q in needed if q.key not in answers]
    if missing:
        raise MissingAnswers(missing)
    outside = [q.key for q in needed if not (math.isfinite(answers[q.key]) and q.scale.contains(answers[q.key]))]
    if outside:
        raise AnswersOutOfScale(outside)
    total = sum(q.weight for q in needed)
    value = sum(q.weight * rescale(answers[q.key], q.scale) for q in needed) / total
    return min(IEC_MAX, max(IEC_MIN, round(value, _DECIMALS)))


def segment(value: float, bands: SegmentBands = SegmentBands()) -> str:
    """The segment of an IEC: each band includes its lower bound (5 is funcional, 9 is wow)."""
    if value < bands.funcional:
        return Segment.NUNCA_MAS
    if value < bands.pasivo:
        return Segment.FUNCIONAL
    if value < bands.wow:
        return Segment.PASIVO
    return Segment.WOW


def nps_point(value: float, scale: Scale) -> int | None:
    """The `recommend` answer as a point of NPS's 0–10 scale, or None when it is unusable.

    NPS's categories are defined on whole points, so the linear mapping is rounded to the
    nearest point (halves up): on a 1–10 scale 9 stays a promoter (8.9 -> 9) and 6 a
    detractor (5.6 -> 6); on a 0–10 scale the answer is unchanged.
    """
    if not (math.isfinite(value) and scale.contains(value)):
        return None
    return math.floor(10 * (value - scale.min) / (scale.max - scale.min) + 0.5)
