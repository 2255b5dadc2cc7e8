"""A programme's selection rules, and which of them a scored response fires.

The seed's step 2: a customer is selected when the IEC is at or below the threshold and/or
they wrote any comment. Lazo adds an optional drop against the customer's previous IEC.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts.alerts import AlertReason
from shared.contracts.scores import CommentAnalysis, Emotion

CauseKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
# The segments at either end of the scale, and the emotions that say the opposite of each.
CONTRADICTIONS = {"wow": frozenset({"rechazo", "decadencia"}), "nunca_mas": frozenset({"extasis"})}


class AlertRules(BaseModel):
    """The rules of one programme. Every programme has them: these defaults until changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(6, ge=1, le=10, description="IEC at or below this selects the customer")
    comment_selects: bool = Field(True, description="any non-blank comment selects the customer")
    drop_points: float | None = Field(
        None,
        gt=0,
        le=9,
        description="a fall of at least this many IEC points against the "
        "customer's previous IEC selects them; null = off",
    )
    cooldown_days: int = Field(
        7, ge=0, le=365, description="no second alert for a customer and programme within this many days"
    )
    control_share: float = Field(0.0, ge=0, le=1, description="share of selected customers held out as control group")
    emotions: list[Emotion] = Field(
        [], max_length=5, description="a comment whose emotion is one of these selects the customer"
    )
    causes: list[CauseKey] = Field(
        [],
        max_length=100,
        description="a comment that talks about one of these causes, other than in praise, selects the customer",
    )
    contradiction_selects: bool = Field(
        True,
        description="a comment that contradicts the score selects the "
        "customer: a WoW score with a rechazo or decadencia "
        "comment, or Nunca Más with an éxtasis one",
    )


DEFAULT_RULES = AlertRules()


def reasons_for(
    rules: AlertRules,
    *,
    iec: float,
    comment: str | None,
    previous_iec: float | None,
    segment: str | None = None,
    analysis: CommentAnalysis | None = None,
) -> list[str]:
    """Every rule the response fires, in a fixed order; empty when the customer is not selected."""
    reasons = []
    if iec <= rules.threshold:
        reasons.append(AlertReason.IEC_AT_OR_BELOW_THRESHOLD)
    if rules.comment_selects and comment is not None and comment.strip():
        reasons.append(AlertReason.COMMENT)
    if rules.drop_points is not None and previous_iec is not None and previous_iec - iec >= rules.drop_points:
        reasons.append(AlertReason.IEC_DROP)
    if analysis is not None:
        if analysis.emotion in rules.emotions:
            reasons.append(AlertReason.EMOTION)
        if any(c.key in rules.causes and c.polarity != "positive" for c in analysis.causes):
            reasons.append(AlertReason.CAUSE)
        if rules.contradiction_selects and analysis.emotion in CONTRADICTIONS.get(segment, ()):
            reasons.append(AlertReason.COMMENT_CONTRADICTS_SCORE)
    return reasons
