"""The events casework consumes, by type (shared.bus): alerts open or feed cases, scored follow-up
responses confirm them, renewal outcomes are stored; erasure requests have a table of their own
(their own consumer group).

Each handler takes a whole run of events with a handful of queries: it loads every case the run
may touch at once, changes the aggregates in memory in the events' order, and writes them with
one INSERT per table (repository.CaseRepository). Most scores concern no case (casework reads
every `lazo.score.computed` for the few follow-ups): one indexed query finds that none of the
run's customers has a case awaiting confirmation, and the run costs nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import TypeVar

from shared.bus import Handler, every_delivery
from shared.clock import Clock, as_utc
from shared.contracts.alerts import AlertRaised
from shared.contracts.audit import AuditRecorded
from shared.contracts.invitations import SurveyInvitation
from shared.contracts.outcomes import OutcomeRecorded
from shared.contracts.scores import ScoreComputed
from shared.erasure import erasure_handler, not_erased
from shared.errors import PermanentError
from shared.events import Envelope, EventData, EventType
from shared.tombstones import ErasureGuard
from shared.uow import UnitOfWork
from services.casework import repository
from services.casework.domain.case import Case, Status
from services.casework.domain.outcomes import date_error
from services.casework.domain.sla import Sla
from services.casework.metrics import FOLLOW_UPS_UNMATCHED
from services.casework.repository import CaseRepository
from services.casework.service import BY_ALERTS, BY_SURVEY, case_id_for, collect, save

log = logging.getLogger("lazo.casework")

D = TypeVar("D", bound=EventData)
BY_PLANNER = "lazo:surveys"  # the survey planner (services/surveys)
Active = dict[tuple[str, str], Case]  # (customer, programme) -> the case not closed


def table(guard: ErasureGuard, clock: Clock, *, earliest: date) -> dict[str, Handler]:
    """Casework's consumer (group `casework`): alerts, scores and outcomes."""
    alerts = partial(take_alerts, guard, clock)
    return {
        EventType.ALERT_RAISED: alerts,
        EventType.ALERT_HELD_OUT: alerts,
        EventType.SCORE_COMPUTED: partial(take_scores, guard, clock),
        # Outcomes are state, the last report wins: each is applied in order even when its event id was
        # seen before, so a correction undone (A, B, then A again: A's id) ends as A. The upsert is
        # idempotent, so a redelivery changes nothing.
        EventType.OUTCOME_RECORDED: every_delivery(partial(take_outcomes, guard, clock, earliest)),
        EventType.SURVEY_FOLLOWUP_EXPIRED: partial(take_expired_follow_ups, guard),
    }


def audit_table() -> dict[str, Handler]:
    """Casework's audit consumer (group `casework-audit`): every service's audit records, kept."""
    return {EventType.AUDIT_RECORDED: take_audit_records}


