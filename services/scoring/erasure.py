"""Customer erasure in scoring: the request (`DELETE /v1/customers/{id}`) and scoring's own part.

Scoring keeps no email or name; a response's comment is the personal data it holds. Scores,
answers and segments stay: the KPIs and the customer's IEC history are figures, not personal data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.broker import Publisher
from shared.contracts.erasure import CustomerErasureRequested
from shared.events import Envelope, EventType, Topic, utcnow
from services.scoring.models import Response

SOURCE = "/lazo/scoring"


async def request_erasure(publisher: Publisher, customer_id: str, who: str) -> Envelope:
    """Publish the request for every service (acknowledged by the broker, or Unavailable)."""
    erasure_id = f"erasure-{uuid.uuid4().hex}"
    envelope = Envelope.new(id=erasure_id, type=EventType.CUSTOMER_ERASURE_REQUESTED, source=SOURCE,
                            subject=customer_id,
                            data=CustomerErasureRequested(erasure_id=erasure_id, customer_id=customer_id,
                                                          requested_at=utcnow(), requested_by=who))
    await publisher.publish(Topic.ERASURES, [envelope])
    return envelope


async def erase(session: AsyncSession, customer_id: str) -> dict[str, int]:
    done = await session.execute(update(Response)
                                 .where(Response.customer_id == customer_id, Response.comment.is_not(None))
                                 .values(comment=None).execution_options(synchronize_session=False))
    return {"comments": done.rowcount or 0}
