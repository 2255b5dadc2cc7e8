"""Customer erasure in alerts: the contact (email, name) and comments on the customer's alerts and
on the responses attached to them, and the same fields in the bodies of their push deliveries
(pending ones then go out without them; the signature is computed when sending). The alerts
themselves stay: the selection, the cool-down and the control group still need them."""

from __future__ import annotations

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.models import Alert, AttachedResponse, Delivery


def scrub_event(body: bytes) -> bytes:
    """A structured CloudEvent of an alert without the customer's contact and comments."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body  # not ours to read; nothing this service wrote
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return body
    customer = data.get("customer")
    contact = isinstance(customer, dict) and (customer.get("email") is not None or customer.get("name") is not None)
    if not contact and data.get("comment") is None:
        return body
    if contact:
        data["customer"] = {**customer, "email": None, "name": None}
    data["comment"] = None
    return orjson.dumps(event)


async def erase(session: AsyncSession, customer_id: str) -> dict[str, int]:
    A = Alert
    alert_ids = list(await session.scalars(select(A.alert_id).where(A.customer_id == customer_id)))
    if not alert_ids:
        return {"alerts": 0, "attached_responses": 0, "deliveries": 0}
    alerts = await session.execute(
        update(A).where(A.customer_id == customer_id,
                        or_(A.customer_email.is_not(None), A.customer_name.is_not(None), A.comment.is_not(None)))
        .values(customer_email=None, customer_name=None, comment=None).execution_options(synchronize_session=False))
    attached = await session.execute(
        update(AttachedResponse).where(AttachedResponse.alert_id.in_(alert_ids), AttachedResponse.comment.is_not(None))
        .values(comment=None).execution_options(synchronize_session=False))
    # The event id service.alert_event gives an alert.
    event_ids = [f"alert:{alert_id}" for alert_id in alert_ids]
    deliveries = 0
    for delivery in await session.scalars(select(Delivery).where(Delivery.event_id.in_(event_ids))):
        scrubbed = scrub_event(delivery.body)
        if scrubbed != delivery.body:
            delivery.body = scrubbed
            deliveries += 1
    return {"alerts": alerts.rowcount or 0, "attached_responses": attached.rowcount or 0, "deliveries": deliveries}
