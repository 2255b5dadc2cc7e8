"""Casework's use cases: agents work cases and set SLAs, the SLA clock records breaches, CRMs
report renewal outcomes. Each that writes is one unit of work: the case, its timeline and the
outbox rows of its events commit together, or not at all (the events consumed are handlers.py's).

Who did it (`by`) is the API key's `Principal.who` for agents, or one of the system actors
below for what events and the SLA clock do.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from shared.batch import ItemResult, accept_each
from shared.broker import Publisher
from shared.contracts.cases import CaseEvent
from shared.contracts.outcomes import OutcomeRecorded
from shared.errors import Conflict, InvalidInput, NotFound, Unavailable
from shared.events import Envelope, EventType, Topic
from shared.publishing import is_permanent
from shared.uow import UnitOfWork, UnitsOfWork
from services.casework.domain.case import Case, CaseChange, Kind
from services.casework.domain.outcomes import OutcomeIn, date_error, outcome_event_id
from services.casework.domain.sla import Sla, breaches
from services.casework.domain.teams import EVERY_CASE, TeamScope
from services.casework.repository import CaseRepository

SOURCE = "/lazo/casework"
BY_ALERTS = "lazo:alerts"  # a case opened or fed by an alert
BY_SURVEY = "lazo:survey"  # a follow-up survey response
BY_SLA = "lazo:sla"  # the SLA clock

PUBLISHED = {
    Kind.OPENED: EventType.CASE_OPENED,
    Kind.TRANSITIONED: EventType.CASE_TRANSITIONED,
    Kind.CLOSED: EventType.CASE_CLOSED,
    Kind.OVERDUE: EventType.CASE_OVERDUE,
}

_CASE_IDS = uuid.UUID("5b0f3c36-8d7e-4f4a-9a51-1c0de0ca5e00")


def case_id_for(alert_id: str) -> str:
    """The id of the case an alert opens: stable, so a replayed alert can only ever name one case."""
    return str(uuid.uuid5(_CASE_IDS, alert_id))


def case_event(case: Case, change: CaseChange, type_: str) -> Envelope:
    """The CloudEvent of one change: its id is the timeline position, unique per case event."""
    data = CaseEvent(
        case_id=case.case_id,
        customer_id=case.customer_id,
        program=case.program,
        status=(change.to_status or case.status).value,
        previous_status=change.from_status.value if change.from_status else None,
        owner=case.owner,
        cause=change.cause or case.cause,
        note=change.note,
        by=change.by,
        at=change.at,
        alert_id=change.alert_id,
        current_feeling=change.current_feeling,
        overdue=change.overdue.value if change.overdue else None,
        response_id=change.response_id,
    )
    return Envelope.new(
        id=f"{case.case_id}:{change.seq}",
        type=type_,
        source=SOURCE,
        subject=case.customer_id,
        data=data,
        time=change.at,
    )


def collect(repo: CaseRepository, case: Case) -> list[Envelope]:
    """What the aggregate collected: its timeline entries to the repository, and the events to
    publish (call it after each change, so each event shows the case as that change left it)."""
    return [case_event(case, change, type_) for change in repo.collect(case) if (type_ := PUBLISHED.get(change.kind))]


async def save(tx: UnitOfWork, repo: CaseRepository, events: Sequence[Envelope]) -> None:
    await repo.flush()
    await tx.publish_all(Topic.CASES, events)


# -- agents' requests -------------------------------------------------------------------------


@asynccontextmanager
async def _agent_work(uow: UnitsOfWork) -> AsyncIterator[tuple[UnitOfWork, CaseRepository]]:
    """A unit of work for an agent's request: a concurrent change of the same case is a 409."""
    try:
        async with uow() as tx:
            yield tx, CaseRepository(tx.session)
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict("the case changed while this request was applied; reload it and try again") from exc


async def _existing(repo: CaseRepository, case_id: str, scope: TeamScope = EVERY_CASE) -> Case:
    case = await repo.get(case_id)
    if case is None or not scope.sees(case.owner):  # another team's case is not there for this agent
        raise NotFound(f"no case '{case_id}'")
    return case


