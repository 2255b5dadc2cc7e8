"""The other measures a response may carry besides its IEC: CES and CSAT. No I/O.

They are fixed at scoring time on one scale per measure, as `recommend` is fixed on NPS's
0–10 points, so that KPIs are plain SQL aggregates across programmes and programme versions
(a programme may ask CSAT on 1–10 and change to 1–5 later; its old responses keep their value).

- CSAT is kept on the conventional 1–5 scale: the programme's answer mapped linearly onto it
  (a 1–5 question is unchanged). *Satisfied* means the top two boxes of that scale, i.e. a
  mapped value of 4 or more (on 1–10: 8, 9, 10; on 1–7: 6, 7).
- CES is kept on the 1–7 scale of CES 2.0, mapped linearly the same way. Its direction (high =
  easy or high = effort) is the programme's wording; Lazo only averages it.

Only questions the programme declares are kept: the scale belongs to the programme's question
mapping, so an undeclared `csat` answer (scale unknown) is not guessed at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from shared.contracts.programs import ProgramDefinition, Scale

CES = "ces"
CSAT = "csat"
CES_SCALE = Scale(min=1, max=7)
CSAT_SCALE = Scale(min=1, max=5)
# The lower bound of CSAT's top-two boxes on its 1–5 scale.
CSAT_SATISFIED_FROM = 4.0
# As for the IEC: float noise must not move an answer across the satisfied boundary.
_DECIMALS = 9


def remap(value: float, source: Scale, target: Scale) -> float | None:
    """`value` mapped linearly from `source` onto `target`; None when unusable or off its scale."""
    if not (math.isfinite(value) and source.contains(value)):
        return None
    mapped = target.min + (target.max - target.min) * (value - source.min) / (source.max - source.min)
    return round(mapped, _DECIMALS)


def measure(key: str, target: Scale, answers: Mapping[str, float], program: ProgramDefinition | None) -> float | None:
    """The answer to `key` on the measure's own scale, when the programme asks that question."""
    question = program.question(key) if program is not None else None
    if question is None or key not in answers:
        return None
    return remap(answers[key], question.scale, target)


def ces(answers: Mapping[str, float], program: ProgramDefinition | None) -> float | None:
    return measure(CES, CES_SCALE, answers, program)


def csat(answers: Mapping[str, float], program: ProgramDefinition | None) -> float | None:
    return measure(CSAT, CSAT_SCALE, answers, program)
