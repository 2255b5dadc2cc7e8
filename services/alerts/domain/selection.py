"""What to do with one scored response: nothing, a new alert, or attach it to a recent alert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts.scores import CommentAnalysis
from services.alerts.domain.control import held_out
from services.alerts.domain.rules import AlertRules, reasons_for


@dataclass(frozen=True)
class PriorAlert:
    """An alert already raised for the same customer and programme."""

    alert_id: str
    submitted_at: datetime  # of the response that raised it


@dataclass(frozen=True)
class Decision:
    reasons: tuple[str, ...] = ()
    attach_to: str | None = None  # the alert still cooling down that absorbs this response
    control_group: bool = False

    @property
    def selected(self) -> bool:
        return bool(self.reasons)

    @property
    def raises(self) -> bool:
        return self.selected and self.attach_to is None


def cooling_alert(prior: Iterable[PriorAlert], submitted_at: datetime, cooldown_days: int) -> PriorAlert | None:
    """The newest prior alert whose response lies within the cool-down of this one.

    Measured on submission times, in both directions: a late-arriving older response is as
    much "the same episode" as a newer one.
    """
    if cooldown_days <= 0:
        return None
    window = timedelta(days=cooldown_days)
    near = [a for a in prior if abs(submitted_at - a.submitted_at) < window]
    return max(near, key=lambda a: a.submitted_at, default=None)


def decide(
    rules: AlertRules,
    *,
    program: str,
    customer_id: str,
    iec: float,
    comment: str | None,
    previous_iec: float | None,
    submitted_at: datetime,
    prior: Iterable[PriorAlert],
    segment: str | None = None,
    analysis: CommentAnalysis | None = None,
) -> Decision:
    reasons = tuple(
        reasons_for(rules, iec=iec, comment=comment, previous_iec=previous_iec, segment=segment, analysis=analysis)
    )
    if not reasons:
        return Decision()
    cooling = cooling_alert(prior, submitted_at, rules.cooldown_days)
    if cooling is not None:
        return Decision(reasons, attach_to=cooling.alert_id)
    return Decision(reasons, control_group=held_out(program, customer_id, rules.control_share))
