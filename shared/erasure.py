"""The consumer side of customer erasure, the same in every service (shared.contracts.erasure).

A service gives the function that erases one customer in its own tables; this module consumes
`lazo.erasures.v1` in the service's own group and, per request, in one transaction:
1. remembers the customer (a tombstone keyed by a keyed digest, shared.tombstones), so that
   events about them still on their way are erased on arrival by the service's consumers;
2. runs the service's function with a fresh random pseudonym: what must stay for the figures
   (scores, alerts, cases, outcomes) is kept under that pseudonym, the same on all of this
   service's rows of this erasure, and nothing that names the person is kept;
3. deletes the service's outbox rows about the customer not yet published (they would only
   carry the personal data to the broker, and every consumer would erase them on arrival);
4. marks the request in the inbox and puts the service's `lazo.customer.erased` in the outbox.
A redelivered request is skipped; a repeated request erases again (finding little or nothing
left) and is answered again.

Ordering: a response still on its way when the request is consumed (in `lazo.responses.v1`, in
scoring's outbox, …) lands after it, and the tombstone erases it then. Nothing is left to a
second request.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus import Handler
from shared.contracts.erasure import CustomerErased, CustomerErasureRequested
from shared.db import is_postgres
from shared.deadletters import DeadLetters
from shared.events import Envelope, EventType, Topic, utcnow
from shared.messaging import Messaging
from shared.metrics import ERASURES_APPLIED
from shared.runtime import Runtime
from shared.tombstones import Action, ErasureGuard
from shared.uow import UnitOfWork

D = TypeVar("D", bound=Any)  # an event's parsed data, naming a `customer_id`
Erase = Callable[[AsyncSession, str, str], Awaitable[dict[str, int]]]
Track = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]

# Topics whose key is not a customer id, or whose events must go out whatever the key.
_NOT_ABOUT_ONE_CUSTOMER = (Topic.PROGRAMS, Topic.ERASURES, Topic.DEADLETTER)

PSEUDONYM_PREFIX = "erased-"


def new_pseudonym() -> str:
    """A random stand-in for an erased customer's id: nothing about the person can be derived
    from it, and no customer id Lazo issues looks like it."""
    return f"{PSEUDONYM_PREFIX}{uuid.uuid4().hex}"


def erased_event(service: str, request: CustomerErasureRequested, erased: dict[str, int]) -> Envelope:
    # One answer per service and request, however often the request is redelivered.
    return Envelope.new(
        id=f"erased:{request.erasure_id}:{service}",
        type=EventType.CUSTOMER_ERASED,
        source=f"/lazo/{service}",
        subject=request.customer_id,
        data=CustomerErased(
            erasure_id=request.erasure_id,
            customer_id=request.customer_id,
            service=service,
            erased=erased,
            erased_at=utcnow(),
        ),
    )


async def drop_unpublished(session: AsyncSession, messaging: Messaging, customer_id: str) -> int:
    """Delete the outbox rows about the customer that no relay is publishing right now."""
    o = messaging.outbox
    query = select(o.id).where(
        o.key == customer_id.encode("utf-8", "surrogatepass"), o.topic.not_in(_NOT_ABOUT_ONE_CUSTOMER)
    )
    if is_postgres(session.bind):
        # A row a relay holds is on its way to the broker already; waiting for it would only hold
        # every consumer of this service (they wait on the tombstones) for a publish timeout.
        query = query.with_for_update(skip_locked=True)
    ids = list(await session.scalars(query))
    if ids:
        await session.execute(delete(o).where(o.id.in_(ids)).execution_options(synchronize_session=False))
    return len(ids)


async def erase_customers(
    tx: UnitOfWork, guard: ErasureGuard, erase: Erase, requests: Sequence[CustomerErasureRequested]
) -> None:
    """Carry out erasure requests in the caller's unit of work (their inbox marks already taken)."""
    if not requests:
        return
    await guard.exclude_consumers(tx.session)
    messaging = tx.messaging
    for request in requests:
        await guard.remember(tx.session, request.customer_id)
        erased = await erase(tx.session, request.customer_id, new_pseudonym())
        erased["outbox_events"] = await drop_unpublished(tx.session, messaging, request.customer_id)
        if messaging.dead_letters is not None:
            erased["dead_letters"] = await DeadLetters(messaging.dead_letters).erase(tx.session, request.customer_id)
        tx.publish(Topic.ERASURES, erased_event(guard.service, request, erased))
        ERASURES_APPLIED.labels(guard.service).inc()


async def not_erased(
    tx: UnitOfWork, guard: ErasureGuard, parsed: Sequence[tuple[Envelope, D]]
) -> list[tuple[Envelope, D]]:
    """A consumer's (event, data) pairs without those about an erased customer (the event's key or
    the `customer_id` its data names): they would only act on a person who asked to be forgotten.
    Those dropped are recorded (the first delivery of each)."""
    about = [(env, data, {env.subject, data.customer_id}) for env, data in parsed]
    erased = await guard.erased(tx.session, set().union(*(who for _, _, who in about)))
    if not erased:
        return list(parsed)
    await guard.record(tx.session, [env for env, _, who in about if who & erased and tx.is_new(env)], Action.DROPPED)
    return [(env, data) for env, data, who in about if not who & erased]


def erasure_handler(erase: Erase, guard: ErasureGuard) -> Handler:
    """The handler of `lazo.customer.erasure_requested` for a service's table (its handlers.py):
    the service's `erase` for its own tables, then what every service does alike."""

    async def handle(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        await erase_customers(tx, guard, erase, [e.parse(CustomerErasureRequested) for e in events])

    return handle


def consume_erasures(runtime: Runtime, erase: Erase, guard: ErasureGuard, track: Track | None = None) -> None:
    """Register the service's erasure consumer (group `<service>-erasure`) on its runtime.

    `track` sees every event of the topic in the same transaction (scoring follows the answers)."""
    assert runtime.messaging is not None, "erasure needs the service's inbox and outbox"
    erase_them = erasure_handler(erase, guard)

    async def requested(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        await erase_them(tx, events)
        if track is not None:
            await track(tx.session, events)

    async def answered(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        if track is not None:
            await track(tx.session, events)

    runtime.use_bus(
        f"{runtime.service}-erasure",
        {EventType.CUSTOMER_ERASURE_REQUESTED: requested, EventType.CUSTOMER_ERASED: answered},
    )
