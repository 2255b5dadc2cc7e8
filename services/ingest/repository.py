"""Ingest's writes, inside the caller's unit of work: the quarantine, fetch jobs, webhook deliveries
remembered against replays, sources, and a customer's erasure."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import utcnow
from shared.tombstones import ErasureGuard
from services.ingest.domain.erasure import MAX_ID_CHARS, WITHHELD_REASON, names_customer, normal, values_in
from services.ingest.models import FetchJob, QuarantinedPayload, QuarantineStatus, Source, WebhookDelivery

log = logging.getLogger("lazo.ingest.webhooks")

# How much of the stored documents an erasure holds in memory at once.
CHUNK_CHARS = 4_000_000
CHUNK_ROWS = 500


# -- the quarantine ---------------------------------------------------------------------------


async def hold(
    s: AsyncSession,
    guard: ErasureGuard | None,
    source: Source,
    key: str,
    stage: str,
    document: str,
    reason: str,
    errors: list[dict[str, Any]] | None,
    *,
    delivered: bool = True,
) -> str:
    """Quarantine a document: one row per (source, delivery key), updated by later deliveries."""
    if guard is not None and await names_an_erased_customer(s, guard, document):
        document, reason, errors = "", WITHHELD_REASON, None
    now = utcnow()
    q = QuarantinedPayload
    values: dict[str, Any] = dict(
        stage=stage,
        reason=reason[:4000],
        errors=errors,
        document=document,
        status=QuarantineStatus.HELD,
        updated_at=now,
    )
    if delivered:
        values["deliveries"] = q.deliveries + 1
    found = (
        await s.execute(
            update(q).where(q.source_id == source.id, q.delivery_key == key).values(**values).returning(q.id)
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    qid = f"q-{uuid.uuid4().hex[:20]}"
    s.add(
        q(
            id=qid,
            source_id=source.id,
            platform=source.platform,
            program=source.program,
            delivery_key=key,
            stage=stage,
            reason=reason[:4000],
            errors=errors,
            document=document,
            status=QuarantineStatus.HELD,
            deliveries=1,
            received_at=now,
            updated_at=now,
        )
    )
    log.info("quarantined %s payload %s of source %s: %s", source.platform, key, source.id, reason[:300])
    return qid


async def settle_quarantined(s: AsyncSession, source: Source, key: str, response_id: str, who: str | None) -> None:
    """A quarantined earlier delivery of this response is settled by it. A refetch keeps the name of
    the admin who replayed it."""
    q = QuarantinedPayload
    by = case((q.status == QuarantineStatus.REFETCHING, q.replayed_by), else_=who or "platform redelivery")
    await s.execute(
        update(q)
        .where(
            q.source_id == source.id,
            q.delivery_key == key,
            q.status != QuarantineStatus.REPLAYED,
        )
        .values(status=QuarantineStatus.REPLAYED, replayed_at=utcnow(), response_id=response_id, replayed_by=by)
        .execution_options(synchronize_session=False)
    )


async def mark_replayed(s: AsyncSession, quarantine_id: str, who: str, response_id: str | None) -> None:
    """A held row settled under another key (a re-read payload now naming its response)."""
    q = QuarantinedPayload
    await s.execute(
        update(q)
        .where(q.id == quarantine_id, q.status == QuarantineStatus.HELD)
        .values(status=QuarantineStatus.REPLAYED, replayed_by=who, replayed_at=utcnow(), response_id=response_id)
    )


async def mark_refetching(s: AsyncSession, quarantine_id: str, who: str) -> None:
    await s.execute(
        update(QuarantinedPayload)
        .where(QuarantinedPayload.id == quarantine_id)
        .values(status=QuarantineStatus.REFETCHING, replayed_by=who, updated_at=utcnow())
    )


# -- fetch jobs -------------------------------------------------------------------------------


def add_fetch_job(s: AsyncSession, source_id: str, key: str, event: Any) -> None:
    now = utcnow()
    s.add(
        FetchJob(
            source_id=source_id,
            delivery_key=key[:200],
            event=json.dumps(event),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


async def drop_fetch_job(s: AsyncSession, job_id: int) -> None:
    await s.execute(delete(FetchJob).where(FetchJob.id == job_id))


async def claim_fetch_jobs(
    s: AsyncSession, *, now: datetime, until: datetime, limit: int, skip_locked: bool
) -> list[FetchJob]:
    """The jobs due, leased until `until` (replicas on PostgreSQL skip each other's)."""
    query = select(FetchJob).where(FetchJob.next_attempt_at <= now).order_by(FetchJob.next_attempt_at).limit(limit)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    jobs = list(await s.scalars(query))
    for job in jobs:
        job.next_attempt_at = until
    return jobs


async def retry_fetch_job(s: AsyncSession, job_id: int, *, attempts: int, at: datetime, error: str) -> None:
    await s.execute(
        update(FetchJob)
        .where(FetchJob.id == job_id)
        .values(attempts=attempts, next_attempt_at=at, last_error=error[:500])
    )


# -- deliveries remembered against replays ----------------------------------------------------


async def delivery(s: AsyncSession, source_id: str, event_id: str) -> WebhookDelivery | None:
    return await s.get(WebhookDelivery, (source_id, event_id))


def remember_delivery(
    s: AsyncSession,
    source_id: str,
    event_id: str,
    status: str,
    *,
    response_id: str | None = None,
    quarantine_id: str | None = None,
) -> None:
    s.add(
        WebhookDelivery(
            source_id=source_id,
            event_id=event_id,
            status=status,
            response_id=response_id,
            quarantine_id=quarantine_id,
            received_at=utcnow(),
        )
    )


async def forget_deliveries_before(s: AsyncSession, moment: datetime) -> int:
    done = await s.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < moment))
    return done.rowcount or 0


