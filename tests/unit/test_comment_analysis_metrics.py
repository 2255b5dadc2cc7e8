"""The accuracy figures of bench.comment_accuracy, against values worked out by hand."""

from __future__ import annotations

import json

import pytest

from services.scoring.domain.comments import CauseMention, CommentAnalysis
from services.scoring.domain.comments.evaluation import (
    TARGETS,
    LabelError,
    cause_scores,
    confusion,
    evaluate,
    macro_f1,
    meets_targets,
    parse_labelled,
)


def labelled(i, language, emotion, causes=(), polarity=None):
    pol = (
        polarity
        or {
            "rechazo": "negative",
            "decadencia": "negative",
            "indiferencia": "neutral",
            "disfrutable": "positive",
            "extasis": "positive",
        }[emotion]
    )
    return json.dumps(
        {
            "id": f"c{i}",
            "text": f"comment {i}",
            "language": language,
            "polarity": pol,
            "emotion": emotion,
            "causes": [{"key": k, "polarity": p} for k, p in causes],
        }
    )


def analysis(language, emotion, causes=()):
    pol = {
        "rechazo": "negative",
        "decadencia": "negative",
        "indiferencia": "neutral",
        "disfrutable": "positive",
        "extasis": "positive",
    }[emotion]
    return CommentAnalysis(language, 0.0, pol, emotion, tuple(CauseMention(k, k, p) for k, p in causes), (), "t 1")


def test_macro_f1_averages_over_the_labels_that_occur():
    gold = ["rechazo", "rechazo", "extasis", "indiferencia"]
    pred = ["rechazo", "decadencia", "extasis", "extasis"]
    # rechazo: tp1 fp0 fn1 -> 2/3; decadencia: tp0 fp1 -> 0; extasis: tp1 fp1 -> 2/3; indiferencia: fn1 -> 0
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 0 + 2 / 3 + 0) / 4, abs=1e-4)
    assert macro_f1([], []) is None
    assert macro_f1(["extasis"], ["extasis"]) == 1.0


def test_the_confusion_matrix_counts_gold_rows_against_predicted_columns():
    m = confusion(["rechazo", "rechazo", "extasis"], ["rechazo", "decadencia", "rechazo"])
    assert m["rechazo"]["rechazo"] == 1 and m["rechazo"]["decadencia"] == 1 and m["extasis"]["rechazo"] == 1
    assert sum(v for row in m.values() for v in row.values()) == 3


def test_cause_micro_f1_and_per_cause_precision_recall():
    gold = [frozenset({"billing", "price"}), frozenset({"delivery"}), frozenset()]
    pred = [frozenset({"billing"}), frozenset({"delivery", "usability"}), frozenset({"price"})]
    s = cause_scores(gold, pred)
    # tp: billing, delivery = 2; fp: usability, price = 2; fn: price = 1
    assert s["precision"] == 0.5 and s["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["micro_f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-4)
    assert s["per_cause"]["price"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 1}
    assert s["per_cause"]["usability"]["recall"] is None
    assert cause_scores([frozenset()], [frozenset()])["micro_f1"] is None


def test_evaluate_reports_per_language_and_for_all():
    items = parse_labelled(
        [
            labelled(1, "es", "rechazo", [("billing", "negative")]),
            labelled(2, "es", "extasis", [("delivery", "positive")]),
            labelled(3, "en", "indiferencia"),
            labelled(4, "pt", "disfrutable"),
            "",
        ]
    )
    analyses = [
        analysis("es", "rechazo", [("billing", "negative")]),
        analysis("es", "disfrutable", [("delivery", "negative"), ("price", "negative")]),
        analysis("en", "indiferencia"),
        None,
    ]
    r = evaluate(items, analyses)
    assert set(r) == {"es", "en", "other", "all"}
    assert r["es"]["n"] == 2 and r["es"]["language_accuracy"] == 1.0
    assert r["es"]["polarity_accuracy"] == 1.0 and r["es"]["emotion_accuracy"] == 0.5
    assert r["es"]["cause_precision"] == pytest.approx(2 / 3, abs=1e-4) and r["es"]["cause_recall"] == 1.0
    assert r["es"]["cause_polarity_accuracy"] == 0.5
    assert r["other"]["language_accuracy"] == 0.0 and r["other"]["polarity_accuracy"] == 0.0  # None counts as a miss
    assert r["all"]["n"] == 4 and r["all"]["language_accuracy"] == 0.75
    assert meets_targets(r["en"])["language_accuracy"] is True
    assert set(meets_targets(r["all"])) == set(TARGETS)
    with pytest.raises(ValueError):
        evaluate(items, analyses[:2])


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        json.dumps({"id": "x", "text": "t", "language": "es", "polarity": "negative"}),
        json.dumps({"id": "x", "text": "t", "language": "es", "polarity": "negative", "emotion": "angry"}),
        json.dumps({"id": "x", "text": "t", "language": "es", "polarity": "sad", "emotion": "rechazo"}),
        json.dumps(
            {
                "id": "x",
                "text": "t",
                "language": "es",
                "polarity": "negative",
                "emotion": "rechazo",
                "causes": [{"polarity": "negative"}],
            }
        ),
    ],
)
def test_a_malformed_labelled_line_is_refused_with_its_line_number(line):
    with pytest.raises(LabelError, match=r"set:2"):
        parse_labelled([labelled(0, "es", "rechazo"), line], "set")


def test_an_id_twice_is_refused():
    with pytest.raises(LabelError, match="twice"):
        parse_labelled([labelled(1, "es", "rechazo"), labelled(1, "en", "extasis")])


def test_the_labelled_sets_in_the_repository_follow_the_guide():
    from bench.comment_accuracy import default_sets

    for path in default_sets():
        items = parse_labelled(path.read_text("utf-8").splitlines(), str(path))
        for item in items:
            assert item.text.strip(), item.id
            assert item.difficulty in ("plain", "hard")
            polarity = {
                "rechazo": "negative",
                "decadencia": "negative",
                "indiferencia": "neutral",
                "disfrutable": "positive",
                "extasis": "positive",
            }[item.emotion]
            assert item.polarity == polarity, item.id
