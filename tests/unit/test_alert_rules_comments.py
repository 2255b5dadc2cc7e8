"""Alert rules on what the comment says: emotions, causes, and a comment contradicting the score."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.contracts.scores import CommentAnalysis
from services.alerts.domain.rules import AlertRules, reasons_for


def analysis(emotion: str, *causes: tuple[str, str]) -> CommentAnalysis:
    polarity = {"rechazo": "negative", "decadencia": "negative", "indiferencia": "neutral"}.get(emotion, "positive")
    return CommentAnalysis(
        language="es",
        sentiment=0.0,
        polarity=polarity,
        emotion=emotion,
        causes=[{"key": k, "evidence": k, "polarity": p} for k, p in causes],
        analyzer="test 1",
    )


def fired(rules: AlertRules, *, iec: float = 9.5, segment: str = "wow", found: CommentAnalysis | None = None):
    return reasons_for(rules, iec=iec, comment=None, previous_iec=None, segment=segment, analysis=found)


def test_an_emotion_selector_fires_on_that_emotion_only():
    rules = AlertRules(emotions=["rechazo"], contradiction_selects=False)
    assert fired(rules, found=analysis("rechazo")) == ["emotion"]
    assert fired(rules, found=analysis("decadencia")) == []
    assert fired(rules, found=None) == []


def test_a_cause_selector_fires_on_a_complaint_or_a_neutral_mention_not_on_praise():
    rules = AlertRules(causes=["billing"], contradiction_selects=False)
    assert fired(rules, found=analysis("decadencia", ("billing", "negative"))) == ["cause"]
    assert fired(rules, found=analysis("indiferencia", ("billing", "neutral"))) == ["cause"]
    assert fired(rules, found=analysis("extasis", ("billing", "positive"))) == []
    assert fired(rules, found=analysis("decadencia", ("price", "negative"))) == []


@pytest.mark.parametrize(
    "segment, emotion, contradicts",
    [
        ("wow", "rechazo", True),
        ("wow", "decadencia", True),
        ("wow", "disfrutable", False),
        ("nunca_mas", "extasis", True),
        ("nunca_mas", "rechazo", False),
        ("pasivo", "rechazo", False),
    ],
)
def test_a_comment_contradicting_the_score_is_a_reason(segment, emotion, contradicts):
    reasons = fired(AlertRules(), segment=segment, found=analysis(emotion))
    assert ("comment_contradicts_score" in reasons) is contradicts
    assert fired(AlertRules(contradiction_selects=False), segment=segment, found=analysis(emotion)) == []


@pytest.mark.parametrize(
    "field, value", [("emotions", ["furia"]), ("causes", ["Billing!"]), ("emotions", ["rechazo"] * 6)]
)
def test_selectors_out_of_the_vocabulary_name_the_field(field, value):
    with pytest.raises(ValidationError) as err:
        AlertRules(**{field: value})
    assert err.value.errors()[0]["loc"][0] == field
