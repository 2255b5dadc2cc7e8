"""Scoring's read side: customers, responses, KPIs and programmes, straight from its tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.programs import ProgramDefinition
from shared.errors import NotFound
from services.scoring.domain.assessment import Status
from services.scoring.domain.iec import Segment
from services.scoring.domain.kpis import Period, nps
from services.scoring.models import Response
from services.scoring.service import load_programs


async def customer(session: AsyncSession, customer_id: str, *, limit: int) -> dict[str, Any]:
    """A customer's IEC (their latest scored response by submitted_at) and history, newest first."""
    R = Response
    rows = (await session.execute(
        select(R.response_id, R.iec, R.segment, R.submitted_at)
        .where(R.customer_id == customer_id, R.status == Status.SCORED)
        .order_by(R.submitted_at.desc(), R.scored_at.desc(), R.response_id.desc())
        .limit(limit))).all()
    if not rows and not await session.scalar(select(exists().where(R.customer_id == customer_id))):
        raise NotFound(f"no response from customer '{customer_id}'")
    history = [{"response_id": r.response_id, "iec": r.iec, "segment": r.segment, "submitted_at": r.submitted_at}
               for r in rows]
    latest = history[0] if history else {}
    return {"customer_id": customer_id, "iec": latest.get("iec"), "segment": latest.get("segment"),
            "history": history}


async def response(session: AsyncSession, response_id: str) -> dict[str, Any]:
    row = await session.get(Response, response_id)
    if row is None:
        raise NotFound(f"no response '{response_id}'")
    return {"response_id": row.response_id, "status": row.status, "iec": row.iec, "segment": row.segment,
            "reason": row.reason, "customer_id": row.customer_id, "program": row.program,
            "program_version": row.program_version, "touchpoint": row.touchpoint,
            "submitted_at": row.submitted_at, "scored_at": row.scored_at}


def _count(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def kpis(session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period) -> dict[str, Any]:
    """The population's IEC, segments and NPS in one aggregate query: rows never reach Python."""
    R = Response
    scored = R.status == Status.SCORED
    buckets = {b: and_(R.iec >= b, R.iec < b + 1) if b < 10 else R.iec >= 10 for b in range(1, 11)}
    columns = [
        _count(scored).label("count"),
        _count(R.status == Status.NOT_SCORED).label("not_scored"),
        func.avg(R.iec).label("mean"), func.min(R.iec).label("min"), func.max(R.iec).label("max"),
        *[_count(R.segment == s).label(f"seg_{s}") for s in Segment.ALL],
        *[_count(cond).label(f"bucket_{b}") for b, cond in buckets.items()],
        _count(R.recommend_0_10 >= 9).label("promoters"),
        _count(R.recommend_0_10.between(7, 8)).label("passives"),
        _count(R.recommend_0_10 <= 6).label("detractors"),
    ]
    query = select(*columns)
    if program is not None:
        query = query.where(R.program == program)
    if touchpoint is not None:
        query = query.where(R.touchpoint == touchpoint)
    if period.start is not None:
        query = query.where(R.submitted_at >= period.start)
    if period.end is not None:
        query = query.where(R.submitted_at < period.end)
    row = (await session.execute(query)).one()
    answered = row.promoters + row.passives + row.detractors
    return {
        "count": row.count,
        "iec": {"mean": row.mean, "min": row.min, "max": row.max,
                "distribution": {str(b): getattr(row, f"bucket_{b}") for b in buckets}},
        "segments": {s: getattr(row, f"seg_{s}") for s in Segment.ALL},
        "nps": {"score": nps(row.promoters, row.detractors, answered), "promoters": row.promoters,
                "passives": row.passives, "detractors": row.detractors, "count": answered},
        "not_scored": row.not_scored,
    }


async def programs(session: AsyncSession) -> list[ProgramDefinition]:
    return sorted((await load_programs(session)).values(), key=lambda p: p.program)


async def program(session: AsyncSession, name: str) -> ProgramDefinition:
    found = (await load_programs(session, [name])).get(name)
    if found is None:
        raise NotFound(f"no programme '{name}'")
    return found
