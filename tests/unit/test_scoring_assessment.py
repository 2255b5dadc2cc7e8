"""What becomes of a response: scored, or kept with the reason it was not."""

from __future__ import annotations

import pytest

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition, Question
from shared.errors import InvalidInput
from services.scoring.domain.assessment import Status, assess
from services.scoring.domain.programs import revise


def test_a_complete_response_is_scored_with_its_segment_and_nps_point():
    a = assess("default", DEFAULT_PROGRAM, {"experience": 9, "worth": 9, "recommend": 10})
    assert a.status == Status.SCORED and a.segment == "wow" and a.recommend_0_10 == 10
    assert a.iec == pytest.approx(28 / 3) and a.program_version == 1


def test_a_response_missing_an_answer_is_kept_unscored_with_the_reason():
    a = assess("default", DEFAULT_PROGRAM, {"experience": 3, "recommend": 2})
    assert (a.status, a.iec, a.segment) == (Status.NOT_SCORED, None, None)
    assert a.reason == "missing answers: worth" and a.missing == ["worth"]
    assert a.recommend_0_10 == 1  # NPS still counts the recommend answer


def test_an_unknown_programme_is_not_scored():
    a = assess("nope", None, {"experience": 3, "worth": 4, "recommend": 5})
    assert a.status == Status.NOT_SCORED and a.reason == "unknown programme: nope"


def test_a_revision_takes_the_path_name_and_the_next_version():
    body = {"questions": [{"key": k} for k in ("experience", "worth", "recommend")], "version": 40}
    first = revise("p1", None, body)
    assert (first.program, first.version) == ("p1", 1)
    assert revise("p1", first, body).version == 2
    assert revise("default", DEFAULT_PROGRAM, {**body, "program": "default"}).version == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"questions": [{"key": "experience"}, {"key": "worth"}]}, "questions"),
        ({"questions": [{"key": k} for k in ("experience", "worth", "recommend", "worth")]}, "questions"),
        (
            {
                "questions": [
                    {"key": "experience", "scale": {"min": 5, "max": 5}},
                    {"key": "worth"},
                    {"key": "recommend"},
                ]
            },
            "questions[0].scale",
        ),
        (
            {
                "questions": [{"key": k} for k in ("experience", "worth", "recommend")],
                "bands": {"funcional": 7, "pasivo": 5, "wow": 9},
            },
            "bands",
        ),
        ({"program": "other", "questions": [{"key": k} for k in ("experience", "worth", "recommend")]}, "program"),
    ],
)
def test_an_invalid_revision_names_the_field(body, field):
    with pytest.raises(InvalidInput) as err:
        revise("p1", None, body)
    assert field in [e["field"] for e in err.value.errors], err.value.errors


def test_an_invalid_programme_name_is_refused():
    with pytest.raises(InvalidInput) as err:
        revise("bad name!", None, {"questions": [{"key": k} for k in ("experience", "worth", "recommend")]})
    assert [e["field"] for e in err.value.errors] == ["program"]


def test_zero_weights_everywhere_are_refused():
    qs = [Question(key=k, weight=0).model_dump() for k in ("experience", "worth", "recommend")]
    with pytest.raises(InvalidInput) as err:
        revise("p1", None, {"questions": qs})
    assert err.value.errors[0]["field"] == "questions"


def test_the_revision_is_a_full_definition():
    d = revise(
        "p1",
        None,
        {
            "questions": [
                {"key": "experience", "weight": 2},
                {"key": "worth"},
                {"key": "recommend"},
                {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0},
            ]
        },
    )
    assert isinstance(d, ProgramDefinition) and d.question("ces").scale.max == 7
