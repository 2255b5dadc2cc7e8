"""The bodies scoring's routes take and answer (pydantic), in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.programs import ProgramDefinition, Question, SegmentBands
from shared.contracts.scores import CommentAnalysis


class HistoryItem(BaseModel):
    response_id: str
    iec: float
    segment: str
    submitted_at: datetime


class CustomerOut(BaseModel):
    customer_id: str
    iec: float | None
    segment: str | None
    history: list[HistoryItem]


class ErasureIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=200)

    @field_validator("customer_id")
    @classmethod
    def _unicode(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode (no lone surrogates)") from None
        return value


class ErasureRequested(BaseModel):
    customer_id: str
    erasure_id: str
    status: Literal["requested"] = "requested"


class ServiceProgress(BaseModel):
    status: Literal["erased", "pending"]
    erased_at: datetime | None
    erased: dict[str, int] | None = Field(description="what the service changed, by kind of record")


class ErasureProgress(BaseModel):
    erasure_id: str
    status: Literal["in_progress", "completed"]
    requested_at: datetime | None
    requested_by: str | None
    services: dict[str, ServiceProgress]
    pending: list[str]


class IecOut(BaseModel):
    mean: float | None
    min: float | None
    max: float | None
    distribution: dict[str, int] = Field(
        description="scored responses per whole point: '1' is 1 ≤ IEC < 2 … '10' is 10"
    )


class NpsOut(BaseModel):
    score: float | None = Field(description="%promoters − %detractors (−100..100), over the `recommend` answers")
    promoters: int
    passives: int
    detractors: int
    count: int


class BaiOut(BaseModel):
    score: float | None = Field(description="%defenders (WoW) − %critics (Nunca Más), −100..100, over scored responses")
    defenders: int
    critics: int
    count: int


class Scale(BaseModel):
    min: float
    max: float


class CesOut(BaseModel):
    mean: float | None = Field(description="mean `ces` answer, mapped from the programme's scale onto 1–7")
    count: int
    scale: Scale


class CsatOut(BaseModel):
    mean: float | None = Field(description="mean `csat` answer, mapped from the programme's scale onto 1–5")
    count: int
    satisfied: int = Field(description="answers in the top two boxes (4–5 on 1–5)")
    satisfied_share: float | None
    scale: Scale


class TouchpointOut(BaseModel):
    touchpoint: str
    count: int
    iec_mean: float | None


class ConsistencyOut(BaseModel):
    score: float | None = Field(
        description="0 (as uneven as the scale allows) to 1 (the same everywhere); null with fewer than two touchpoints"
    )
    method: str
    compared: int = Field(description="touchpoints compared: those with a scored response")


class KpisOut(BaseModel):
    count: int = Field(description="scored responses")
    not_scored: int
    iec: IecOut
    segments: dict[str, int]
    segment_shares: dict[str, float | None] = Field(description="each segment's fraction (0–1) of `count`")
    nps: NpsOut
    bai: BaiOut
    ces: CesOut | None = Field(description="when the programme asks `ces`, or `ces` answers exist")
    csat: CsatOut | None = Field(description="when the programme asks `csat`, or `csat` answers exist")
    touchpoints: list[TouchpointOut] = Field(description="per touchpoint, by name; responses without one are left out")
    consistency: ConsistencyOut


class SeriesConsistencyOut(BaseModel):
    score: float | None
    compared: int


class PointOut(BaseModel):
    start: datetime = Field(description="the bucket's first instant (UTC)")
    count: int
    not_scored: int
    iec_mean: float | None
    segments: dict[str, int]
    segment_shares: dict[str, float | None]
    nps: NpsOut
    bai: BaiOut
    ces: CesOut | None
    csat: CsatOut | None
    consistency: SeriesConsistencyOut


class ProgramIn(BaseModel):
    """A programme's definition. `program` may be left out (the path names it); `version` is
    assigned by the server (one more than the current one) and ignored here."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "questions": [
                        {"key": "experience", "scale": {"min": 1, "max": 10}, "weight": 1},
                        {"key": "worth", "scale": {"min": 1, "max": 10}, "weight": 1},
                        {"key": "recommend", "scale": {"min": 0, "max": 10}, "weight": 2},
                        {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0},
                    ],
                    "bands": {"funcional": 5, "pasivo": 7, "wow": 9},
                }
            ]
        },
    )

    program: str | None = None
    questions: list[Question]
    bands: SegmentBands = SegmentBands()
    version: int | None = Field(None, description="ignored: the server assigns versions")


class ProgramList(BaseModel):
    programs: list[ProgramDefinition]


