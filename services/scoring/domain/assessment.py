"""Decide what becomes of one response: scored (IEC, segment) or kept unscored with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.contracts.programs import ProgramDefinition
from services.scoring.domain import measures
from services.scoring.domain.iec import AnswersOutOfScale, MissingAnswers, iec, nps_point, segment


class Status:
    SCORED = "scored"
    NOT_SCORED = "not_scored"


@dataclass(frozen=True)
class Assessment:
    status: str
    iec: float | None = None
    segment: str | None = None
    reason: str | None = None
    missing: list[str] = field(default_factory=list)
    # `recommend` on NPS's 0–10 points; kept even when the IEC cannot be computed.
    recommend_0_10: int | None = None
    # CES on 1–7 and CSAT on 1–5 (domain/measures.py), likewise kept when the IEC cannot be.
    ces: float | None = None
    csat: float | None = None
    program_version: int | None = None

    @property
    def scored(self) -> bool:
        return self.status == Status.SCORED


def assess(program_name: str, program: ProgramDefinition | None, answers: Mapping[str, float]) -> Assessment:
    if program is None:
        return Assessment(Status.NOT_SCORED, reason=f"unknown programme: {program_name}")
    recommend = program.question("recommend")
    other = {
        "recommend_0_10": nps_point(answers["recommend"], recommend.scale) if "recommend" in answers else None,
        "ces": measures.ces(answers, program),
        "csat": measures.csat(answers, program),
        "program_version": program.version,
    }
    try:
        value = iec(answers, program)
    except MissingAnswers as exc:
        return Assessment(Status.NOT_SCORED, reason=str(exc), missing=exc.keys, **other)
    except AnswersOutOfScale as exc:
        return Assessment(Status.NOT_SCORED, reason=str(exc), **other)
    return Assessment(Status.SCORED, iec=value, segment=segment(value, program.bands), **other)
