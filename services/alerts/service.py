"""Alerts use cases: select scored responses (the consumer), change rules, manage subscriptions.

One unit of work per consumed batch: inbox rows, alerts, attached responses, outbox events and
delivery rows commit together, so a crash or a redelivery can neither lose nor double an alert,
its event, or its pushes.

Why delivery rows are written here rather than by a consumer of `lazo.alerts.v1`: the push is
a side effect of the same fact as the event, so it shares its transaction (no second consumer
group, no extra hop of latency, no window where the event exists and the push does not), and
the body pushed is the very CloudEvent put in the outbox. The limit (only events this service
raises can be pushed) costs nothing: they are all of `lazo.alerts.v1`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.alerts import AlertRaised
from shared.contracts.scores import CustomerContact, ScoreComputed
from shared.db import transaction
from shared.errors import NotFound, PermanentError
from shared.events import Envelope, EventType, Topic, utcnow
from shared.sealing import SecretBox
from shared.tombstones import Action, ErasureGuard
from services.alerts.domain import chat
from services.alerts.domain.rules import DEFAULT_RULES, AlertRules
from services.alerts.domain.selection import Decision, PriorAlert, decide
from services.alerts.models import (Alert, AlertRuleSet, AttachedResponse, Delivery, DeliveryStatus,
                                    Subscription, messaging)

SOURCE = "/lazo/alerts"
_ALERT_IDS = uuid.UUID("6f0b7a52-33a4-4c1e-9d59-1c1f5d0a7e11")


def alert_id_for(response_id: str) -> str:
    """The alert of a response has one id, whichever process or replay raises it."""
    return str(uuid.uuid5(_ALERT_IDS, response_id))


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


_FIRST = datetime.min.replace(tzinfo=timezone.utc)
_LAST = datetime.max.replace(tzinfo=timezone.utc)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """moment + delta, held at the ends of the calendar instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return _LAST if delta > timedelta(0) else _FIRST


def _score(envelope: Envelope) -> ScoreComputed:
    """The score an event carries; poison (dead-lettered, never skipped) if its date cannot be stored."""
    score = envelope.parse(ScoreComputed)
    try:
        as_utc(score.submitted_at)
    except OverflowError:
        raise PermanentError(f"{envelope.type} {envelope.id}: submitted_at is outside the dates Lazo can "
                             "store") from None
    return score


def alert_event(alert: Alert) -> Envelope:
    data = AlertRaised(
        alert_id=alert.alert_id, customer_id=alert.customer_id,
        customer=CustomerContact(email=alert.customer_email, name=alert.customer_name),
        program=alert.program, response_id=alert.response_id, iec=alert.iec, segment=alert.segment,
        reasons=alert.reasons.split(","), comment=alert.comment, touchpoint=alert.touchpoint,
        raised_at=alert.raised_at, previous_iec=alert.previous_iec, control_group=alert.control_group,
        comment_analysis=alert.comment_analysis,
    )
    kind = EventType.ALERT_HELD_OUT if alert.control_group else EventType.ALERT_RAISED
    return Envelope.new(id=f"alert:{alert.alert_id}", type=kind, source=SOURCE, subject=alert.customer_id,
                        data=data, time=alert.raised_at)


@dataclass
class Applied:
    events: int = 0
    deliveries: int = 0