class ConflictOut(BaseModel):
    status: str = Field(description="`conflicting_content`")
    count: int = Field(description="how many times other content arrived under this id")
    last_at: datetime | None
    reason: str


class ResponseOut(BaseModel):
    response_id: str
    status: str  # "scored" | "not_scored"
    iec: float | None
    segment: str | None
    reason: str | None
    customer_id: str
    program: str
    program_version: int | None
    touchpoint: str | None
    submitted_at: datetime
    scored_at: datetime
    conflict: ConflictOut | None = Field(
        None, description="set when this response id was received again with different content"
    )
    comment_analysis: CommentAnalysis | None = Field(
        None,
        description="what the comment says: language, sentiment, emotion, causes with their evidence, "
        "keyphrases (docs/comment-analysis.md); null without a comment",
    )


class CauseOut(BaseModel):
    key: str
    names: dict[str, str] = Field(description="by language code")
    cues: dict[str, list[str]] = Field(
        description="by language code: words, phrases, `stem*`, `_` for any one "
        "word, `-phrase` to exclude (docs/comment-analysis.md)"
    )
    retired: bool


class TaxonomyOut(BaseModel):
    program: str
    version: int = Field(description="1: the default taxonomy; each change adds one")
    causes: list[CauseOut]
    updated_at: datetime | None
    updated_by: str | None


class CauseIn(BaseModel):
    """A new cause. Checked in full by the taxonomy (422 naming the field)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "network_coverage",
                    "names": {"es": "Cobertura", "en": "Coverage"},
                    "cues": {"es": ["cobertura", "sin señal", "no hay red"], "en": ["coverage", "no signal"]},
                }
            ]
        }
    )

    key: str = Field(max_length=40)
    names: dict[str, str]
    cues: dict[str, list[str]] = {}
    retired: bool = False


class CauseChange(BaseModel):
    """Rename (`names`), change the cues, retire (`retired: true`) or bring back a cause; the
    fields left out stay. The key never changes."""

    model_config = ConfigDict(extra="forbid")

    names: dict[str, str] | None = None
    cues: dict[str, list[str]] | None = None
    retired: bool | None = None


class TaxonomyIn(BaseModel):
    """The whole taxonomy; `version` is the server's (one more than the current one)."""

    model_config = ConfigDict(extra="forbid")

    causes: list[dict] = Field(max_length=100)
    version: int | None = Field(None, description="ignored: the server assigns versions")


class ReanalysisOut(BaseModel):
    job_id: str
    program: str
    status: Literal["running", "completed", "superseded"]
    total: int = Field(description="stored comments of the programme when the job started")
    done: int
    requested_at: datetime
    requested_by: str
    finished_at: datetime | None


class EmotionMix(BaseModel):
    analysed: int = Field(description="responses whose comment was analysed")
    emotions: dict[str, int] = Field(description="count per emotion (all five listed)")
    emotion_shares: dict[str, float | None] = Field(description="each emotion's fraction (0–1) of `analysed`")


class CauseCountOut(BaseModel):
    key: str
    mentions: int
    negative: int
    neutral: int
    positive: int


class CommentGroupOut(EmotionMix):
    group: str | datetime | None = Field(description="the segment, the touchpoint, or the bucket's first instant")
    causes: list[CauseCountOut]


class CommentKpisOut(EmotionMix):
    causes: list[CauseCountOut] = Field(description="per cause, most mentioned first, by the polarity of the mention")
    group_by: str | None
    groups: list[CommentGroupOut] | None = None


class DriverSide(BaseModel):
    count: int
    iec_mean: float | None


class DriverOut(BaseModel):
    key: str
    with_: DriverSide = Field(alias="with", description="scored responses whose comment mentions the cause")
    without: DriverSide = Field(description="scored responses with an analysed comment that does not")
    impact: float | None = Field(description="mean IEC with − without; negative: the cause drags the IEC down")

    model_config = ConfigDict(populate_by_name=True)


class DriversOut(BaseModel):
    analysed: int = Field(description="scored responses with an analysed comment")
    drivers: list[DriverOut] = Field(description="biggest drag on the IEC first")


class ThemeOut(BaseModel):
    phrase: str
    count: int = Field(description="comments in the period with this keyphrase")
    previous: int = Field(description="the same, in the period of the same length before")
    rising: bool


class ThemesOut(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    max_iec: float
    comments: int = Field(description="low-IEC comments no cause covered, in the period")
    themes: list[ThemeOut] = Field(description="at most 10, most frequent first")

    model_config = ConfigDict(populate_by_name=True)
