"""The consumer side of customer erasure, the same in every service (shared.contracts.erasure).

A service gives the function that erases one customer in its own tables; this module consumes
`lazo.erasures.v1` in the service's own group and, per request, runs that function, marks the
event in the inbox and puts the service's `lazo.customer.erased` in the outbox, all in one
transaction: a redelivered request is skipped, a repeated request erases again (finding little or
nothing left) and is answered again.

Ordering: a response still on its way through the pipeline when the request is consumed (in
`lazo.responses.v1` or `lazo.scores.v1`, say) lands after it, with its personal data. Erasure
covers what each service held when the request reached it; a second request erases the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.erasure import CustomerErased, CustomerErasureRequested
from shared.db import transaction
from shared.events import Envelope, EventType, Topic, utcnow
from shared.messaging import Messaging
from shared.runtime import Runtime

Erase = Callable[[AsyncSession, str], Awaitable[dict[str, int]]]


def erased_event(service: str, request: CustomerErasureRequested, erased: dict[str, int]) -> Envelope:
    # One answer per service and request, however often the request is redelivered.
    return Envelope.new(id=f"erased:{request.erasure_id}:{service}", type=EventType.CUSTOMER_ERASED,
                        source=f"/lazo/{service}", subject=request.customer_id,
                        data=CustomerErased(erasure_id=request.erasure_id, customer_id=request.customer_id,
                                            service=service, erased=erased, erased_at=utcnow()))


async def apply_erasures(session: AsyncSession, messaging: Messaging, service: str, erase: Erase,
                         envelopes: Sequence[Envelope]) -> int:
    """Erase for each new request in the batch, inside the caller's transaction; how many were done."""
    requests = [e for e in envelopes if e.type == EventType.CUSTOMER_ERASURE_REQUESTED]
    done = 0
    for env in await messaging.unseen(session, requests):
        request = env.parse(CustomerErasureRequested)
        erased = await erase(session, request.customer_id)
        messaging.add(session, Topic.ERASURES, erased_event(service, request, erased))
        done += 1
    return done


def consume_erasures(runtime: Runtime, erase: Erase) -> None:
    """Register the service's erasure consumer (group `<service>-erasure`) on its runtime."""
    assert runtime.messaging is not None, "erasure needs the service's inbox and outbox"

    async def handle(envelopes: Sequence[Envelope]) -> None:
        async with transaction(runtime.sessions) as session:
            done = await apply_erasures(session, runtime.messaging, runtime.service, erase, envelopes)
        if done:
            runtime.notify_outbox()

    runtime.add_consumer(f"{runtime.service}-erasure", [Topic.ERASURES], handle)
