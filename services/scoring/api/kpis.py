from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.errors import InvalidInput
from shared.events import utcnow
from shared.http.app import SessionDep
from shared.http.auth import Reader
from services.scoring import kpis
from services.scoring.domain.buckets import BadBucket, Bucket, bucket
from shared.periods import period

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


class IecOut(BaseModel):
    mean: float | None
    min: float | None
    max: float | None
    distribution: dict[str, int] = Field(
        description="scored responses per whole point: '1' is 1 ≤ IEC < 2 … '10' is 10")


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
    score: float | None = Field(description="0 (as uneven as the scale allows) to 1 (the same everywhere); "
                                            "null with fewer than two touchpoints")
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


From = Annotated[str | None, Query(alias="from", description="ISO date or datetime, inclusive")]
To = Annotated[str | None, Query(description="ISO date (whole day) or datetime, inclusive")]


@router.get("", response_model=KpisOut)
async def get_kpis(session: SessionDep, _: Reader, program: str | None = None, touchpoint: str | None = None,
                   from_: From = None, to: To = None) -> dict:
    """A population's KPIs over the responses submitted in the period: the IEC (mean, min, max,
    distribution by whole point), segments (counts and shares), NPS, BAI, CES and CSAT (where
    asked), and each touchpoint's mean IEC with the consistency score across them.
    `count` is the scored responses; `not_scored` the others."""
    return await kpis.kpis(session, program=program, touchpoint=touchpoint, period=period(from_, to))


@router.get("/series", response_model=list[PointOut])
async def get_series(session: SessionDep, _: Reader, request: Request,
                     bucket_: str = Query(Bucket.MONTH, alias="bucket",
                                          description="day | week (ISO, from Monday) | month, in UTC"),
                     program: str | None = None, touchpoint: str | None = None,
                     from_: From = None, to: To = None) -> list[dict]:
    """The KPIs per day, week or month, oldest first, quiet buckets included with zero counts.
    With `from`/`to` the series spans the period (at most 1000 buckets). Without `to`, it ends at the
    last bucket holding responses (not after today); without `from`, it starts at the first bucket
    holding responses, but shows at most the newest 366 days, 260 weeks or 120 months."""
    span = period(from_, to)
    ahead = timedelta(hours=request.app.state.settings.submitted_at_max_ahead_h)
    try:
        return await kpis.series(session, width=bucket(bucket_), program=program, touchpoint=touchpoint, period=span,
                                 latest=utcnow() + ahead)
    except BadBucket as exc:
        raise InvalidInput(f"bucket: {exc}", errors=[{"field": "bucket", "message": str(exc)}]) from exc
