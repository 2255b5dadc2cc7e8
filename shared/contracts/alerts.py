from __future__ import annotations

from datetime import datetime

from shared.contracts.scores import CommentAnalysis, CustomerContact
from shared.events import EventData


class AlertReason:
    IEC_AT_OR_BELOW_THRESHOLD = "iec_at_or_below_threshold"
    COMMENT = "comment"
    IEC_DROP = "iec_drop"
    # The comment's analysis (lazo.score.computed `comment_analysis`): an emotion or a cause a
    # programme's rules name, or a comment that says the opposite of the score.
    EMOTION = "emotion"
    CAUSE = "cause"
    COMMENT_CONTRADICTS_SCORE = "comment_contradicts_score"


class AlertRaised(EventData):
    """`lazo.alert.raised` (act on it) and `lazo.alert.held_out` (control group: don't).

    Carries everything a contact center needs to act on the event alone (CONTRACT.md).
    """

    alert_id: str
    customer_id: str
    customer: CustomerContact = CustomerContact()
    program: str
    response_id: str
    iec: float
    segment: str
    reasons: list[str]
    comment: str | None = None
    touchpoint: str | None = None
    raised_at: datetime
    previous_iec: float | None = None
    control_group: bool = False
    comment_analysis: CommentAnalysis | None = None
