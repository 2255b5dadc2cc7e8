"""Casework use cases. Each runs as one unit of work: the case, its timeline, the alerts it took
and the outbox rows of its events commit together, or not at all.

Who did it (`by`) is the API key's `Principal.who` for agents, or one of the system actors
below for what events and the SLA clock do.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from shared.contracts.alerts import AlertRaised
from shared.contracts.cases import CaseEvent
from shared.contracts.scores import ScoreComputed
from shared.db import transaction
from shared.errors import Conflict, NotFound
from shared.events import Envelope, EventType, Topic
from services.casework.domain.case import Case, CaseChange, Kind, Status
from services.casework.domain.sla import Sla, breaches
from services.casework.metrics import FOLLOW_UPS_UNMATCHED
from services.casework.models import ProgramSlaRow, messaging
from services.casework.repository import CaseRepository, breach_candidates

log = logging.getLogger("lazo.casework")

SOURCE = "/lazo/casework"
BY_ALERTS = "lazo:alerts"  # a case opened or fed by an alert
BY_SURVEY = "lazo:survey"  # a follow-up survey response
BY_SLA = "lazo:sla"  # the SLA clock

PUBLISHED = {Kind.OPENED: EventType.CASE_OPENED, Kind.TRANSITIONED: EventType.CASE_TRANSITIONED,
             Kind.CLOSED: EventType.CASE_CLOSED, Kind.OVERDUE: EventType.CASE_OVERDUE}

_CASE_IDS = uuid.UUID("5b0f3c36-8d7e-4f4a-9a51-1c0de0ca5e00")


def as_utc(moment: datetime) -> datetime:
    """Producers that omit the offset mean UTC; comparing with our aware clock needs one."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def case_id_for(alert_id: str) -> str:
    """The id of the case an alert opens: stable, so a replayed alert can only ever name one case."""
    return str(uuid.uuid5(_CASE_IDS, alert_id))


def case_event(case: Case, change: CaseChange, type_: str) -> Envelope:
    """The CloudEvent of one change: its id is the timeline position, unique per case event."""
    data = CaseEvent(
        case_id=case.case_id, customer_id=case.customer_id, program=case.program,
        status=(change.to_status or case.status).value,
        previous_status=change.from_status.value if change.from_status else None,
        owner=case.owner, cause=change.cause or case.cause, note=change.note, by=change.by, at=change.at,
        alert_id=change.alert_id, current_feeling=change.current_feeling,
        overdue=change.overdue.value if change.overdue else None, response_id=change.response_id)
    return Envelope.new(id=f"{case.case_id}:{change.seq}", type=type_, source=SOURCE, subject=case.customer_id,
                        data=data, time=change.at)


async def _store(session: AsyncSession, repo: CaseRepository, case: Case) -> None:
    """Timeline rows and outbox rows for everything the aggregate collected."""
    for change in await repo.save(case):
        if type_ := PUBLISHED.get(change.kind):
            messaging.add(session, Topic.CASES, case_event(case, change, type_))


@asynccontextmanager
async def _agent_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work for an agent's request: a concurrent change of the same case is a 409."""
    try:
        async with transaction(sessions) as session:
            yield session
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict("the case changed while this request was applied; reload it and try again") from exc


# -- events in (called by the consumer inside its transaction) --------------------------------

def _alert_note(alert: AlertRaised) -> str:
    note = f"alert {alert.alert_id}: IEC {alert.iec:.1f} ({alert.segment}); reasons: {', '.join(alert.reasons)}"
    if alert.touchpoint:
        note += f"; touchpoint: {alert.touchpoint}"
    if alert.comment:
        note += f"; comment: {alert.comment}"
    return note


async def take_alert(session: AsyncSession, alert: AlertRaised, *, held_out: bool, now: datetime) -> None:
    """Open a case for the alert, or add it to the customer's case that is not closed yet.

    An alert arriving while the case awaits confirmation comes from the customer's newest
    survey: that answer confirms the case (its IEC is the current feeling), and the alert
    opens the next case. The same happens, in the other order, when the score arrives first.
    """
    repo = CaseRepository(session)
    if await repo.case_of_alert(alert.alert_id):
        return  # this alert was taken already (re-sent under another event id)
    raised_at = as_utc(alert.raised_at)
    case = await repo.not_closed_for(alert.customer_id, alert.program)
    if case and case.status is Status.RESPONDED and case.responded_at and raised_at >= case.responded_at:
        case.confirm(solved=True, current_feeling=alert.iec, at=now, by=BY_SURVEY, response_id=alert.response_id,
                     note=f"the customer answered a survey after the response (alert {alert.alert_id})")
        await _store(session, repo, case)
        case = None
    if case is not None:
        case.add_alert(alert_id=alert.alert_id, response_id=alert.response_id, at=now, by=BY_ALERTS,
                       held_out=held_out, note=_alert_note(alert))
    else:
        sla = await repo.sla_of(alert.program)
        # The customer has been waiting since the alert, not since casework read it.
        since = min(raised_at, now)
        case = Case.open(case_id=case_id_for(alert.alert_id), customer_id=alert.customer_id, program=alert.program,
                         control=held_out, at=now, first_contact_due=sla.first_contact_due(since),
                         close_due=sla.close_due(since), alert_id=alert.alert_id, response_id=alert.response_id,
                         by=BY_ALERTS, customer_email=alert.customer.email, customer_name=alert.customer.name,
                         note=_alert_note(alert))
    await _store(session, repo, case)
    repo.link_alert(alert.alert_id, case.case_id, alert.response_id, held_out, raised_at)


