"""CES and CSAT as scoring keeps them: each on its own scale, from the programme's question scale."""

from __future__ import annotations

import pytest

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition
from services.scoring.domain.assessment import Status, assess
from services.scoring.domain.measures import CES_SCALE, CSAT_SATISFIED_FROM, CSAT_SCALE, ces, csat, remap

IEC = [{"key": "experience"}, {"key": "worth"}, {"key": "recommend"}]


def program(*extra: dict) -> ProgramDefinition:
    return ProgramDefinition(program="p", questions=[*IEC, *extra])


@pytest.mark.parametrize(
    "scale, answer, expected",
    [
        ({"min": 1, "max": 5}, 4, 4.0),  # CSAT's own scale: unchanged
        ({"min": 1, "max": 10}, 8, 1 + 4 * 7 / 9),  # 4.11: satisfied
        ({"min": 1, "max": 10}, 7, 1 + 4 * 6 / 9),  # 3.67: not
        ({"min": 0, "max": 10}, 10, 5.0),
        ({"min": 1, "max": 7}, 6, 1 + 4 * 5 / 6),  # the top two of 1–7 are satisfied
    ],
)
def test_csat_is_kept_on_one_to_five(scale, answer, expected):
    value = csat({"csat": answer}, program({"key": "csat", "scale": scale, "weight": 0}))
    assert value == pytest.approx(expected)


def test_satisfied_is_the_top_two_boxes_of_one_to_five():
    ten = program({"key": "csat", "weight": 0})  # asked on 1–10
    satisfied = [a for a in range(1, 11) if csat({"csat": a}, ten) >= CSAT_SATISFIED_FROM]
    assert satisfied == [8, 9, 10]
    five = program({"key": "csat", "scale": {"min": 1, "max": 5}, "weight": 0})
    assert [a for a in range(1, 6) if csat({"csat": a}, five) >= CSAT_SATISFIED_FROM] == [4, 5]


def test_ces_is_kept_on_one_to_seven():
    assert ces({"ces": 5}, program({"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0})) == 5.0
    assert ces({"ces": 3}, program({"key": "ces", "scale": {"min": 1, "max": 5}, "weight": 0})) == 4.0
    assert (CES_SCALE.min, CES_SCALE.max, CSAT_SCALE.min, CSAT_SCALE.max) == (1, 7, 1, 5)


def test_only_declared_questions_answered_on_their_scale_are_kept():
    assert csat({"csat": 4}, DEFAULT_PROGRAM) is None  # not asked: its scale is unknown
    asked = program({"key": "csat", "scale": {"min": 1, "max": 5}, "weight": 0})
    assert csat({"experience": 4}, asked) is None
    assert csat({"csat": 6}, asked) is None and csat({"csat": float("nan")}, asked) is None
    assert csat({"csat": 4}, None) is None
    assert remap(0.5, CSAT_SCALE, CES_SCALE) is None


def test_an_assessment_carries_ces_and_csat_scored_or_not():
    p = program(
        {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0},
        {"key": "csat", "scale": {"min": 1, "max": 5}, "weight": 0},
    )
    a = assess("p", p, {"experience": 9, "worth": 9, "recommend": 9, "ces": 2, "csat": 5})
    assert a.status == Status.SCORED and (a.ces, a.csat) == (2.0, 5.0)
    b = assess("p", p, {"experience": 9, "ces": 6, "csat": 1})
    assert b.status == Status.NOT_SCORED and (b.ces, b.csat) == (6.0, 1.0)
    assert assess("default", DEFAULT_PROGRAM, {"experience": 9, "worth": 9, "recommend": 9, "csat": 5}).csat is None
