"""Alerts' writes, inside the caller's unit of work: what a batch of scores needs read for its
decisions, the alerts, attached responses and deliveries it writes, rules, subscriptions, and a
customer's erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import as_utc
from shared.contracts.scores import ScoreComputed
from shared.events import utcnow
from services.alerts.domain.chat import CHAT_FORMATS
from services.alerts.domain.erasure import ERASED, ERASED_MESSAGE, scrub_event
from services.alerts.domain.rules import DEFAULT_RULES, AlertRules
from services.alerts.domain.selection import PriorAlert
from services.alerts.models import (
    Alert,
    AlertRuleSet,
    AttachedResponse,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
)
from services.alerts.queries import rules_of

_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """moment + delta, held at the ends of the calendar instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return _LAST if delta > timedelta(0) else _FIRST


class ScoreBatch:
    """What one batch of scores needs from the database, read in a few queries, not per event."""

    def __init__(self, session: AsyncSession, scores: list[ScoreComputed]):
        self._session = session
        self._scores = scores
        self._rules: dict[str, AlertRules] = {}
        self.known: set[str] = set()
        self._prior: dict[tuple[str, str], list[PriorAlert]] = {}
        self._subscriptions: list[Subscription] | None = None

    async def load(self) -> ScoreBatch:
        s, scores = self._session, self._scores
        programs = {x.program for x in scores}
        for row in await s.scalars(select(AlertRuleSet).where(AlertRuleSet.program.in_(programs))):
            self._rules[row.program] = rules_of(row)
        ids = [x.response_id for x in scores]
        self.known = set(
            (
                await s.scalars(
                    union_all(
                        select(Alert.response_id).where(Alert.response_id.in_(ids)),
                        select(AttachedResponse.response_id).where(AttachedResponse.response_id.in_(ids)),
                    )
                )
            ).all()
        )
        reach = timedelta(days=max(self.rules(p).cooldown_days for p in programs))
        if reach:
            times = [as_utc(x.submitted_at) for x in scores]
            rows = await s.execute(
                select(Alert.alert_id, Alert.customer_id, Alert.program, Alert.submitted_at).where(
                    Alert.customer_id.in_({x.customer_id for x in scores}),
                    Alert.program.in_(programs),
                    Alert.submitted_at > shifted(min(times), -reach),
                    Alert.submitted_at < shifted(max(times), reach),
                )
            )
            for r in rows:
                self._prior.setdefault((r.customer_id, r.program), []).append(PriorAlert(r.alert_id, r.submitted_at))
        return self

    def rules(self, program: str) -> AlertRules:
        return self._rules.get(program, DEFAULT_RULES)

    def prior(self, customer_id: str, program: str) -> list[PriorAlert]:
        return self._prior.setdefault((customer_id, program), [])

    async def subscribers(self, event_type: str, program: str) -> list[Subscription]:
        if self._subscriptions is None:
            self._subscriptions = list(
                await self._session.scalars(select(Subscription).where(Subscription.deleted_at.is_(None)))
            )
        return [
            sub
            for sub in self._subscriptions
            if event_type in sub.event_types and (sub.programs is None or program in sub.programs)
        ]


async def due_deliveries(
    s: AsyncSession, *, now: datetime, limit: int, excluding: Sequence[str], skip_locked: bool
) -> list:
    """Pending deliveries due now, oldest first, with their subscription's url, sealed secret and
    format; none of the `excluding` subscriptions (replicas on PostgreSQL skip each other's)."""
    query = (
        select(Delivery, Subscription.url, Subscription.secret_sealed, Subscription.format)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    if excluding:
        query = query.where(Delivery.subscription_id.not_in(excluding))
    if skip_locked:
        query = query.with_for_update(of=Delivery, skip_locked=True)
    return list((await s.execute(query)).all())


async def record_attempt(
    s: AsyncSession,
    delivery_id: int,
    *,
    status: str,
    attempt: int,
    at: datetime,
    next_at: datetime | None,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
) -> bool:
    """A push attempt and where it leaves the delivery; False when it is no longer pending (cancelled)."""
    delivery = await s.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return False
    delivery.status = status
    delivery.attempt_count = attempt
    delivery.next_attempt_at = next_at
    delivery.last_status_code = status_code
    delivery.last_error = error
    if status == DeliveryStatus.DELIVERED:
        delivery.delivered_at = at
    s.add(
        DeliveryAttempt(
            delivery_id=delivery_id,
            attempted_at=at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
            next_attempt_at=next_at,
        )
    )
    return True


async def save_rules(s: AsyncSession, program: str, rules: AlertRules, who: str) -> AlertRuleSet:
    row = await s.get(AlertRuleSet, program)
    if row is None:
        row = AlertRuleSet(program=program)
        s.add(row)
    for field, value in rules.model_dump().items():
        setattr(row, field, value)
    row.updated_at, row.updated_by = utcnow(), who
    return row


async def end_subscription(s: AsyncSession, subscription_id: str) -> bool:
    """Mark it deleted and cancel its pending deliveries; False when there is none to end."""
    sub = await s.get(Subscription, subscription_id)
    if sub is None or sub.deleted_at is not None:
        return False
    sub.deleted_at = utcnow()
    await s.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
    )
    return True


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    """Customer erasure in alerts (domain.erasure says what stays and what goes)."""
    A = Alert
    alert_ids = list(await session.scalars(select(A.alert_id).where(A.customer_id == customer_id)))
    counts = {"alerts": 0, "attached_responses": 0, "deliveries": 0, "cancelled_deliveries": 0}
    if not alert_ids:
        return counts
    alerts = await session.execute(
        update(A)
        .where(A.customer_id == customer_id)
        .values(customer_id=pseudonym, customer_email=None, customer_name=None, comment=None, comment_analysis=None)
        .execution_options(synchronize_session=False)
    )
    attached = await session.execute(
        update(AttachedResponse)
        .where(AttachedResponse.alert_id.in_(alert_ids), AttachedResponse.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    counts.update(alerts=alerts.rowcount or 0, attached_responses=attached.rowcount or 0)
    # The event id service.alert_event gives an alert.
    event_ids = [f"alert:{alert_id}" for alert_id in alert_ids]
    deliveries = await session.execute(
        select(Delivery, Subscription.format)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.event_id.in_(event_ids))
    )
    for delivery, fmt in deliveries.all():
        scrubbed = ERASED_MESSAGE if fmt in CHAT_FORMATS else scrub_event(delivery.body, pseudonym)
        if scrubbed != delivery.body:
            delivery.body = scrubbed
            counts["deliveries"] += 1
        if delivery.status == DeliveryStatus.PENDING:
            # The dispatcher records no outcome over a delivery that is no longer pending.
            delivery.status, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.CANCELLED, None, ERASED
            counts["cancelled_deliveries"] += 1
    return counts
