"""Casework's writes: the case aggregates of a unit of work, loaded and written in bulk; renewal
outcomes; a customer's erasure.

A batch of events loads every case it may touch with one query, the aggregates change in memory,
and `flush` writes what they collected: the changed cases (each under its optimistic lock), the
cases opened, their timeline entries and the alerts they took, one INSERT per table. The service
layer turns the same changes into outbox events, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.audit import AuditRecorded
from shared.contracts.outcomes import OutcomeRecorded
from shared.db import is_postgres
from services.casework.domain.case import Breach, Case, CaseChange, Status
from services.casework.domain.outcomes import latest_per_key
from services.casework.domain.sla import Sla
from services.casework.models import AuditRow, CaseAlertRow, CaseRow, OutcomeRow, ProgramSlaRow, TimelineRow
from services.casework.queries import overdue_conditions

# The aggregate's persistent fields are exactly the row's columns (minus the lock).
_CASE_FIELDS = [f.name for f in fields(Case) if f.name != "changes"]
# SQLAlchemy's version counter starts at 1; rows inserted without the ORM start there too.
_FIRST_VERSION = 1


def _to_domain(row: CaseRow) -> Case:
    values = {name: getattr(row, name) for name in _CASE_FIELDS}
    values["status"] = Status(values["status"])
    return Case(**values)


def _columns(case: Case) -> dict[str, Any]:
    return {name: (v.value if isinstance(v := getattr(case, name), Status) else v) for name in _CASE_FIELDS}


def _timeline_row(case_id: str, change: CaseChange) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": change.seq,
        "kind": change.kind.value,
        "at": change.at,
        "by": change.by,
        "from_status": change.from_status and change.from_status.value,
        "to_status": change.to_status and change.to_status.value,
        "note": change.note,
        "cause": change.cause,
        "owner": change.owner,
        "alert_id": change.alert_id,
        "response_id": change.response_id,
        "current_feeling": change.current_feeling,
        "solved": change.solved,
        "overdue": change.overdue and change.overdue.value,
    }


class CaseRepository:
    """The cases of one unit of work. Changes are kept in memory until `flush`."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self._rows: dict[str, CaseRow] = {}  # loaded rows: updated through the ORM (optimistic lock)
        self._changed: dict[str, Case] = {}  # loaded cases that changed
        self._opened: dict[str, Case] = {}  # cases opened in this unit of work
        self._timeline: list[dict[str, Any]] = []
        self._alerts: list[dict[str, Any]] = []

    # -- reading aggregates -------------------------------------------------------------------

    async def get(self, case_id: str) -> Case | None:
        return next(iter(await self.load(case_ids=[case_id])), None)

    async def load(
        self,
        *,
        case_ids: Collection[str] = (),
        customers: Collection[str] = (),
        statuses: Collection[Status] | None = None,
    ) -> list[Case]:
        """The cases named, and the cases of these customers (in `statuses`, or not closed): one query."""
        wanted = []
        if case_ids:
            wanted.append(CaseRow.case_id.in_(set(case_ids)))
        if customers:
            status = (
                CaseRow.status.in_([s.value for s in statuses])
                if statuses is not None
                else CaseRow.status != Status.CLOSED.value
            )
            wanted.append(and_(CaseRow.customer_id.in_(set(customers)), status))
        if not wanted:
            return []
        rows = (await self.session.scalars(select(CaseRow).where(or_(*wanted)))).all()
        return [self._track(row) for row in rows]

    def _track(self, row: CaseRow) -> Case:
        self._rows[row.case_id] = row
        return _to_domain(row)

    async def alerts_taken(self, alert_ids: Collection[str]) -> set[str]:
        """Which of these alerts a case took already (re-sent under another event id)."""
        if not alert_ids:
            return set()
        return set(
            await self.session.scalars(select(CaseAlertRow.alert_id).where(CaseAlertRow.alert_id.in_(set(alert_ids))))
        )

    async def slas(self, programs: Collection[str]) -> dict[str, Sla]:
        """Each programme's SLA; the defaults for a programme without one."""
        rows = (await self.session.scalars(select(ProgramSlaRow).where(ProgramSlaRow.program.in_(set(programs))))).all()
        stored = {r.program: Sla(r.first_contact_hours, r.close_days) for r in rows}
        return {p: stored.get(p, Sla()) for p in programs}

    async def breach_candidates(self, now: datetime, limit: int) -> list[str]:
        """Cases in breach whose breach is not recorded yet (the SLA watch records it once)."""
        conditions = overdue_conditions(now)
        query = (
            select(CaseRow.case_id)
            .where(
                or_(
                    and_(conditions[Breach.FIRST_CONTACT], CaseRow.first_contact_overdue_at.is_(None)),
                    and_(conditions[Breach.CLOSE], CaseRow.close_overdue_at.is_(None)),
                )
            )
            .order_by(CaseRow.opened_at)
            .limit(limit)
        )
        if is_postgres(self.session.bind):
            # Replicas share the work: each case is recorded by whoever locks it.
            query = query.with_for_update(skip_locked=True)
        return list((await self.session.scalars(query)).all())

    # -- collecting changes -------------------------------------------------------------------

    def opened(self, case: Case) -> None:
        self._opened[case.case_id] = case

    def collect(self, case: Case) -> list[CaseChange]:
        """Take what the aggregate collected (timeline entries to write); returns those changes."""
        changes = case.take_changes()
        if changes and case.case_id not in self._opened:
            self._changed[case.case_id] = case
        self._timeline.extend(_timeline_row(case.case_id, change) for change in changes)
        return changes

    def link_alert(
        self, alert_id: str, case_id: str, response_id: str | None, held_out: bool, raised_at: datetime
    ) -> None:
        self._alerts.append(
            {
                "alert_id": alert_id,
                "case_id": case_id,
                "response_id": response_id,
                "held_out": held_out,
                "raised_at": raised_at,
            }
        )

    async def flush(self) -> None:
        """Write everything collected. Changed cases first: a case closed here frees its customer's
        one active case (a unique index) for the case opened after it."""
        for case_id, case in self._changed.items():
            row = self._rows[case_id]
            for name, value in _columns(case).items():
                setattr(row, name, value)
        if self._changed:
            await self.session.flush()  # an UPDATE per case, each checking its version
        if self._opened:
            await self.session.execute(
                insert(CaseRow.__table__), [{**_columns(c), "version": _FIRST_VERSION} for c in self._opened.values()]
            )
        if self._timeline:
            await self.session.execute(insert(TimelineRow.__table__), self._timeline)
        if self._alerts:
            await self.session.execute(insert(CaseAlertRow.__table__), self._alerts)
        self._changed, self._opened, self._timeline, self._alerts = {}, {}, [], []

    # -- SLAs ---------------------------------------------------------------------------------

    async def put_sla(self, program: str, sla: Sla, *, by: str, now: datetime) -> None:
        row = await self.session.get(ProgramSlaRow, program)
        if row is None:
            row = ProgramSlaRow(program=program)
            self.session.add(row)
        row.first_contact_hours, row.close_days = sla.first_contact_hours, sla.close_days
        row.updated_at, row.updated_by = now, by


