"""The events alerts consumes, by type (shared.bus): every `lazo.score.computed` goes through the
selection rules (group `alerts`); erasure requests have a table of their own.

One unit of work per consumed batch: inbox rows, alerts, attached responses, outbox events and
delivery rows commit together, so a crash or a redelivery can neither lose nor double an alert,
its event, or its pushes; the batch reads what its decisions need in a few queries
(repository.ScoreBatch), not per event.

Why delivery rows are written here rather than by a consumer of `lazo.alerts.v1`: the push is
a side effect of the same fact as the event, so it shares its transaction (no second consumer
group, no extra hop of latency, no window where the event exists and the push does not), and
the body pushed is the very CloudEvent put in the outbox. The limit (only events this service
raises can be pushed) costs nothing: they are all of `lazo.alerts.v1`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from shared.bus import Handler
from shared.clock import Clock, as_utc
from shared.contracts.scores import ScoreComputed
from shared.erasure import erasure_handler, not_erased
from shared.errors import PermanentError
from shared.events import Envelope, EventType, Topic
from shared.tombstones import ErasureGuard
from shared.uow import UnitOfWork
from services.alerts import repository
from services.alerts.domain.selection import PriorAlert, decide
from services.alerts.models import AttachedResponse, Delivery, DeliveryStatus
from services.alerts.service import _new_alert, alert_event, delivery_body


def table(
    guard: ErasureGuard, clock: Clock, *, dashboard_url: str, pushes_due: Callable[[], None]
) -> dict[str, Handler]:
    """`pushes_due`: wakes the delivery worker once a batch that wrote deliveries has committed."""
    return {EventType.SCORE_COMPUTED: partial(take_scores, guard, clock, dashboard_url, pushes_due)}


def erasure_table(guard: ErasureGuard) -> dict[str, Handler]:
    return {EventType.CUSTOMER_ERASURE_REQUESTED: erasure_handler(repository.erase, guard)}


def parse_score(envelope: Envelope) -> ScoreComputed:
    """The score an event carries; poison (dead-lettered, never skipped) if its date cannot be stored."""
    score = envelope.parse(ScoreComputed)
    try:
        as_utc(score.submitted_at)
    except OverflowError:
        raise PermanentError(
            f"{envelope.type} {envelope.id}: submitted_at is outside the dates Lazo can store"
        ) from None
    return score


async def take_scores(
    guard: ErasureGuard,
    clock: Clock,
    dashboard_url: str,
    pushes_due: Callable[[], None],
    tx: UnitOfWork,
    events: Sequence[Envelope],
) -> None:
    """The score of a customer erased meanwhile is erased on arrival: no alert, no push (acting on
    it could only contact a person who asked to be forgotten), and a record that it came."""
    session = tx.session
    scores = [score for _, score in await not_erased(tx, guard, [(e, parse_score(e)) for e in events])]
    if not scores:
        return
    batch = await repository.ScoreBatch(session, scores).load()
    now = clock.now()
    raised: list[Envelope] = []
    pushes = False
    for score in scores:
        # A score re-published under another event id is still the same response.
        if score.response_id in batch.known:
            continue
        batch.known.add(score.response_id)
        submitted_at = as_utc(score.submitted_at)
        prior = batch.prior(score.customer_id, score.program)
        decision = decide(
            batch.rules(score.program),
            program=score.program,
            customer_id=score.customer_id,
            iec=score.iec,
            comment=score.comment,
            previous_iec=score.previous_iec,
            submitted_at=submitted_at,
            prior=prior,
            segment=score.segment,
            analysis=score.comment_analysis,
        )
        if not decision.selected:
            continue
        if decision.attach_to is not None:
            session.add(
                AttachedResponse(
                    response_id=score.response_id,
                    alert_id=decision.attach_to,
                    iec=score.iec,
                    segment=score.segment,
                    reasons=",".join(decision.reasons),
                    comment=score.comment,
                    touchpoint=score.touchpoint,
                    submitted_at=submitted_at,
                    attached_at=now,
                )
            )
            continue
        alert = _new_alert(score, decision, submitted_at, now)
        session.add(alert)
        prior.append(PriorAlert(alert.alert_id, submitted_at))
        envelope = alert_event(alert)
        raised.append(envelope)
        subscribers = await batch.subscribers(envelope.type, alert.program)
        if subscribers:
            bodies = {
                (fmt, lang): delivery_body(fmt, envelope, dashboard_url, lang)
                for fmt, lang in {(s.format, s.language) for s in subscribers}
            }
            for sub in subscribers:
                session.add(
                    Delivery(
                        subscription_id=sub.id,
                        event_id=envelope.id,
                        event_type=envelope.type,
                        body=bodies[sub.format, sub.language],
                        status=DeliveryStatus.PENDING,
                        attempt_count=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
            pushes = True
    await tx.publish_all(Topic.ALERTS, raised)
    if pushes:
        tx.after_commit(pushes_due)