class _Batch:
    """What one batch of scores needs from the database, read in a few queries, not per event."""

    def __init__(self, session: AsyncSession, scores: list[ScoreComputed]):
        self._session = session
        self._scores = scores
        self._rules: dict[str, AlertRules] = {}
        self.known: set[str] = set()
        self._prior: dict[tuple[str, str], list[PriorAlert]] = {}
        self._subscriptions: list[Subscription] | None = None

    async def load(self) -> "_Batch":
        s, scores = self._session, self._scores
        programs = {x.program for x in scores}
        for row in await s.scalars(select(AlertRuleSet).where(AlertRuleSet.program.in_(programs))):
            self._rules[row.program] = rules_of(row)
        ids = [x.response_id for x in scores]
        self.known = set((await s.scalars(union_all(
            select(Alert.response_id).where(Alert.response_id.in_(ids)),
            select(AttachedResponse.response_id).where(AttachedResponse.response_id.in_(ids)),
        ))).all())
        reach = timedelta(days=max(self.rules(p).cooldown_days for p in programs))
        if reach:
            times = [as_utc(x.submitted_at) for x in scores]
            rows = await s.execute(
                select(Alert.alert_id, Alert.customer_id, Alert.program, Alert.submitted_at).where(
                    Alert.customer_id.in_({x.customer_id for x in scores}), Alert.program.in_(programs),
                    Alert.submitted_at > shifted(min(times), -reach), Alert.submitted_at < shifted(max(times), reach)))
            for r in rows:
                self._prior.setdefault((r.customer_id, r.program), []).append(PriorAlert(r.alert_id, r.submitted_at))
        return self

    def rules(self, program: str) -> AlertRules:
        return self._rules.get(program, DEFAULT_RULES)

    def prior(self, customer_id: str, program: str) -> list[PriorAlert]:
        return self._prior.setdefault((customer_id, program), [])

    async def subscribers(self, event_type: str, program: str) -> list[Subscription]:
        if self._subscriptions is None:
            self._subscriptions = list(await self._session.scalars(
                select(Subscription).where(Subscription.deleted_at.is_(None))))
        return [sub for sub in self._subscriptions
                if event_type in sub.event_types and (sub.programs is None or program in sub.programs)]


def delivery_body(fmt: str, envelope: Envelope, dashboard_url: str) -> bytes:
    """What a subscription in `fmt` is sent for an alert event."""
    if fmt in chat.CHAT_FORMATS:
        return chat.render(fmt, envelope.data, chat.case_link(dashboard_url, str(envelope.data.get("alert_id"))))
    return envelope.to_bytes()


async def apply_scores(sessions: async_sessionmaker[AsyncSession], guard: ErasureGuard,
                       envelopes: Sequence[Envelope], *, dashboard_url: str) -> Applied:
    """The consumer's use case: every `lazo.score.computed` goes through the selection rules.

    The score of a customer erased meanwhile is erased on arrival: no alert, no push (acting on
    it could only contact a person who asked to be forgotten), and a record that it came."""
    applied = Applied()
    parsed = [(e, _score(e)) for e in envelopes if e.type == EventType.SCORE_COMPUTED]
    async with transaction(sessions) as session:
        erased = await guard.erased(session, {c for e, score in parsed for c in (e.subject, score.customer_id)})
        fresh = {e.id for e in await messaging.unseen(session, envelopes)}
        late = [e for e, score in parsed if e.id in fresh and {e.subject, score.customer_id} & erased]
        await guard.record(session, late, Action.DROPPED)
        scores = [score for e, score in parsed if e.id in fresh and not {e.subject, score.customer_id} & erased]
        if not scores:
            return applied
        batch = await _Batch(session, scores).load()
        now = utcnow()
        for score in scores:
            # A score re-published under another event id is still the same response.
            if score.response_id in batch.known:
                continue
            batch.known.add(score.response_id)
            submitted_at = as_utc(score.submitted_at)
            prior = batch.prior(score.customer_id, score.program)
            decision = decide(batch.rules(score.program), program=score.program, customer_id=score.customer_id,
                              iec=score.iec, comment=score.comment, previous_iec=score.previous_iec,
                              submitted_at=submitted_at, prior=prior, segment=score.segment,
                              analysis=score.comment_analysis)
            if not decision.selected:
                continue
            if decision.attach_to is not None:
                session.add(AttachedResponse(
                    response_id=score.response_id, alert_id=decision.attach_to, iec=score.iec,
                    segment=score.segment, reasons=",".join(decision.reasons), comment=score.comment,
                    touchpoint=score.touchpoint, submitted_at=submitted_at, attached_at=now))
                continue
            alert = _new_alert(score, decision, submitted_at, now)
            session.add(alert)
            prior.append(PriorAlert(alert.alert_id, submitted_at))
            envelope = alert_event(alert)
            messaging.add(session, Topic.ALERTS, envelope)
            applied.events += 1
            subscribers = await batch.subscribers(envelope.type, alert.program)
            if subscribers:
                bodies = {fmt: delivery_body(fmt, envelope, dashboard_url) for fmt in {s.format for s in subscribers}}
                for sub in subscribers:
                    session.add(Delivery(subscription_id=sub.id, event_id=envelope.id, event_type=envelope.type,
                                         body=bodies[sub.format], status=DeliveryStatus.PENDING, attempt_count=0,
                                         created_at=now, next_attempt_at=now))
                applied.deliveries += len(subscribers)
    return applied


