"""Scoring's writes: responses with their scores, conflicts of reused response ids, programmes.

Every function works in the caller's session (a use case's unit of work); none commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.programs import ProgramDefinition
from shared.db import is_postgres
from shared.errors import Conflict
from shared.events import utcnow
from services.scoring.domain.comments import Taxonomy as TaxonomyValue
from services.scoring.domain.kpis import DayKey, DayTally
from services.scoring.models import (
    DISTRIBUTION_COLUMNS,
    SEGMENT_COLUMNS,
    JobStatus,
    KpiDay,
    Program,
    ReanalysisJob,
    Response,
    ResponseCause,
    Taxonomy,
)


async def add_responses(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        # Core, not the ORM's bulk insert: the rows are plain values, and the ORM's bookkeeping
        # per row was an eighth of scoring's time draining a backlog.
        await session.execute(insert(Response.__table__), rows)


def _day_values(key: DayKey, kept: DayTally) -> dict[str, Any]:
    program, touchpoint, day = key
    t = kept.tally
    return {
        "program": program,
        "touchpoint": touchpoint,
        "day": day,
        "scored": t.scored,
        "not_scored": t.not_scored,
        "iec_nano": kept.iec_nano,
        "iec_min": t.iec_min,
        "iec_max": t.iec_max,
        **dict(zip(SEGMENT_COLUMNS, t.segments)),
        **dict(zip(DISTRIBUTION_COLUMNS, t.distribution)),
        "promoters": t.promoters,
        "passives": t.passives,
        "detractors": t.detractors,
        "ces_count": t.ces_count,
        "ces_nano": kept.ces_nano,
        "csat_count": t.csat_count,
        "csat_nano": kept.csat_nano,
        "csat_satisfied": t.csat_satisfied,
    }


async def add_kpi_days(session: AsyncSession, tallies: dict[DayKey, DayTally]) -> None:
    """Add a batch's tallies (per programme, touchpoint, day) to the kept ones: one upsert.

    Keys go in a stable order so that two replicas adding to the same days lock them in the same
    order (PostgreSQL), never each waiting for the other."""
    if not tallies:
        return
    rows = [_day_values(k, tallies[k]) for k in sorted(tallies)]
    pg = is_postgres(session.bind)
    stmt = (postgresql if pg else sqlite).insert(KpiDay).values(rows)
    least, greatest = (func.least, func.greatest) if pg else (func.min, func.max)
    new, old = stmt.excluded, KpiDay.__table__.c
    added = {c: old[c] + new[c] for c in rows[0] if c not in ("program", "touchpoint", "day", "iec_min", "iec_max")}
    # Neither min() nor least() may see a NULL: SQLite's min() would answer NULL, not the other.
    added["iec_min"] = least(func.coalesce(old.iec_min, new.iec_min), func.coalesce(new.iec_min, old.iec_min))
    added["iec_max"] = greatest(func.coalesce(old.iec_max, new.iec_max), func.coalesce(new.iec_max, old.iec_max))
    await session.execute(stmt.on_conflict_do_update(index_elements=["program", "touchpoint", "day"], set_=added))


async def add_causes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """`rows`: {response_id, key, polarity}, one per cause a response's comment talks about."""
    if rows:
        await session.execute(insert(ResponseCause.__table__), rows)


async def replace_analyses(session: AsyncSession, columns: list[dict[str, Any]], causes: list[dict[str, Any]]) -> None:
    """A re-analysis's results: `columns` each a response id with its analysis columns, `causes`
    their cause rows (replacing the ones before)."""
    if not columns:
        return
    ids = [c["response_id"] for c in columns]
    await session.execute(update(Response), columns)  # bulk UPDATE by primary key
    await session.execute(
        delete(ResponseCause).where(ResponseCause.response_id.in_(ids)).execution_options(synchronize_session=False)
    )
    await add_causes(session, causes)


async def start_job(
    session: AsyncSession, job_id: str, program: str, *, total: int, who: str, now: datetime
) -> ReanalysisJob:
    """A new re-analysis of the programme; one still running for it is superseded (the newer one
    covers everything it would have)."""
    await session.execute(
        update(ReanalysisJob)
        .where(ReanalysisJob.program == program, ReanalysisJob.status == JobStatus.RUNNING)
        .values(status=JobStatus.SUPERSEDED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    job = ReanalysisJob(
        job_id=job_id,
        program=program,
        status=JobStatus.RUNNING,
        total=total,
        done=0,
        requested_at=now,
        requested_by=who[:100],
    )
    session.add(job)
    await session.flush()
    return job


async def save_taxonomy(
    session: AsyncSession, program: str, taxonomy: TaxonomyValue, *, replaces: int | None, who: str
) -> Taxonomy:
    """Store a programme's new taxonomy; compare-and-set on the version read before (None: none
    stored yet), so of two concurrent edits the second is told (Conflict)."""
    definition = taxonomy.to_dict()
    if replaces is not None:
        done = await session.execute(
            update(Taxonomy)
            .where(Taxonomy.program == program, Taxonomy.version == replaces)
            .values(version=taxonomy.version, definition=definition, updated_at=utcnow(), updated_by=who)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise Conflict(f"the taxonomy of '{program}' changed meanwhile; read it again and retry")
        return await session.get(Taxonomy, program, populate_existing=True)
    row = Taxonomy(
        program=program, version=taxonomy.version, definition=definition, updated_at=utcnow(), updated_by=who
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the taxonomy of '{program}' was created meanwhile; read it again and retry") from exc
    return row


async def record_conflict(session: AsyncSession, response_id: str, digest: str, now: datetime) -> int:
    """Count other content under a kept response's id; a redelivery of that same content counts once."""
    done = await session.execute(
        update(Response)
        .where(
            Response.response_id == response_id,
            or_(Response.conflict_digest.is_(None), Response.conflict_digest != digest),
        )
        .values(conflicts=Response.conflicts + 1, conflict_digest=digest, conflict_at=now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount


async def save_program(session: AsyncSession, definition: ProgramDefinition, *, replaces: int | None, who: str) -> None:
    """Store a programme's new definition. `replaces`: the version read before (None: a new one).
    Compare-and-set on the version: of two concurrent changes, the second is told (Conflict)."""
    name, stored = definition.program, definition.model_dump(mode="json")
    if replaces is not None:
        done = await session.execute(
            update(Program)
            .where(Program.name == name, Program.version == replaces)
            .values(version=definition.version, definition=stored, updated_at=utcnow(), updated_by=who)
        )
        if done.rowcount != 1:
            raise Conflict(f"programme '{name}' changed meanwhile; read it again and retry")
        return
    session.add(Program(name=name, version=definition.version, definition=stored, updated_by=who))
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"programme '{name}' was created meanwhile; read it again and retry") from exc
