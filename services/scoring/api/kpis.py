from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from shared.errors import InvalidInput
from shared.events import utcnow
from shared.http.auth import Reader
from shared.http.deps import SessionDep, SettingsDep
from shared.periods import period
from services.scoring import kpis
from services.scoring.api.schemas import CommentKpisOut, DriversOut, KpisOut, PointOut, ThemesOut
from services.scoring.domain.buckets import BadBucket, Bucket, bucket

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


From = Annotated[str | None, Query(alias="from", description="ISO date or datetime, inclusive")]
To = Annotated[str | None, Query(description="ISO date (whole day) or datetime, inclusive")]


@router.get("", response_model=KpisOut)
async def get_kpis(
    session: SessionDep,
    _: Reader,
    program: str | None = None,
    touchpoint: str | None = None,
    from_: From = None,
    to: To = None,
) -> dict:
    """A population's KPIs over the responses submitted in the period: the IEC (mean, min, max,
    distribution by whole point), segments (counts and shares), NPS, BAI, CES and CSAT (where
    asked), and each touchpoint's mean IEC with the consistency score across them.
    `count` is the scored responses; `not_scored` the others."""
    return await kpis.kpis(session, program=program, touchpoint=touchpoint, period=period(from_, to))


@router.get("/series", response_model=list[PointOut])
async def get_series(
    session: SessionDep,
    _: Reader,
    settings: SettingsDep,
    bucket_: str = Query(Bucket.MONTH, alias="bucket", description="day | week (ISO, from Monday) | month, in UTC"),
    program: str | None = None,
    touchpoint: str | None = None,
    from_: From = None,
    to: To = None,
) -> list[dict]:
    """The KPIs per day, week or month, oldest first, quiet buckets included with zero counts.
    With `from`/`to` the series spans the period (at most 1000 buckets). Without `to`, it ends at the
    last bucket holding responses (not after today); without `from`, it starts at the first bucket
    holding responses, but shows at most the newest 366 days, 260 weeks or 120 months."""
    span = period(from_, to)
    ahead = timedelta(hours=settings.submitted_at_max_ahead_h)
    try:
        return await kpis.series(
            session, width=bucket(bucket_), program=program, touchpoint=touchpoint, period=span, latest=utcnow() + ahead
        )
    except BadBucket as exc:
        raise InvalidInput(f"bucket: {exc}", errors=[{"field": "bucket", "message": str(exc)}]) from exc


@router.get("/comments", response_model=CommentKpisOut, response_model_by_alias=True)
async def get_comment_kpis(
    session: SessionDep,
    _: Reader,
    program: str | None = None,
    touchpoint: str | None = None,
    from_: From = None,
    to: To = None,
    group_by: str | None = Query(None, description="segment | touchpoint | day | week | month"),
) -> dict:
    """What the comments of the period say: the emotion mix (count and share of each of the five)
    and how often each cause is mentioned (negatively, neutrally, positively), for the whole
    population and, with `group_by`, per segment, touchpoint or period bucket."""
    if group_by is not None and group_by not in kpis.GROUPS:
        message = f"'{group_by}' is not one of {', '.join(kpis.GROUPS)}"
        raise InvalidInput(f"group_by: {message}", errors=[{"field": "group_by", "message": message}])
    return await kpis.comment_kpis(
        session, program=program, touchpoint=touchpoint, period=period(from_, to), group_by=group_by
    )


@router.get("/drivers", response_model=DriversOut, response_model_by_alias=True)
async def get_drivers(
    session: SessionDep,
    _: Reader,
    program: str | None = None,
    touchpoint: str | None = None,
    from_: From = None,
    to: To = None,
) -> dict:
    """The driver view: for each cause, the mean IEC of the scored responses whose comment mentions
    it against those whose (analysed) comment does not, with counts; biggest drag first."""
    return await kpis.drivers_report(session, program=program, touchpoint=touchpoint, period=period(from_, to))


@router.get("/themes", response_model=ThemesOut, response_model_by_alias=True)
async def get_themes(
    session: SessionDep,
    _: Reader,
    program: str | None = None,
    touchpoint: str | None = None,
    from_: From = None,
    to: To = None,
    max_iec: float = Query(6, ge=1, le=10, description="comments of responses at or below this IEC"),
) -> dict:
    """Emerging themes: the frequent keyphrases of low-IEC comments that no cause covers, in the
    period (default: the last 30 days) against the period of the same length before it; `rising`
    when a theme comes up at least half as often again. A theme worth a cause of its own is one
    admins add to the taxonomy (then re-analyse)."""
    return await kpis.themes_report(
        session, program=program, touchpoint=touchpoint, period=period(from_, to), max_iec=max_iec, now=utcnow()
    )