async def store_outcomes(
    session: AsyncSession, reports: Sequence[tuple[str, OutcomeRecorded]], *, now: datetime
) -> None:
    """Upsert (event id, outcome) reports: one row per customer, programme and date; the last report wins."""
    latest = latest_per_key(reports)
    if not latest:
        return
    rows = [
        {
            "program": o.program,
            "customer_id": o.customer_id,
            "date": o.date,
            "renewed": o.renewed,
            "revenue": o.revenue,
            "event_id": event_id,
            "recorded_at": now,
        }
        for event_id, o in latest
    ]
    dialect = postgresql if is_postgres(session.bind) else sqlite
    statement = dialect.insert(OutcomeRow.__table__).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["program", "customer_id", "date"],
        set_={name: statement.excluded[name] for name in ("renewed", "revenue", "event_id", "recorded_at")},
        # The event id covers the content: the same report again leaves the row (and recorded_at) alone.
        where=OutcomeRow.__table__.c.event_id != statement.excluded.event_id,
    )
    await session.execute(statement)


async def store_audit_records(session: AsyncSession, records: Sequence[AuditRecorded]) -> None:
    """Append audit records; one already kept (the same id delivered again) stays as it was."""
    if not records:
        return
    rows = [
        {
            "audit_id": r.audit_id,
            "at": r.at,
            "service": r.service,
            "kind": r.kind,
            "actor": r.actor,
            "role": r.role,
            "method": r.method,
            "route": r.route,
            "resource": r.resource,
            "customer_digests": " ".join(r.customer_digests),
            "status": r.status,
            "client": r.client,
        }
        for r in records
    ]
    dialect = postgresql if is_postgres(session.bind) else sqlite
    await session.execute(dialect.insert(AuditRow.__table__).values(rows).on_conflict_do_nothing())


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    """Customer erasure in casework.

    Cases and renewal outcomes stay for the case KPIs, the SLAs and the control-group experiment,
    under one pseudonym per erasure (cases and outcomes share it, so each customer still falls in
    one arm with their outcome), with their states, times, owners, current feelings and outcome
    values. What names or quotes the person goes: the contact (email, name), the case's cause and
    every timeline entry's note and cause (free text agents type, often quoting the customer), and
    the suggested causes' evidence (it quotes the comment); the chosen key and whether it was a
    suggestion stay (figures).
    """
    case_ids = list(await session.scalars(select(CaseRow.case_id).where(CaseRow.customer_id == customer_id)))
    counts = {"cases": 0, "notes": 0, "causes": 0, "outcomes": 0}
    if case_ids:
        # The version moves on: an agent's change read before the erasure fails its optimistic lock
        # instead of writing the contact back from what it read.
        cases = await session.execute(
            update(CaseRow)
            .where(CaseRow.customer_id == customer_id)
            .values(
                customer_id=pseudonym,
                customer_email=None,
                customer_name=None,
                cause=None,
                suggested_causes=None,
                version=CaseRow.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        notes = await session.execute(
            update(TimelineRow)
            .where(TimelineRow.case_id.in_(case_ids), TimelineRow.note.is_not(None))
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        causes = await session.execute(
            update(TimelineRow)
            .where(TimelineRow.case_id.in_(case_ids), TimelineRow.cause.is_not(None))
            .values(cause=None)
            .execution_options(synchronize_session=False)
        )
        counts.update(cases=cases.rowcount or 0, notes=notes.rowcount or 0, causes=causes.rowcount or 0)
    outcomes = await session.execute(
        update(OutcomeRow)
        .where(OutcomeRow.customer_id == customer_id)
        .values(customer_id=pseudonym)
        .execution_options(synchronize_session=False)
    )
    counts["outcomes"] = outcomes.rowcount or 0
    return counts
