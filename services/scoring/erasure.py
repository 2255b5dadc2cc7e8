"""Customer erasure in scoring: the request (`DELETE /v1/customers/{id}`, `POST /v1/erasures`), its
progress (`GET /v1/erasures/{id}`, from every service's `lazo.customer.erased`), and scoring's part.

Scoring keeps no email or name; the customer id and a response's comment are the personal data
it holds. The responses stay for the KPIs (scores, answers, segments, times, touchpoints) under
one random pseudonym per erasure, so counts and means are unchanged, the comment is blanked, and
the customer is no longer found by their id (`GET /v1/customers/{id}` answers 404).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.broker import Publisher
from shared.contracts.erasure import CustomerErased, CustomerErasureRequested
from shared.db import is_postgres
from shared.errors import NotFound
from shared.events import Envelope, EventType, Topic, utcnow
from shared.settings import SERVICES
from shared.tombstones import ErasureGuard
from shared.uow import UnitsOfWork
from services.scoring.models import ErasureConfirmation, ErasureRequest, Response

log = logging.getLogger("lazo.scoring.erasure")

SOURCE = "/lazo/scoring"


async def request_erasure(
    publisher: Publisher, uow: UnitsOfWork, guard: ErasureGuard, customer_id: str, who: str
) -> Envelope:
    """Publish the request for every service (acknowledged by the broker, or Unavailable), then
    note it for its progress. The note is also written when scoring consumes the request, so a
    database hiccup here loses nothing."""
    erasure_id = f"erasure-{uuid.uuid4().hex}"
    request = CustomerErasureRequested(
        erasure_id=erasure_id, customer_id=customer_id, requested_at=utcnow(), requested_by=who[:200]
    )
    envelope = Envelope.new(
        id=erasure_id, type=EventType.CUSTOMER_ERASURE_REQUESTED, source=SOURCE, subject=customer_id, data=request
    )
    await publisher.publish(Topic.ERASURES, [envelope])
    try:
        async with uow() as tx:
            await _note_requests(tx.session, guard, [request])
    except Exception as exc:
        log.warning(
            "erasure %s requested; its progress is noted when it is consumed (%s)", erasure_id, type(exc).__name__
        )
    return envelope


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    comments = await session.execute(
        update(Response)
        .where(Response.customer_id == customer_id, Response.comment.is_not(None))
        .values(comment=None, comment_analysis=None)
        .execution_options(synchronize_session=False)
    )
    responses = await session.execute(
        update(Response)
        .where(Response.customer_id == customer_id)
        .values(customer_id=pseudonym)
        .execution_options(synchronize_session=False)
    )
    return {"responses": responses.rowcount or 0, "comments": comments.rowcount or 0}


# --- progress ----------------------------------------------------------------------------------


def _insert_ignoring_duplicates(session: AsyncSession, model: type, rows: list[dict[str, Any]], keys: list[str]):
    dialect = postgresql if is_postgres(session.bind) else sqlite
    return dialect.insert(model.__table__).values(rows).on_conflict_do_nothing(index_elements=keys)


async def _note_requests(
    session: AsyncSession, guard: ErasureGuard, requests: Sequence[CustomerErasureRequested]
) -> None:
    rows = {
        r.erasure_id: {
            "erasure_id": r.erasure_id,
            "customer_digest": guard.digest(r.customer_id),
            "requested_at": r.requested_at,
            "requested_by": r.requested_by,
        }
        for r in requests
    }
    if rows:
        await session.execute(_insert_ignoring_duplicates(session, ErasureRequest, list(rows.values()), ["erasure_id"]))


async def track_progress(guard: ErasureGuard, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Consumer side: note each request and each service's answer (a repeat changes nothing)."""
    await _note_requests(
        session,
        guard,
        [e.parse(CustomerErasureRequested) for e in envelopes if e.type == EventType.CUSTOMER_ERASURE_REQUESTED],
    )
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    for env in envelopes:
        if env.type == EventType.CUSTOMER_ERASED:
            answer = env.parse(CustomerErased)
            answers[(answer.erasure_id, answer.service)] = {
                "erasure_id": answer.erasure_id,
                "service": answer.service,
                "erased_at": answer.erased_at,
                "erased": answer.erased,
            }
    if answers:
        await session.execute(
            _insert_ignoring_duplicates(session, ErasureConfirmation, list(answers.values()), ["erasure_id", "service"])
        )


async def progress(session: AsyncSession, erasure_id: str) -> dict[str, Any]:
    """Which services have confirmed the erasure, and what each changed."""
    request = await session.get(ErasureRequest, erasure_id)
    confirmations = {
        c.service: c
        for c in await session.scalars(select(ErasureConfirmation).where(ErasureConfirmation.erasure_id == erasure_id))
    }
    if request is None and not confirmations:
        raise NotFound(f"no erasure '{erasure_id}'")
    services = {}
    for name in sorted({*SERVICES, *confirmations}):
        c = confirmations.get(name)
        services[name] = (
            {"status": "erased", "erased_at": c.erased_at, "erased": c.erased}
            if c
            else {"status": "pending", "erased_at": None, "erased": None}
        )
    pending = [name for name, s in services.items() if s["status"] == "pending"]
    return {
        "erasure_id": erasure_id,
        "status": "completed" if not pending else "in_progress",
        "requested_at": request.requested_at if request else None,
        "requested_by": request.requested_by if request else None,
        "services": services,
        "pending": pending,
    }