async def take_audit_records(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
    await repository.store_audit_records(tx.session, [e.parse(AuditRecorded) for e in events])


def erasure_table(guard: ErasureGuard) -> dict[str, Handler]:
    """Casework's erasure consumer (group `casework-erasure`)."""
    return {EventType.CUSTOMER_ERASURE_REQUESTED: erasure_handler(repository.erase, guard)}


async def _not_erased(
    tx: UnitOfWork, guard: ErasureGuard, events: Sequence[Envelope], parse: Callable[[Envelope], D]
) -> list[tuple[Envelope, D]]:
    """The run's events parsed (a poison event fails the run: nothing is written), without those about
    an erased customer: no case opened or fed, no confirmation, no outcome."""
    return await not_erased(tx, guard, [(env, parse(env)) for env in events])


# -- the planner's follow-ups ----------------------------------------------------------------


async def take_expired_follow_ups(guard: ErasureGuard, tx: UnitOfWork, events: Sequence[Envelope]) -> None:
    """The survey planner's follow-up for a case expired unanswered: the case's timeline says so."""
    expired = [
        (env, data)
        for env, data in await _not_erased(tx, guard, events, lambda env: env.parse(SurveyInvitation))
        if data.case_id
    ]
    if not expired:
        return
    repo = CaseRepository(tx.session)
    cases = {c.case_id: c for c in await repo.load(case_ids={data.case_id for _, data in expired})}
    published: list[Envelope] = []
    for _, data in expired:
        case = cases.get(data.case_id)
        if case is not None:
            case.follow_up_unanswered(invitation_id=data.invitation_id, at=as_utc(data.at), by=BY_PLANNER)
            published += collect(repo, case)
    await save(tx, repo, published)


# -- alerts -----------------------------------------------------------------------------------


def alert_note(alert: AlertRaised) -> str:
    note = f"alert {alert.alert_id}: IEC {alert.iec:.1f} ({alert.segment}); reasons: {', '.join(alert.reasons)}"
    if alert.touchpoint:
        note += f"; touchpoint: {alert.touchpoint}"
    if alert.comment:
        note += f"; comment: {alert.comment}"
    return note


def suggested_causes(alert: AlertRaised) -> list[dict]:
    """The causes the comment complains about or mentions (praise is no cause of trouble)."""
    analysis = alert.comment_analysis
    return [c.model_dump() for c in (analysis.causes if analysis else ()) if c.polarity != "positive"]


async def take_alerts(guard: ErasureGuard, clock: Clock, tx: UnitOfWork, events: Sequence[Envelope]) -> None:
    alerts = await _not_erased(tx, guard, events, lambda env: env.parse(AlertRaised))
    if not alerts:
        return
    now = clock.now()
    repo = CaseRepository(tx.session)
    taken = await repo.alerts_taken({a.alert_id for _, a in alerts})
    active: Active = {
        (c.customer_id, c.program): c for c in await repo.load(customers={a.customer_id for _, a in alerts})
    }
    slas = await repo.slas({a.program for _, a in alerts})
    published: list[Envelope] = []
    for env, alert in alerts:
        if alert.alert_id in taken:
            continue  # this alert was taken already (re-sent under another event id)
        taken.add(alert.alert_id)
        held_out = env.type == EventType.ALERT_HELD_OUT or alert.control_group
        published += _take_alert(repo, active, slas[alert.program], alert, held_out=held_out, now=now)
    await save(tx, repo, published)


def _take_alert(
    repo: CaseRepository, active: Active, sla: Sla, alert: AlertRaised, *, held_out: bool, now: datetime
) -> list[Envelope]:
    """Open a case for the alert, or add it to the customer's case that is not closed yet.

    An alert arriving while the case awaits confirmation comes from the customer's newest
    survey: that answer confirms the case (its IEC is the current feeling), and the alert
    opens the next case. The same happens, in the other order, when the score arrives first.
    """
    published: list[Envelope] = []
    key = (alert.customer_id, alert.program)
    raised_at = as_utc(alert.raised_at)
    case = active.get(key)
    if case and case.status is Status.RESPONDED and case.responded_at and raised_at >= case.responded_at:
        case.confirm(
            solved=True,
            current_feeling=alert.iec,
            at=now,
            by=BY_SURVEY,
            response_id=alert.response_id,
            note=f"the customer answered a survey after the response (alert {alert.alert_id})",
        )
        published += collect(repo, case)
        case = None
    if case is not None:
        case.add_alert(
            alert_id=alert.alert_id,
            response_id=alert.response_id,
            at=now,
            by=BY_ALERTS,
            held_out=held_out,
            note=alert_note(alert),
        )
    else:
        # The customer has been waiting since the alert, not since casework read it.
        since = min(raised_at, now)
        case = Case.open(
            case_id=case_id_for(alert.alert_id),
            customer_id=alert.customer_id,
            program=alert.program,
            control=held_out,
            at=now,
            first_contact_due=sla.first_contact_due(since),
            close_due=sla.close_due(since),
            alert_id=alert.alert_id,
            response_id=alert.response_id,
            by=BY_ALERTS,
            customer_email=alert.customer.email,
            customer_name=alert.customer.name,
            note=alert_note(alert),
            suggested_causes=suggested_causes(alert),
        )
        repo.opened(case)
        active[key] = case
    published += collect(repo, case)
    repo.link_alert(alert.alert_id, case.case_id, alert.response_id, held_out, raised_at)
    return published


# -- scored follow-ups ------------------------------------------------------------------------


async def take_scores(guard: ErasureGuard, clock: Clock, tx: UnitOfWork, events: Sequence[Envelope]) -> None:
    """A scored response may confirm a case: the one it names, or the customer's responded case.

    Only a `responded` case is closed (the company has answered; the customer's new IEC is how
    they feel now). A follow-up naming a case still being worked is noted in its timeline.
    Not solved is only the agent's call: a low follow-up IEC still closes, with that feeling,
    and a new alert from the same response opens the next case.
    """
    scores = await _not_erased(tx, guard, events, lambda env: env.parse(ScoreComputed))
    named = {s.case_id for _, s in scores if s.case_id}
    unnamed = {s.customer_id for _, s in scores if not s.case_id}
    repo = CaseRepository(tx.session)
    cases = await repo.load(case_ids=named, customers=unnamed, statuses=[Status.RESPONDED])
    if not cases:
        return  # the usual run: no follow-up among these scores
    now = clock.now()
    by_id = {c.case_id: c for c in cases}
    responded: Active = {(c.customer_id, c.program): c for c in cases if c.status is Status.RESPONDED}
    published: list[Envelope] = []
    for _, score in scores:
        key = (score.customer_id, score.program)
        if score.case_id:
            case = by_id.get(score.case_id)
            if case is None or case.customer_id != score.customer_id:
                # The response itself is scored and kept; only its link to a case is wrong. Counted and
                # logged (without the customer: a log line carries no personal data), not dead-lettered.
                FOLLOW_UPS_UNMATCHED.inc()
                log.info(
                    "follow-up %s names case %s, which is not a case of its customer; no case to confirm",
                    score.response_id,
                    score.case_id,
                )
                continue
        else:
            case = responded.get(key)
            # Only a survey answered while the case awaited confirmation speaks about the response.
            if case is None or (case.responded_at and as_utc(score.submitted_at) < case.responded_at):
                continue
        if case.status is Status.RESPONDED:
            case.confirm(
                solved=True,
                current_feeling=score.iec,
                at=now,
                by=BY_SURVEY,
                response_id=score.response_id,
                note=f"confirmed by follow-up survey {score.response_id}",
            )
            if responded.get((case.customer_id, case.program)) is case:
                del responded[(case.customer_id, case.program)]
        elif case.status is Status.CLOSED:
            continue
        else:
            case.record_follow_up(response_id=score.response_id, current_feeling=score.iec, at=now, by=BY_SURVEY)
        published += collect(repo, case)
    await save(tx, repo, published)


# -- renewal outcomes -------------------------------------------------------------------------


def parse_outcome(envelope: Envelope, *, earliest: date | None = None) -> OutcomeRecorded:
    """The outcome an event carries; a malformed or out-of-range one is poison (dead-letter)."""
    outcome = envelope.parse(OutcomeRecorded)
    if error := date_error(outcome.date, envelope.time.date(), earliest):
        raise PermanentError(f"{envelope.type} {envelope.id}: date {error}")
    return outcome


async def take_outcomes(
    guard: ErasureGuard, clock: Clock, earliest: date, tx: UnitOfWork, events: Sequence[Envelope]
) -> None:
    outcomes = await _not_erased(tx, guard, events, partial(parse_outcome, earliest=earliest))
    await repository.store_outcomes(tx.session, [(env.id, o) for env, o in outcomes], now=clock.now())