async def take_follow_up(session: AsyncSession, score: ScoreComputed, *, now: datetime) -> None:
    """A scored response may confirm a case: the one it names, or the customer's responded case.

    Only a `responded` case is closed (the company has answered; the customer's new IEC is how
    they feel now). A follow-up naming a case still being worked is noted in its timeline.
    Not solved is only the agent's call: a low follow-up IEC still closes, with that feeling,
    and a new alert from the same response opens the next case.
    """
    repo = CaseRepository(session)
    if score.case_id:
        case = await repo.get(score.case_id)
        if case is None or case.customer_id != score.customer_id:
            # The response itself is scored and kept; only its link to a case is wrong. Counted and
            # logged (without the customer: a log line carries no personal data), not dead-lettered.
            FOLLOW_UPS_UNMATCHED.inc()
            log.info("follow-up %s names case %s, which is not a case of its customer; no case to confirm",
                     score.response_id, score.case_id)
            return
    else:
        case = await repo.awaiting_confirmation(score.customer_id, score.program)
        # Only a survey answered while the case awaited confirmation speaks about the response.
        if case is None or (case.responded_at and as_utc(score.submitted_at) < case.responded_at):
            return
    if case.status is Status.RESPONDED:
        case.confirm(solved=True, current_feeling=score.iec, at=now, by=BY_SURVEY, response_id=score.response_id,
                     note=f"confirmed by follow-up survey {score.response_id}")
    elif case.status is Status.CLOSED:
        return
    else:
        case.record_follow_up(response_id=score.response_id, current_feeling=score.iec, at=now, by=BY_SURVEY)
    await _store(session, repo, case)


# -- agents' requests -------------------------------------------------------------------------

async def transition(sessions: async_sessionmaker[AsyncSession], case_id: str, *, to: str, by: str, now: datetime,
                     note: str | None = None, cause: str | None = None, owner: str | None = None) -> None:
    async with _agent_work(sessions) as session:
        repo = CaseRepository(session)
        case = await _existing(repo, case_id)
        case.transition(to, at=now, by=by, note=note, cause=cause, owner=owner)
        await _store(session, repo, case)


async def confirm(sessions: async_sessionmaker[AsyncSession], case_id: str, *, solved: bool, by: str, now: datetime,
                  current_feeling: float | None = None, note: str | None = None) -> None:
    async with _agent_work(sessions) as session:
        repo = CaseRepository(session)
        case = await _existing(repo, case_id)
        case.confirm(solved=solved, current_feeling=current_feeling, note=note, at=now, by=by)
        await _store(session, repo, case)


async def _existing(repo: CaseRepository, case_id: str) -> Case:
    case = await repo.get(case_id)
    if case is None:
        raise NotFound(f"no case '{case_id}'")
    return case


async def get_sla(session: AsyncSession, program: str) -> tuple[Sla, ProgramSlaRow | None]:
    row = await session.get(ProgramSlaRow, program)
    return (Sla(row.first_contact_hours, row.close_days) if row else Sla()), row


async def put_sla(sessions: async_sessionmaker[AsyncSession], program: str, sla: Sla, *, by: str,
                  now: datetime) -> None:
    """Applies to the cases opened from now on; open cases keep the due times they were given."""
    async with _agent_work(sessions) as session:
        row = await session.get(ProgramSlaRow, program)
        if row is None:
            row = ProgramSlaRow(program=program)
            session.add(row)
        row.first_contact_hours, row.close_days = sla.first_contact_hours, sla.close_days
        row.updated_at, row.updated_by = now, by


# -- the SLA clock ----------------------------------------------------------------------------

async def record_breaches(sessions: async_sessionmaker[AsyncSession], *, now: datetime, batch: int = 200) -> int:
    """Record (and publish, via the outbox) each new SLA breach once; the number recorded."""
    recorded = 0
    while True:
        before = recorded
        async with transaction(sessions) as session:
            repo = CaseRepository(session)
            candidates = await breach_candidates(session, now, batch)
            for case_id in candidates:
                case = await repo.get(case_id)
                if case is None:
                    continue
                for breach in breaches(case.status, case.first_contact_due, case.close_due, now):
                    recorded += case.mark_overdue(breach, at=now, by=BY_SLA)
                await _store(session, repo, case)
        if len(candidates) < batch or recorded == before:  # nothing left, or nothing more to do
            return recorded