def _new_alert(score: ScoreComputed, decision: Decision, submitted_at: datetime, now: datetime) -> Alert:
    return Alert(
        alert_id=alert_id_for(score.response_id), response_id=score.response_id, customer_id=score.customer_id,
        customer_email=score.customer.email, customer_name=score.customer.name, program=score.program,
        touchpoint=score.touchpoint, iec=score.iec, segment=score.segment, previous_iec=score.previous_iec,
        reasons=",".join(decision.reasons), comment=score.comment, submitted_at=submitted_at, raised_at=now,
        control_group=decision.control_group,
        comment_analysis=score.comment_analysis.model_dump(mode="json") if score.comment_analysis else None,
    )


# --- rules -------------------------------------------------------------------------------------

def rules_of(row: AlertRuleSet) -> AlertRules:
    return AlertRules(**{field: getattr(row, field) for field in AlertRules.model_fields})


async def put_rules(sessions: async_sessionmaker[AsyncSession], program: str, rules: AlertRules,
                    who: str) -> AlertRuleSet:
    """Replace a programme's rules; they apply to responses selected from now on."""
    try:
        return await _save_rules(sessions, program, rules, who)
    except IntegrityError:  # a concurrent first PUT for this programme created the row: update it
        return await _save_rules(sessions, program, rules, who)


async def _save_rules(sessions: async_sessionmaker[AsyncSession], program: str, rules: AlertRules,
                      who: str) -> AlertRuleSet:
    async with transaction(sessions) as s:
        row = await s.get(AlertRuleSet, program)
        if row is None:
            row = AlertRuleSet(program=program)
            s.add(row)
        for field, value in rules.model_dump().items():
            setattr(row, field, value)
        row.updated_at, row.updated_by = utcnow(), who
    return row


# --- subscriptions -----------------------------------------------------------------------------

async def subscribe(sessions: async_sessionmaker[AsyncSession], box: SecretBox, *, url: str, secret: str | None,
                    event_types: list[str], programs: list[str] | None, who: str,
                    fmt: str = chat.CLOUDEVENTS) -> Subscription:
    sub = Subscription(id=f"sub_{secrets.token_hex(8)}", url=url, secret_sealed=box.seal({"secret": secret}),
                       event_types=event_types, programs=programs, format=fmt, created_at=utcnow(), created_by=who)
    async with transaction(sessions) as s:
        s.add(sub)
    return sub


async def unsubscribe(sessions: async_sessionmaker[AsyncSession], subscription_id: str) -> None:
    """Stop pushing: pending deliveries are cancelled; the history stays readable to admins in the DB."""
    async with transaction(sessions) as s:
        sub = await s.get(Subscription, subscription_id)
        if sub is None or sub.deleted_at is not None:
            raise NotFound(f"no subscription '{subscription_id}'")
        sub.deleted_at = utcnow()
        await s.execute(update(Delivery)
                        .where(Delivery.subscription_id == subscription_id,
                               Delivery.status == DeliveryStatus.PENDING)
                        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None))
