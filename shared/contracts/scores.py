from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.events import EventData

Polarity = Literal["negative", "neutral", "positive"]
Emotion = Literal["rechazo", "decadencia", "indiferencia", "disfrutable", "extasis"]


class CustomerContact(EventData):
    email: str | None = None
    name: str | None = None


class CauseMention(EventData):
    key: str
    evidence: str
    polarity: Polarity


class CommentAnalysis(EventData):
    """What a comment says (docs/comment-analysis.md): carried by `lazo.score.computed`,
    `lazo.alert.raised` and `GET /v1/responses/{id}`, null when the response has no comment.
    Bounded by its producer: at most 20 causes with 120-character evidence, 5 keyphrases of 60."""

    language: str
    sentiment: float
    polarity: Polarity
    emotion: Emotion
    causes: list[CauseMention] = []
    keyphrases: list[str] = []
    analyzer: str


class ScoreComputed(EventData):
    """`lazo.score.computed`: a response's IEC and segment, with what alerts and casework need."""

    response_id: str
    customer_id: str
    customer: CustomerContact = CustomerContact()
    program: str
    touchpoint: str | None = None
    submitted_at: datetime
    iec: float
    segment: str
    previous_iec: float | None = None
    comment: str | None = None
    case_id: str | None = None
    answers: dict[str, float] = {}
    # Added compatibly: the response's invitation token (the survey planner ties the answer to it).
    invitation_token: str | None = None
    comment_analysis: CommentAnalysis | None = None


class ScoreRejected(EventData):
    """`lazo.score.rejected`: a response kept but not scored, and why."""

    response_id: str
    customer_id: str
    program: str
    submitted_at: datetime
    reason: str
    missing: list[str] = []
