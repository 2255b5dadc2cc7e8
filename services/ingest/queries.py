"""Ingest's reads: webhook sources and the quarantine."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Conflict, NotFound
from services.ingest.models import QuarantinedPayload, Source


async def live(session: AsyncSession, source_id: str) -> Source:
    """A source not deleted, or NotFound."""
    source = await session.get(Source, source_id)
    if source is None or source.deleted_at is not None:
        raise NotFound(f"no source '{source_id}'")
    return source


async def listed(session: AsyncSession) -> list[Source]:
    return list(await session.scalars(select(Source).where(Source.deleted_at.is_(None)).order_by(Source.created_at)))


async def for_webhook(session: AsyncSession, platform: str, program: str, source_id: str | None) -> Source:
    """The source a webhook is for: named by `?source=`, or the only one of that platform and programme."""
    if source_id:
        source = await session.get(Source, source_id)
        if source is None or source.deleted_at is not None or source.platform != platform or source.program != program:
            raise NotFound(f"no {platform} source '{source_id}' for programme '{program}'")
        return source
    found = list(
        await session.scalars(
            select(Source)
            .where(Source.platform == platform, Source.program == program, Source.deleted_at.is_(None))
            .limit(2)
        )
    )
    if not found:
        raise NotFound(f"no {platform} source for programme '{program}'")
    if len(found) > 1:
        raise Conflict(f"several {platform} sources for programme '{program}': add ?source=<id> to the URL")
    return found[0]


async def source_of(session: AsyncSession, source_id: str) -> Source | None:
    """A source, deleted or not (a fetch job's, a quarantined payload's)."""
    return await session.get(Source, source_id)


async def quarantine(
    session: AsyncSession, *, source: str | None, status: str | None, limit: int, offset: int
) -> tuple[int, list[QuarantinedPayload]]:
    """Quarantined payloads, newest first, and how many match."""
    q = QuarantinedPayload
    where = []
    if source:
        where.append(q.source_id == source)
    if status:
        where.append(q.status == status)
    total = await session.scalar(select(func.count()).select_from(q).where(*where))
    rows = await session.scalars(
        select(q).where(*where).order_by(q.received_at.desc(), q.id).limit(limit).offset(offset)
    )
    return total or 0, list(rows)


async def quarantined(session: AsyncSession, quarantine_id: str) -> QuarantinedPayload:
    row = await session.get(QuarantinedPayload, quarantine_id)
    if row is None:
        raise NotFound(f"no quarantined payload '{quarantine_id}'")
    return row
