"""Casework's reads for the API: case lists and details, SLAs, a customer's outcomes.

(The case KPIs and the experiment, aggregate queries, are in kpis.py and experiment.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.domain.case import WORKING, Breach, Status
from services.casework.domain.sla import Sla
from services.casework.domain.teams import EVERY_CASE, TeamScope
from services.casework.models import AuditRow, CaseAlertRow, CaseRow, OutcomeRow, ProgramSlaRow, TimelineRow

# Enough for any customer's renewals; the experiment reads the newest.
OUTCOMES_SHOWN = 500


def overdue_conditions(now: datetime) -> dict[Breach, ColumnElement[bool]]:
    """The SQL form of domain.sla.breaches (keep the two in step)."""
    return {
        Breach.FIRST_CONTACT: and_(CaseRow.status == Status.OPEN.value, CaseRow.first_contact_due <= now),
        Breach.CLOSE: and_(CaseRow.status.in_([s.value for s in WORKING]), CaseRow.close_due <= now),
    }


@dataclass
class CaseQuery:
    status: Status | None = None
    owner: str | None = None
    customer_id: str | None = None
    program: str | None = None
    overdue: bool | None = None
    alert_id: str | None = None  # the case that took this alert (a chat alert's dashboard link)
    scope: TeamScope = EVERY_CASE  # a team-scoped agent's owner teams
    limit: int = 50
    offset: int = 0


async def list_cases(session: AsyncSession, q: CaseQuery, now: datetime) -> tuple[int, list[CaseRow]]:
    """One page of cases, overdue first then newest, and the total matching the filters."""
    conditions = overdue_conditions(now)
    is_overdue = or_(*conditions.values())
    where = []
    if q.status is not None:
        where.append(CaseRow.status == q.status.value)
    if q.owner is not None:
        where.append(CaseRow.owner == q.owner)
    if q.customer_id is not None:
        where.append(CaseRow.customer_id == q.customer_id)
    if q.program is not None:
        where.append(CaseRow.program == q.program)
    if q.overdue is not None:
        where.append(is_overdue if q.overdue else ~is_overdue)
    if q.scope.teams is not None:
        where.append(CaseRow.owner.in_(sorted(q.scope.teams)))
    if q.alert_id is not None:
        where.append(CaseRow.case_id.in_(select(CaseAlertRow.case_id).where(CaseAlertRow.alert_id == q.alert_id)))
    total = await session.scalar(select(func.count()).select_from(CaseRow).where(*where))
    rows = (
        await session.scalars(
            select(CaseRow)
            .where(*where)
            .order_by(sql_case((is_overdue, 0), else_=1), CaseRow.opened_at.desc(), CaseRow.case_id)
            .limit(q.limit)
            .offset(q.offset)
        )
    ).all()
    return total or 0, list(rows)


async def case_of(session: AsyncSession, case_id: str, scope: TeamScope = EVERY_CASE) -> CaseRow | None:
    """The case, or None when there is none or it is another team's (for a team-scoped agent)."""
    row = await session.get(CaseRow, case_id)
    return row if row is not None and scope.sees(row.owner) else None


async def timeline_of(session: AsyncSession, case_id: str) -> list[TimelineRow]:
    return list(
        (
            await session.scalars(select(TimelineRow).where(TimelineRow.case_id == case_id).order_by(TimelineRow.seq))
        ).all()
    )


async def alerts_of(session: AsyncSession, case_id: str) -> list[CaseAlertRow]:
    return list(
        (
            await session.scalars(
                select(CaseAlertRow).where(CaseAlertRow.case_id == case_id).order_by(CaseAlertRow.raised_at)
            )
        ).all()
    )


async def sla_of(session: AsyncSession, program: str) -> tuple[Sla, ProgramSlaRow | None]:
    """A programme's SLA (the defaults until one is set) and the row that set it, if any."""
    row = await session.get(ProgramSlaRow, program)
    return (Sla(row.first_contact_hours, row.close_days) if row else Sla()), row


async def outcomes_of(session: AsyncSession, customer_id: str, program: str | None = None) -> list[OutcomeRow]:
    """A customer's recorded outcomes, newest first."""
    query = select(OutcomeRow).where(OutcomeRow.customer_id == customer_id)
    if program is not None:
        query = query.where(OutcomeRow.program == program)
    return list(
        (await session.scalars(query.order_by(OutcomeRow.on.desc(), OutcomeRow.program).limit(OUTCOMES_SHOWN))).all()
    )


