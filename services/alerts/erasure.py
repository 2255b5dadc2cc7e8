"""Customer erasure in alerts.

The alerts stay (the alert counts, the cool-down's history and the control group need them),
under the erasure's pseudonym, without contact (email, name) or comment; the responses attached
to them lose their comment. The stored bodies of their push deliveries are scrubbed the same
way (pseudonym, no contact, no comment), and those not yet delivered are cancelled: a contact
centre has nothing to act on for a customer who asked to be forgotten. A chat message (Slack,
Teams) is replaced whole: its text is made of the customer's data. Delivery attempts hold
only status codes and errors of the contact centre's endpoint.
"""

from __future__ import annotations

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.domain.chat import CHAT_FORMATS
from services.alerts.models import Alert, AttachedResponse, Delivery, DeliveryStatus, Subscription

ERASED = "cancelled: the customer was erased"
ERASED_MESSAGE = orjson.dumps({"erased": "the customer was erased"})


def scrub_event(body: bytes, pseudonym: str | None = None) -> bytes:
    """A structured CloudEvent of an alert without the customer's contact and comments, and with
    `pseudonym` (when given) in place of the customer id."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body  # not ours to read; nothing this service wrote
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return body
    customer = data.get("customer")
    contact = isinstance(customer, dict) and (customer.get("email") is not None or customer.get("name") is not None)
    renamed = pseudonym is not None and (event.get("subject") != pseudonym or data.get("customer_id") != pseudonym)
    if not contact and not renamed and data.get("comment") is None and data.get("comment_analysis") is None:
        return body
    if contact:
        data["customer"] = {**customer, "email": None, "name": None}
    data["comment"] = None
    if "comment_analysis" in data:  # its evidence quotes the comment
        data["comment_analysis"] = None
    if pseudonym is not None:
        event["subject"] = pseudonym
        data["customer_id"] = pseudonym
    return orjson.dumps(event)


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    A = Alert
    alert_ids = list(await session.scalars(select(A.alert_id).where(A.customer_id == customer_id)))
    counts = {"alerts": 0, "attached_responses": 0, "deliveries": 0, "cancelled_deliveries": 0}
    if not alert_ids:
        return counts
    alerts = await session.execute(
        update(A).where(A.customer_id == customer_id)
        .values(customer_id=pseudonym, customer_email=None, customer_name=None, comment=None,
                comment_analysis=None)
        .execution_options(synchronize_session=False))
    attached = await session.execute(
        update(AttachedResponse).where(AttachedResponse.alert_id.in_(alert_ids), AttachedResponse.comment.is_not(None))
        .values(comment=None).execution_options(synchronize_session=False))
    counts.update(alerts=alerts.rowcount or 0, attached_responses=attached.rowcount or 0)
    # The event id service.alert_event gives an alert.
    event_ids = [f"alert:{alert_id}" for alert_id in alert_ids]
    deliveries = await session.execute(
        select(Delivery, Subscription.format).join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.event_id.in_(event_ids)))
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

