"""Case KPIs, computed by the database with aggregate queries (rows never reach Python).

The population: the cases of a programme (or all) opened in the period. Control cases are only
counted: nobody works them, so they take no part in times, shares, SLAs, backlog or causes.

- Time to first contact: opened -> first `contacted`; time to close: opened -> `closed`, in
  hours, over the cases that got there. p50/p90 are continuous percentiles.
- Share confirmed: cases whose loop the customer closed (`closed` is reached only through
  the customer's confirmation, by the agent or a follow-up survey) over the cases worked on.
- SLA compliance, by the same rule as the overdue listing (queries.overdue_conditions):
  first contact is met when it happened by its due time, missed when it happened later or the
  case is still `open` past it; close is met when closed by its due time, missed when closed
  later or still being worked past it. Cases with neither yet (still in time, or parked
  `unreachable`) are pending and not counted. compliance = met / (met + missed).
- Backlog: cases not closed (and not control) by status and by owner, as of now.
- Top causes: the causes recorded at first contact, grouped case-insensitively, top 10.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import is_postgres
from shared.periods import Period
from services.casework.domain.case import WORKING, Status
from services.casework.domain.kpis import PERCENTILES, TOP_CAUSES, TOP_OWNERS, UNASSIGNED, interpolate, ranks, share
from services.casework.models import CaseRow, TimelineRow
from services.casework.service import BY_SURVEY

C = CaseRow
_NOT_CONTROL = C.status != Status.CONTROL.value
_BACKLOG = C.status.not_in([Status.CLOSED.value, Status.CONTROL.value])


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _hours(postgres: bool, start, end) -> ColumnElement[float]:
    """end - start in hours, in the engine's own date arithmetic."""
    if postgres:
        return cast(func.extract("epoch", end - start), Float) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def _percentiles(session: AsyncSession, hours: ColumnElement[float], where: list) -> dict[str, Any]:
    where = [*where, hours.is_not(None)]
    if is_postgres(session.bind):
        row = (
            await session.execute(
                select(func.count(), *[func.percentile_cont(p).within_group(hours) for p in PERCENTILES]).where(*where)
            )
        ).one()
        n, values = row[0], row[1:]
    else:  # SQLite: the one or two values around each rank, fetched in order
        n = await session.scalar(select(func.count()).where(*where))
        values = []
        for p in PERCENTILES:
            at = ranks(n, p)
            if at is None:
                values.append(None)
                continue
            found = (
                await session.scalars(select(hours).where(*where).order_by(hours).offset(at.lower).limit(at.needed))
            ).all()
            values.append(interpolate(at, [float(v) for v in found]))
    out: dict[str, Any] = {"count": n}
    out.update({f"p{round(p * 100)}": (float(v) if v is not None else None) for p, v in zip(PERCENTILES, values)})
    return out


async def case_kpis(session: AsyncSession, *, program: str | None, period: Period, now: datetime) -> dict[str, Any]:
    where: list = []
    if program is not None:
        where.append(C.program == program)
    if period.start is not None:
        where.append(C.opened_at >= period.start)
    if period.end is not None:
        where.append(C.opened_at < period.end)
    worked = [*where, _NOT_CONTROL]
    postgres = is_postgres(session.bind)

    by_survey = exists().where(
        TimelineRow.case_id == C.case_id, TimelineRow.kind == "closed", TimelineRow.by == BY_SURVEY
    )
    fc_met = C.first_contact_at <= C.first_contact_due
    fc_missed = or_(
        C.first_contact_at > C.first_contact_due,
        and_(C.first_contact_at.is_(None), C.status == Status.OPEN.value, C.first_contact_due <= now),
    )
    close_met = C.closed_at <= C.close_due
    close_missed = or_(
        C.closed_at > C.close_due,
        and_(C.closed_at.is_(None), C.status.in_([s.value for s in WORKING]), C.close_due <= now),
    )
    totals = (
        await session.execute(
            select(
                func.count().label("cases"),
                _count(C.status == Status.CONTROL.value).label("control"),
                _count(C.status == Status.CLOSED.value).label("closed"),
                _count(and_(C.status == Status.CLOSED.value, by_survey)).label("closed_by_survey"),
                _count(fc_met).label("fc_met"),
                _count(fc_missed).label("fc_missed"),
                _count(close_met).label("close_met"),
                _count(close_missed).label("close_missed"),
                _count(C.suggestion_kept.is_not(None)).label("suggested_and_chosen"),
                _count(C.suggestion_kept.is_(True)).label("suggestion_kept"),
            ).where(*where)
        )
    ).one()
    cases = totals.cases - totals.control

    by_status = dict(
        (await session.execute(select(C.status, func.count()).where(*where, _BACKLOG).group_by(C.status))).all()
    )
    by_owner = (
        await session.execute(
            select(C.owner, func.count().label("n"))
            .where(*where, _BACKLOG)
            .group_by(C.owner)
            .order_by(func.count().desc(), C.owner)
            .limit(TOP_OWNERS)
        )
    ).all()
    cause_key = func.lower(func.trim(C.cause))
    causes = (
        await session.execute(
            select(func.min(func.trim(C.cause)), func.count().label("n"))
            .where(*worked, C.cause.is_not(None))
            .group_by(cause_key)
            .order_by(func.count().desc(), cause_key)
            .limit(TOP_CAUSES)
        )
    ).all()

    backlog_statuses = [s.value for s in Status if s not in (Status.CLOSED, Status.CONTROL)]
    return {
        "program": program,
        "from": period.start,
        "to": period.end,
        "cases": cases,
        "control_cases": totals.control,
        "time_to_first_contact_hours": await _percentiles(
            session, _hours(postgres, C.opened_at, C.first_contact_at), worked
        ),
        "time_to_close_hours": await _percentiles(session, _hours(postgres, C.opened_at, C.closed_at), worked),
        "confirmed": {
            "closed": totals.closed,
            "by_survey": totals.closed_by_survey,
            "by_agent": totals.closed - totals.closed_by_survey,
            "share": share(totals.closed, cases),
        },
        "sla": {
            "first_contact": {
                "met": totals.fc_met,
                "missed": totals.fc_missed,
                "compliance": share(totals.fc_met, totals.fc_met + totals.fc_missed),
            },
            "close": {
                "met": totals.close_met,
                "missed": totals.close_missed,
                "compliance": share(totals.close_met, totals.close_met + totals.close_missed),
            },
        },
        "backlog": {
            "total": sum(by_status.values()),
            "by_status": {s: by_status.get(s, 0) for s in backlog_statuses},
            "by_owner": [{"owner": owner or UNASSIGNED, "cases": n} for owner, n in by_owner],
        },
        "top_causes": [{"cause": cause, "cases": n} for cause, n in causes],
        "suggestions": {
            "chosen": totals.suggested_and_chosen,
            "kept": totals.suggestion_kept,
            "kept_share": share(totals.suggestion_kept, totals.suggested_and_chosen),
        },
    }