@dataclass(frozen=True)
class AuditQuery:
    """Filters of `GET /v1/audit`; `customer_digests`: the keyed digests of the customer asked about."""

    service: str | None = None
    kind: str | None = None
    actor: str | None = None
    customer_digests: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        a = AuditRow
        where = []
        if self.service is not None:
            where.append(a.service == self.service)
        if self.kind is not None:
            where.append(a.kind == self.kind)
        if self.actor is not None:
            where.append(a.actor == self.actor)
        if self.customer_digests:  # 64 hex characters each, space-separated: a whole-word match
            where.append(or_(*(a.customer_digests.contains(d) for d in self.customer_digests)))
        if self.start is not None:
            where.append(a.at >= self.start)
        if self.end is not None:
            where.append(a.at < self.end)
        return where


async def audit_records(
    session: AsyncSession, query: AuditQuery, *, limit: int, offset: int
) -> tuple[list[AuditRow], int]:
    """Newest first, with the total matching."""
    where = query.conditions()
    total = await session.scalar(select(func.count()).select_from(AuditRow).where(*where))
    rows = (
        await session.scalars(
            select(AuditRow).where(*where).order_by(AuditRow.at.desc(), AuditRow.audit_id).limit(limit).offset(offset)
        )
    ).all()
    return list(rows), int(total or 0)


# -- export ------------------------------------------------------------------------------------


async def export_page(
    session: AsyncSession,
    *,
    program: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The next `limit` cases opened in the period (and programme), in (opened_at, case_id) order
    after `after` (keyset: every page costs the same), each with its `timeline` rows in order:
    two queries a page."""
    query = select(CaseRow)
    if program is not None:
        query = query.where(CaseRow.program == program)
    if start is not None:
        query = query.where(CaseRow.opened_at >= start)
    if end is not None:
        query = query.where(CaseRow.opened_at < end)
    if after is not None:
        at, case_id = after
        # The `>=` alone is what an index on opened_at can seek to; the rest breaks the ties.
        query = query.where(CaseRow.opened_at >= at, or_(CaseRow.opened_at > at, CaseRow.case_id > case_id))
    rows = (await session.scalars(query.order_by(CaseRow.opened_at, CaseRow.case_id).limit(limit))).all()
    timelines: dict[str, list[dict[str, Any]]] = {r.case_id: [] for r in rows}
    if rows:
        entries = await session.scalars(
            select(TimelineRow)
            .where(TimelineRow.case_id.in_(list(timelines)))
            .order_by(TimelineRow.case_id, TimelineRow.seq)
        )
        for entry in entries:
            timelines[entry.case_id].append({c.key: getattr(entry, c.key) for c in TimelineRow.__table__.columns})
    return [
        {**{c.key: getattr(r, c.key) for c in CaseRow.__table__.columns}, "timeline": timelines[r.case_id]}
        for r in rows
    ]


def _first_day_from(moment: datetime) -> date:
    """The first whole day starting at or after `moment` (a period's days are those whose midnight
    UTC falls in it: `from=2026-11-01` is that day's midnight, so the day is in)."""
    day = moment.date()
    if moment.time() == time():
        return day
    return day + timedelta(days=1) if day < date.max else day  # the calendar's last day: held there


async def export_outcomes_page(
    session: AsyncSession,
    *,
    program: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[date, str, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The next `limit` renewal outcomes dated in the period, in (date, program, customer_id) order
    (their key) after `after`: keyset pages, as for cases."""
    query = select(*(c for c in OutcomeRow.__table__.columns))
    if program is not None:
        query = query.where(OutcomeRow.program == program)
    if start is not None:
        query = query.where(OutcomeRow.on >= _first_day_from(start))
    if end is not None:
        query = query.where(OutcomeRow.on < _first_day_from(end))
    if after is not None:
        on, prog, customer = after
        same_day_after = or_(
            OutcomeRow.program > prog, and_(OutcomeRow.program == prog, OutcomeRow.customer_id > customer)
        )
        query = query.where(OutcomeRow.on >= on, or_(OutcomeRow.on > on, same_day_after))
    rows = await session.execute(query.order_by(OutcomeRow.on, OutcomeRow.program, OutcomeRow.customer_id).limit(limit))
    return [{("on" if k == "date" else k): v for k, v in row._mapping.items()} for row in rows]
