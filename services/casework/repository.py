"""Cases in and out of the database: the aggregate <-> its row, the timeline, and the queries.

The repository writes what the aggregate collected (its changes) to the timeline; the
service layer turns the same changes into outbox events, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case as sql_case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import is_postgres
from services.casework.domain.case import WORKING, Breach, Case, CaseChange, Status
from services.casework.domain.sla import Sla
from services.casework.models import CaseAlertRow, CaseRow, ProgramSlaRow, TimelineRow

# The aggregate's persistent fields are exactly the row's columns (minus the lock).
_CASE_FIELDS = [f.name for f in fields(Case) if f.name != "changes"]


def _to_domain(row: CaseRow) -> Case:
    values = {name: getattr(row, name) for name in _CASE_FIELDS}
    values["status"] = Status(values["status"])
    return Case(**values)


class CaseRepository:
    def __init__(self, session: AsyncSession):
        self.session = session
        self._rows: dict[str, CaseRow] = {}

    # -- aggregates ---------------------------------------------------------------------------

    async def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        query = select(CaseRow).where(CaseRow.case_id == case_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).one_or_none()
        return self._track(row)

    async def not_closed_for(self, customer_id: str, program: str) -> Case | None:
        """The customer's case in that programme that is not closed (at most one: unique index)."""
        row = (await self.session.scalars(select(CaseRow).where(
            CaseRow.customer_id == customer_id, CaseRow.program == program,
            CaseRow.status != Status.CLOSED.value))).one_or_none()
        return self._track(row)

    async def awaiting_confirmation(self, customer_id: str, program: str) -> Case | None:
        row = (await self.session.scalars(select(CaseRow).where(
            CaseRow.customer_id == customer_id, CaseRow.program == program,
            CaseRow.status == Status.RESPONDED.value))).one_or_none()
        return self._track(row)

    def _track(self, row: CaseRow | None) -> Case | None:
        if row is None:
            return None
        self._rows[row.case_id] = row
        return _to_domain(row)

    async def save(self, case: Case) -> list[CaseChange]:
        """Write the aggregate and its new timeline entries; return those changes (for the outbox)."""
        row = self._rows.get(case.case_id)
        if row is None:
            row = CaseRow(case_id=case.case_id)
            self.session.add(row)
            self._rows[case.case_id] = row
        for name in _CASE_FIELDS:
            value = getattr(case, name)
            setattr(row, name, value.value if isinstance(value, Status) else value)
        await self.session.flush()  # the case row exists before its timeline refers to it
        changes = case.take_changes()
        for change in changes:
            self.session.add(TimelineRow(
                case_id=case.case_id, seq=change.seq, kind=change.kind.value, at=change.at, by=change.by,
                from_status=change.from_status and change.from_status.value,
                to_status=change.to_status and change.to_status.value,
                note=change.note, cause=change.cause, owner=change.owner, alert_id=change.alert_id,
                response_id=change.response_id, current_feeling=change.current_feeling, solved=change.solved,
                overdue=change.overdue and change.overdue.value))
        return changes

    # -- alerts taken -----------------------------------------------------------------------

    async def case_of_alert(self, alert_id: str) -> str | None:
        return await self.session.scalar(select(CaseAlertRow.case_id).where(CaseAlertRow.alert_id == alert_id))

    def link_alert(self, alert_id: str, case_id: str, response_id: str | None, held_out: bool,
                   raised_at: datetime) -> None:
        self.session.add(CaseAlertRow(alert_id=alert_id, case_id=case_id, response_id=response_id,
                                      held_out=held_out, raised_at=raised_at))

    # -- SLAs -------------------------------------------------------------------------------

    async def sla_of(self, program: str) -> Sla:
        row = await self.session.get(ProgramSlaRow, program)
        return Sla(row.first_contact_hours, row.close_days) if row else Sla()


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
    total = await session.scalar(select(func.count()).select_from(CaseRow).where(*where))
    rows = (await session.scalars(
        select(CaseRow).where(*where)
        .order_by(sql_case((is_overdue, 0), else_=1), CaseRow.opened_at.desc(), CaseRow.case_id)
        .limit(q.limit).offset(q.offset))).all()
    return total or 0, list(rows)


async def timeline_of(session: AsyncSession, case_id: str) -> list[TimelineRow]:
    return list((await session.scalars(
        select(TimelineRow).where(TimelineRow.case_id == case_id).order_by(TimelineRow.seq))).all())


async def alerts_of(session: AsyncSession, case_id: str) -> list[CaseAlertRow]:
    return list((await session.scalars(
        select(CaseAlertRow).where(CaseAlertRow.case_id == case_id).order_by(CaseAlertRow.raised_at))).all())


async def breach_candidates(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Cases in breach whose breach is not recorded yet (the SLA watch records it once)."""
    conditions = overdue_conditions(now)
    query = (select(CaseRow.case_id).where(or_(
        and_(conditions[Breach.FIRST_CONTACT], CaseRow.first_contact_overdue_at.is_(None)),
        and_(conditions[Breach.CLOSE], CaseRow.close_overdue_at.is_(None)),
    )).order_by(CaseRow.opened_at).limit(limit))
    if is_postgres(session.bind):
        # Replicas share the work: each case is recorded by whoever locks it.
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())