# -- erasure ----------------------------------------------------------------------------------


async def _matching(session: AsyncSession, id_column, document_column, customer_id: str) -> list:
    """The ids of the rows whose document names the customer, read a few at a time: about
    `CHUNK_CHARS` of documents (and at most `CHUNK_ROWS` rows) in memory at once."""
    sizes = (
        await session.execute(select(id_column, func.coalesce(func.length(document_column), 0)).order_by(id_column))
    ).all()
    found, chunk, held = [], [], 0
    for index, (row_id, size) in enumerate(sizes):
        chunk.append(row_id)
        held += size
        if held >= CHUNK_CHARS or len(chunk) >= CHUNK_ROWS or index == len(sizes) - 1:
            rows = await session.execute(select(id_column, document_column).where(id_column.in_(chunk)))
            found += [row_id for row_id, document in rows if document and names_customer(document, customer_id)]
            chunk, held = [], 0
    return found


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    """The stored webhook bodies that name the customer go (domain.erasure says how they are found)."""
    q, f = QuarantinedPayload, FetchJob
    held = await _matching(session, q.id, q.document, customer_id)
    if held:
        await session.execute(delete(q).where(q.id.in_(held)).execution_options(synchronize_session=False))
    jobs = await _matching(session, f.id, f.event, customer_id)
    if jobs:
        await session.execute(delete(f).where(f.id.in_(jobs)).execution_options(synchronize_session=False))
    return {"quarantined_payloads": len(held), "fetch_jobs": len(jobs)}


async def names_an_erased_customer(session: AsyncSession, guard: ErasureGuard, document: str) -> bool:
    """Whether a document about to be stored names a customer erased before (late deliveries)."""
    candidates = {
        c
        for value in values_in(document)
        if 0 < len(value.strip()) <= MAX_ID_CHARS
        for c in (value, value.strip(), normal(value))
    }
    candidates = list(candidates)
    for start in range(0, len(candidates), 500):
        if await guard.erased(session, candidates[start : start + 500]):
            return True
    return False
