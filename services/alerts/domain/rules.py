"""A programme's selection rules, and which of them a scored response fires.

The seed's step 2: a customer is selected when the IEC is at or below the threshold and/or
they wrote any comment. Lazo adds an optional drop against the customer's previous IEC.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.alerts import AlertReason


class AlertRules(BaseModel):
    """The rules of one programme. Every programme has them: these defaults until changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(6, ge=1, le=10, description="IEC at or below this selects the customer")
    comment_selects: bool = Field(True, description="any non-blank comment selects the customer")
    drop_points: float | None = Field(None, gt=0, le=9,
                                      description="a fall of at least this many IEC points against the "
                                                  "customer's previous IEC selects them; null = off")
    cooldown_days: int = Field(7, ge=0, le=365,
                               description="no second alert for a customer and programme within this many days")
    control_share: float = Field(0.0, ge=0, le=1, description="share of selected customers held out as control group")


DEFAULT_RULES = AlertRules()


def reasons_for(rules: AlertRules, *, iec: float, comment: str | None, previous_iec: float | None) -> list[str]:
    """Every rule the response fires, in a fixed order; empty when the customer is not selected."""
    reasons = []
    if iec <= rules.threshold:
        reasons.append(AlertReason.IEC_AT_OR_BELOW_THRESHOLD)
    if rules.comment_selects and comment is not None and comment.strip():
        reasons.append(AlertReason.COMMENT)
    if rules.drop_points is not None and previous_iec is not None and previous_iec - iec >= rules.drop_points:
        reasons.append(AlertReason.IEC_DROP)
    return reasons
