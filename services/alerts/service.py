"""Alerts' use cases: change a programme's rules, manage push subscriptions; and what an alert is
as an event and as a push (the scores consumed are handlers.py's). Each that writes is one unit
of work.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from shared.contracts.alerts import AlertRaised
from shared.contracts.scores import CustomerContact, ScoreComputed
from shared.errors import NotFound
from shared.events import Envelope, EventType, utcnow
from shared.sealing import SecretBox
from shared.uow import UnitsOfWork
from services.alerts import repository
from services.alerts.domain import chat
from services.alerts.domain.rules import AlertRules
from services.alerts.domain.selection import Decision
from services.alerts.models import Alert, AlertRuleSet, Subscription

SOURCE = "/lazo/alerts"
_ALERT_IDS = uuid.UUID("6f0b7a52-33a4-4c1e-9d59-1c1f5d0a7e11")


def alert_id_for(response_id: str) -> str:
    """The alert of a response has one id, whichever process or replay raises it."""
    return str(uuid.uuid5(_ALERT_IDS, response_id))


def alert_event(alert: Alert) -> Envelope:
    data = AlertRaised(
        alert_id=alert.alert_id,
        customer_id=alert.customer_id,
        customer=CustomerContact(email=alert.customer_email, name=alert.customer_name),
        program=alert.program,
        response_id=alert.response_id,
        iec=alert.iec,
        segment=alert.segment,
        reasons=alert.reasons.split(","),
        comment=alert.comment,
        touchpoint=alert.touchpoint,
        raised_at=alert.raised_at,
        previous_iec=alert.previous_iec,
        control_group=alert.control_group,
        comment_analysis=alert.comment_analysis,
    )
    kind = EventType.ALERT_HELD_OUT if alert.control_group else EventType.ALERT_RAISED
    return Envelope.new(
        id=f"alert:{alert.alert_id}",
        type=kind,
        source=SOURCE,
        subject=alert.customer_id,
        data=data,
        time=alert.raised_at,
    )


def delivery_body(fmt: str, envelope: Envelope, dashboard_url: str, language: str = "en") -> bytes:
    """What a subscription in `fmt` (and, for a chat message, `language`) is sent for an alert event."""
    if fmt in chat.CHAT_FORMATS:
        return chat.render(
            fmt, envelope.data, chat.case_link(dashboard_url, str(envelope.data.get("alert_id"))), language
        )
    return envelope.to_bytes()


def _new_alert(score: ScoreComputed, decision: Decision, submitted_at: datetime, now: datetime) -> Alert:
    return Alert(
        alert_id=alert_id_for(score.response_id),
        response_id=score.response_id,
        customer_id=score.customer_id,
        customer_email=score.customer.email,
        customer_name=score.customer.name,
        program=score.program,
        touchpoint=score.touchpoint,
        iec=score.iec,
        segment=score.segment,
        previous_iec=score.previous_iec,
        reasons=",".join(decision.reasons),
        comment=score.comment,
        submitted_at=submitted_at,
        raised_at=now,
        control_group=decision.control_group,
        comment_analysis=score.comment_analysis.model_dump(mode="json") if score.comment_analysis else None,
    )


# --- rules -------------------------------------------------------------------------------------


async def put_rules(uow: UnitsOfWork, program: str, rules: AlertRules, who: str) -> AlertRuleSet:
    """Replace a programme's rules; they apply to responses selected from now on."""
    for attempt in (1, 2):
        try:
            async with uow() as tx:
                return await repository.save_rules(tx.session, program, rules, who)
        except IntegrityError:  # a concurrent first PUT for this programme created the row: update it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# --- subscriptions -----------------------------------------------------------------------------


async def subscribe(
    uow: UnitsOfWork,
    box: SecretBox,
    *,
    url: str,
    secret: str | None,
    event_types: list[str],
    programs: list[str] | None,
    who: str,
    fmt: str = chat.CLOUDEVENTS,
    language: str = "en",
) -> Subscription:
    sub = Subscription(
        id=f"sub_{secrets.token_hex(8)}",
        url=url,
        secret_sealed=box.seal({"secret": secret}),
        event_types=event_types,
        programs=programs,
        format=fmt,
        language=language,
        created_at=utcnow(),
        created_by=who,
    )
    async with uow() as tx:
        tx.session.add(sub)
    return sub


async def unsubscribe(uow: UnitsOfWork, subscription_id: str) -> None:
    """Stop pushing: pending deliveries are cancelled; the history stays readable to admins in the DB."""
    async with uow() as tx:
        if not await repository.end_subscription(tx.session, subscription_id):
            raise NotFound(f"no subscription '{subscription_id}'")
