"""Scoring's writes: responses with their scores, conflicts of reused response ids, programmes.

Every function works in the caller's session (a use case's unit of work); none commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.programs import ProgramDefinition
from shared.errors import Conflict
from shared.events import utcnow
from services.scoring.models import Program, Response, ResponseCause


async def add_responses(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Response), rows)


async def add_causes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """`rows`: {response_id, key, polarity}, one per cause a response's comment talks about."""
    if rows:
        await session.execute(insert(ResponseCause), rows)


async def record_conflict(session: AsyncSession, response_id: str, digest: str, now: datetime) -> int:
    """Count other content under a kept response's id; a redelivery of that same content counts once."""
    done = await session.execute(
        update(Response).where(Response.response_id == response_id,
                               or_(Response.conflict_digest.is_(None), Response.conflict_digest != digest))
        .values(conflicts=Response.conflicts + 1, conflict_digest=digest, conflict_at=now)
        .execution_options(synchronize_session=False))
    return done.rowcount


async def save_program(session: AsyncSession, definition: ProgramDefinition, *, replaces: int | None,
                       who: str) -> None:
    """Store a programme's new definition. `replaces`: the version read before (None: a new one).
    Compare-and-set on the version: of two concurrent changes, the second is told (Conflict)."""
    name, stored = definition.program, definition.model_dump(mode="json")
    if replaces is not None:
        done = await session.execute(
            update(Program).where(Program.name == name, Program.version == replaces)
            .values(version=definition.version, definition=stored, updated_at=utcnow(), updated_by=who))
        if done.rowcount != 1:
            raise Conflict(f"programme '{name}' changed meanwhile; read it again and retry")
        return
    session.add(Program(name=name, version=definition.version, definition=stored, updated_by=who))
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"programme '{name}' was created meanwhile; read it again and retry") from exc
