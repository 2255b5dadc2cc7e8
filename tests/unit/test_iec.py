"""The IEC and its segments, against values computed by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition, Question, Scale, SegmentBands
from services.scoring.domain.iec import AnswersOutOfScale, MissingAnswers, Segment, iec, nps_point, rescale, segment


def program(**questions: dict) -> ProgramDefinition:
    """A programme whose IEC questions default to 1–10 and weight 1, overridden per key."""
    return ProgramDefinition(
        program="p", questions=[Question(key=k, **questions.get(k, {})) for k in ("experience", "worth", "recommend")]
    )


@pytest.mark.parametrize(
    "answers, expected, shown",
    [
        ({"experience": 5, "worth": 6, "recommend": 6}, 17 / 3, "5.7"),
        ({"experience": 9, "worth": 9, "recommend": 10}, 28 / 3, "9.3"),
        ({"experience": 6, "worth": 7, "recommend": 8}, 7.0, "7.0"),
        ({"experience": 1, "worth": 1, "recommend": 1}, 1.0, "1.0"),
        ({"experience": 10, "worth": 10, "recommend": 10}, 10.0, "10.0"),
    ],
)
def test_the_seed_examples_are_means_of_the_three_answers(answers, expected, shown):
    value = iec(answers, DEFAULT_PROGRAM)
    assert value == pytest.approx(expected, abs=1e-9)
    assert f"{value:.1f}" == shown


def test_full_precision_is_kept():
    assert iec({"experience": 5, "worth": 6, "recommend": 6}, DEFAULT_PROGRAM) != 5.7


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, Segment.NUNCA_MAS),
        (4.999, Segment.NUNCA_MAS),
        (5, Segment.FUNCIONAL),
        (6.999, Segment.FUNCIONAL),
        (7, Segment.PASIVO),
        (8.999, Segment.PASIVO),
        (9, Segment.WOW),
        (10, Segment.WOW),
    ],
)
def test_each_band_includes_its_lower_bound(value, expected):
    assert segment(value) == expected


def test_boundaries_reached_through_answers_are_not_lost_to_float_noise():
    # 7 exactly from thirds-weighted answers on a 1–5 scale: 1 + 9 * (v - 1) / 4
    stars = program(experience={"scale": {"min": 1, "max": 5}})
    assert segment(iec({"experience": 3, "worth": 7.75, "recommend": 7.75}, stars)) == Segment.PASIVO
    assert segment(iec({"experience": 5, "worth": 6, "recommend": 4}, DEFAULT_PROGRAM)) == Segment.FUNCIONAL
    assert segment(iec({"experience": 9, "worth": 9, "recommend": 9}, DEFAULT_PROGRAM)) == Segment.WOW


def test_programme_bands_move_the_segments():
    bands = SegmentBands(funcional=4, pasivo=6, wow=8.5)
    assert segment(4, bands) == Segment.FUNCIONAL
    assert segment(8.4, bands) == Segment.PASIVO
    assert segment(8.5, bands) == Segment.WOW


@pytest.mark.parametrize("value, expected", [(0, 1), (10, 10), (5, 5.5), (7, 7.3)])
def test_a_0_to_10_nps_answer_maps_linearly_onto_1_to_10(value, expected):
    assert rescale(value, Scale(min=0, max=10)) == pytest.approx(expected)


@pytest.mark.parametrize("stars, expected", [(1, 1), (2, 3.25), (3, 5.5), (4, 7.75), (5, 10)])
def test_a_1_to_5_star_rating_maps_linearly_onto_1_to_10(stars, expected):
    assert rescale(stars, Scale(min=1, max=5)) == pytest.approx(expected)


def test_mixed_scales_are_mapped_before_the_mean():
    mixed = program(experience={"scale": {"min": 1, "max": 5}}, recommend={"scale": {"min": 0, "max": 10}})
    # experience 4★ -> 7.75, worth 7 -> 7, recommend 10/10 -> 10
    assert iec({"experience": 4, "worth": 7, "recommend": 10}, mixed) == pytest.approx((7.75 + 7 + 10) / 3)


def test_weights_make_a_weighted_mean():
    weighted = program(recommend={"weight": 2})
    assert iec({"experience": 4, "worth": 6, "recommend": 9}, weighted) == pytest.approx((4 + 6 + 2 * 9) / 4)


def test_a_zero_weight_question_neither_counts_nor_is_needed():
    weighted = program(worth={"weight": 0})
    assert iec({"experience": 4, "recommend": 8}, weighted) == pytest.approx(6)


def test_missing_answers_are_named():
    with pytest.raises(MissingAnswers) as err:
        iec({"experience": 4}, DEFAULT_PROGRAM)
    assert err.value.keys == ["worth", "recommend"]
    assert str(err.value) == "missing answers: worth, recommend"


def test_answers_outside_the_scale_are_refused_not_clamped():
    with pytest.raises(AnswersOutOfScale) as err:
        iec({"experience": 11, "worth": 5, "recommend": 5}, DEFAULT_PROGRAM)
    assert err.value.keys == ["experience"]


def test_other_answers_do_not_enter_the_iec():
    assert iec({"experience": 6, "worth": 7, "recommend": 8, "ces": 1}, DEFAULT_PROGRAM) == 7


@pytest.mark.parametrize(
    "scale, value, point",
    [
        ((0, 10), 9, 9),
        ((0, 10), 6, 6),
        ((0, 10), 0, 0),
        # a native 1–10 answer keeps its NPS category: 9 promoter, 7 passive, 6 detractor
        ((1, 10), 10, 10),
        ((1, 10), 9, 9),
        ((1, 10), 8, 8),
        ((1, 10), 7, 7),
        ((1, 10), 6, 6),
        ((1, 10), 1, 0),
        ((1, 5), 5, 10),
        ((1, 5), 4, 8),
        ((1, 5), 3, 5),
        ((1, 5), 1, 0),
        ((0, 10), 11, None),
    ],
)
def test_recommend_as_an_nps_point(scale, value, point):
    assert nps_point(value, Scale(min=scale[0], max=scale[1])) == point


scales = st.tuples(st.floats(-100, 100), st.floats(0.5, 100)).map(lambda t: Scale(min=t[0], max=t[0] + t[1]))
weights = st.floats(0, 10)


@st.composite
def scored_programme_and_answers(draw):
    qs, answers = [], {}
    for key in ("experience", "worth", "recommend"):
        scale = draw(scales)
        qs.append(Question(key=key, scale=scale, weight=draw(weights)))
        fraction = draw(st.floats(0, 1))
        answers[key] = scale.min + fraction * (scale.max - scale.min)
    if sum(q.weight for q in qs) == 0:
        qs[0] = Question(key=qs[0].key, scale=qs[0].scale, weight=1)
    return ProgramDefinition(program="p", questions=qs), answers


@given(scored_programme_and_answers())
def test_the_iec_is_always_within_1_and_10(case):
    definition, answers = case
    assert 1 <= iec(answers, definition) <= 10


@given(st.floats(1, 10), st.floats(1, 10))
def test_segment_is_monotone_in_the_iec(a, b):
    low, high = sorted((a, b))
    assert Segment.ALL.index(segment(low)) <= Segment.ALL.index(segment(high))