async def transition(
    uow: UnitsOfWork,
    case_id: str,
    *,
    to: str,
    by: str,
    now: datetime,
    note: str | None = None,
    cause: str | None = None,
    owner: str | None = None,
    cause_key: str | None = None,
    scope: TeamScope = EVERY_CASE,
) -> None:
    async with _agent_work(uow) as (tx, repo):
        case = await _existing(repo, case_id, scope)
        why = scope.assignment_problem(owner) if owner is not None else None
        if why:
            raise InvalidInput(f"owner: {why}", errors=[{"field": "owner", "message": why}])
        case.transition(to, at=now, by=by, note=note, cause=cause, owner=owner, cause_key=cause_key)
        await save(tx, repo, collect(repo, case))


async def confirm(
    uow: UnitsOfWork,
    case_id: str,
    *,
    solved: bool,
    by: str,
    now: datetime,
    current_feeling: float | None = None,
    note: str | None = None,
    scope: TeamScope = EVERY_CASE,
) -> None:
    async with _agent_work(uow) as (tx, repo):
        case = await _existing(repo, case_id, scope)
        case.confirm(solved=solved, current_feeling=current_feeling, note=note, at=now, by=by)
        await save(tx, repo, collect(repo, case))


async def put_sla(uow: UnitsOfWork, program: str, sla: Sla, *, by: str, now: datetime) -> None:
    """Applies to the cases opened from now on; open cases keep the due times they were given."""
    async with _agent_work(uow) as (_, repo):
        await repo.put_sla(program, sla, by=by, now=now)


# -- the SLA clock ----------------------------------------------------------------------------


async def record_breaches(uow: UnitsOfWork, *, now: datetime, batch: int = 200) -> int:
    """Record (and publish, via the outbox) each new SLA breach once; the number recorded."""
    recorded = 0
    while True:
        before = recorded
        async with uow() as tx:
            repo = CaseRepository(tx.session)
            candidates = await repo.breach_candidates(now, batch)
            oldest_first = {case_id: n for n, case_id in enumerate(candidates)}
            events: list[Envelope] = []
            for case in sorted(await repo.load(case_ids=candidates), key=lambda c: oldest_first[c.case_id]):
                for breach in breaches(case.status, case.first_contact_due, case.close_due, now):
                    recorded += case.mark_overdue(breach, at=now, by=BY_SLA)
                events += collect(repo, case)
            await save(tx, repo, events)
        if len(candidates) < batch or recorded == before:  # nothing left, or nothing more to do
            return recorded


# -- renewal outcomes, reported by a CRM ------------------------------------------------------


def outcome_event(outcome: OutcomeRecorded, *, now: datetime, earliest: date | None = None) -> Envelope:
    """The `lazo.outcome.recorded` event of an outcome, or InvalidInput naming the field at fault."""
    if error := date_error(outcome.date, now.date(), earliest):
        raise InvalidInput(f"date: {error}", errors=[{"field": "date", "message": error}])
    data = OutcomeRecorded.model_validate(outcome.model_dump())
    return Envelope.new(
        id=outcome_event_id(data),
        type=EventType.OUTCOME_RECORDED,
        source=SOURCE,
        subject=data.customer_id,
        data=data,
        time=now,
    )


async def accept_outcome(
    publisher: Publisher, outcome: OutcomeRecorded, *, now: datetime, earliest: date | None = None
) -> Envelope:
    """Publish the outcome (casework's consumer is the one writer of the outcomes table, whichever
    way a CRM reports); returns once the broker acknowledged it."""
    envelope = outcome_event(outcome, now=now, earliest=earliest)
    [failure] = await publisher.publish_each(Topic.OUTCOMES, [(envelope.to_bytes(), envelope.key)])
    if failure is not None:
        if is_permanent(failure):
            message = f"refused by the event broker ({type(failure).__name__})"
            raise InvalidInput("the event broker refuses this outcome", errors=[{"field": "body", "message": message}])
        raise Unavailable(f"the event broker did not acknowledge in time ({type(failure).__name__})")
    return envelope


async def accept_outcomes(
    publisher: Publisher, items: Sequence[Any], *, now: datetime, earliest: date | None = None
) -> list[ItemResult]:
    """Validate each item on its own and publish every valid one; each result says what the broker
    has (shared.batch)."""
    return await accept_each(
        publisher,
        Topic.OUTCOMES,
        items,
        name="outcomes",
        id_field="customer_id",
        to_event=lambda raw: outcome_event(OutcomeIn.model_validate(raw), now=now, earliest=earliest),
    )
