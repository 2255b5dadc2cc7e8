"""Scoring's reads: customers, responses and programmes, straight from its tables (KPIs: kpis.py).

Used by the routes (through a read-only session) and by the use cases (in their unit of work)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.programs import ProgramDefinition
from shared.errors import NotFound
from services.scoring.domain.assessment import Status
from services.scoring.domain.comments import DEFAULT_TAXONOMY
from services.scoring.domain.comments import Taxonomy as TaxonomyValue
from services.scoring.domain.programs import BUILT_IN
from services.scoring.models import JobStatus, Program, ReanalysisJob, Response, Taxonomy


async def load_programs(session: AsyncSession, names: Iterable[str] | None = None) -> dict[str, ProgramDefinition]:
    """The current definitions (all, or those named): stored ones, else the built-in ones."""
    query = select(Program.definition)
    if names is not None:
        names = set(names)
        query = query.where(Program.name.in_(names))
    stored = {d.program: d for d in map(ProgramDefinition.model_validate, (await session.scalars(query)).all())}
    built_in = {n: p for n, p in BUILT_IN.items() if names is None or n in names}
    return {**built_in, **stored}


async def stored_program(session: AsyncSession, name: str) -> tuple[ProgramDefinition | None, int | None]:
    """A programme as a change must see it: its current definition (stored, else built-in, else
    None) and the stored version it replaces (None when none is stored)."""
    row = await session.get(Program, name)
    if row is None:
        return BUILT_IN.get(name), None
    return ProgramDefinition.model_validate(row.definition), row.version


async def taxonomies(session: AsyncSession, programs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored taxonomy definitions of these programmes (those never edited use the default)."""
    rows = await session.execute(
        select(Taxonomy.program, Taxonomy.definition).where(Taxonomy.program.in_(set(programs)))
    )
    return {r.program: r.definition for r in rows}


async def taxonomy(session: AsyncSession, program: str) -> tuple[TaxonomyValue, Taxonomy | None]:
    """A programme's taxonomy (the default until edited) and its stored row (None until edited)."""
    row = await session.get(Taxonomy, program)
    return (TaxonomyValue.from_dict(row.definition) if row else DEFAULT_TAXONOMY), row


async def existing_program(session: AsyncSession, program: str) -> None:
    if program not in await load_programs(session, [program]):
        raise NotFound(f"no programme '{program}'")


async def comments_to_reanalyse(session: AsyncSession, program: str) -> int:
    return (
        await session.scalar(select(func.count()).where(Response.program == program, Response.comment.is_not(None)))
        or 0
    )


async def comments_after(session: AsyncSession, program: str, after: str | None, limit: int) -> list[Any]:
    """The next `limit` comments of a programme in response id order (a re-analysis's next batch)."""
    where = [Response.program == program, Response.comment.is_not(None)]
    if after is not None:
        where.append(Response.response_id > after)
    return list(
        (
            await session.execute(
                select(Response.response_id, Response.comment).where(*where).order_by(Response.response_id).limit(limit)
            )
        ).all()
    )


async def running_job(session: AsyncSession) -> ReanalysisJob | None:
    """The oldest re-analysis still running, locked for this unit of work (PostgreSQL: another
    replica skips it and looks at the next)."""
    query = (
        select(ReanalysisJob)
        .where(ReanalysisJob.status == JobStatus.RUNNING)
        .order_by(ReanalysisJob.requested_at)
        .limit(1)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


async def reanalysis(session: AsyncSession, job_id: str) -> dict[str, Any]:
    job = await session.get(ReanalysisJob, job_id)
    if job is None:
        raise NotFound(f"no re-analysis '{job_id}'")
    return job_view(job)


def job_view(job: ReanalysisJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "program": job.program,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "requested_at": job.requested_at,
        "requested_by": job.requested_by,
        "finished_at": job.finished_at,
    }


async def kept_digests(session: AsyncSession, response_ids: set[str]) -> dict[str, str | None]:
    """The content digest of each of these responses already stored."""
    if not response_ids:
        return {}
    rows = await session.execute(
        select(Response.response_id, Response.digest).where(Response.response_id.in_(response_ids))
    )
    return {r.response_id: r.digest for r in rows}


async def latest_scores(
    session: AsyncSession, customer_ids: set[str], *, until: datetime | None = None
) -> dict[str, tuple[float, datetime]]:
    """Each customer's current IEC (their latest scored response by submitted_at, not after `until`): one query."""
    if not customer_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=Response.customer_id,
            order_by=(Response.submitted_at.desc(), Response.scored_at.desc(), Response.response_id.desc()),
        )
        .label("rank")
    )
    where = [Response.customer_id.in_(customer_ids), Response.status == Status.SCORED]
    if until is not None:
        where.append(Response.submitted_at <= until)
    ranked = select(Response.customer_id, Response.iec, Response.submitted_at, rank).where(*where).subquery()
    rows = await session.execute(
        select(ranked.c.customer_id, ranked.c.iec, ranked.c.submitted_at).where(ranked.c.rank == 1)
    )
    return {r.customer_id: (r.iec, r.submitted_at) for r in rows}


async def customer(
    session: AsyncSession, customer_id: str, *, limit: int, until: datetime | None = None
) -> dict[str, Any]:
    """A customer's IEC (their latest scored response by submitted_at, not dated after `until`) and
    history, newest first."""
    R = Response
    newest_first = (R.submitted_at.desc(), R.scored_at.desc(), R.response_id.desc())
    scored = [R.customer_id == customer_id, R.status == Status.SCORED]
    rows = (
        await session.execute(
            select(R.response_id, R.iec, R.segment, R.submitted_at).where(*scored).order_by(*newest_first).limit(limit)
        )
    ).all()
    if not rows and not await session.scalar(select(exists().where(R.customer_id == customer_id))):
        raise NotFound(f"no response from customer '{customer_id}'")
    history = [
        {"response_id": r.response_id, "iec": r.iec, "segment": r.segment, "submitted_at": r.submitted_at} for r in rows
    ]
    latest = history[0] if history else None
    if latest is not None and until is not None and latest["submitted_at"] > until:
        # A row dated years ahead (stored before the window was enforced) is history, not the current IEC.
        current = (
            await session.execute(
                select(R.iec, R.segment).where(*scored, R.submitted_at <= until).order_by(*newest_first).limit(1)
            )
        ).first()
        latest = {"iec": current.iec, "segment": current.segment} if current else None
    latest = latest or {}
    return {"customer_id": customer_id, "iec": latest.get("iec"), "segment": latest.get("segment"), "history": history}


async def response(session: AsyncSession, response_id: str) -> dict[str, Any]:
    row = await session.get(Response, response_id)
    if row is None:
        raise NotFound(f"no response '{response_id}'")
    return {
        "response_id": row.response_id,
        "status": row.status,
        "iec": row.iec,
        "segment": row.segment,
        "reason": row.reason,
        "customer_id": row.customer_id,
        "program": row.program,
        "program_version": row.program_version,
        "touchpoint": row.touchpoint,
        "submitted_at": row.submitted_at,
        "scored_at": row.scored_at,
        "conflict": conflict_of(row),
        "comment_analysis": row.comment_analysis,
    }


def conflict_of(row: Response) -> dict[str, Any] | None:
    """What the API says of a response id that was received again with other content."""
    if not row.conflicts:
        return None
    times = "once" if row.conflicts == 1 else f"{row.conflicts} times"
    return {
        "status": "conflicting_content",
        "count": row.conflicts,
        "last_at": row.conflict_at,
        "reason": f"response id '{row.response_id}' was received again with different content ({times}); "
        "the first content is kept and scored, the others were not applied: send other content "
        "under a new response id",
    }


async def programs(session: AsyncSession) -> list[ProgramDefinition]:
    return sorted((await load_programs(session)).values(), key=lambda p: p.program)


async def program(session: AsyncSession, name: str) -> ProgramDefinition:
    found = (await load_programs(session, [name])).get(name)
    if found is None:
        raise NotFound(f"no programme '{name}'")
    return found


# -- export ------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    Response.response_id,
    Response.customer_id,
    Response.program,
    Response.touchpoint,
    Response.submitted_at,
    Response.status,
    Response.reason,
    Response.iec,
    Response.segment,
    Response.recommend_0_10,
    Response.ces,
    Response.csat,
    Response.comment,
    Response.answers,
    Response.comment_analysis,
)


async def export_page(
    session: AsyncSession,
    *,
    program: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The next `limit` responses of the period (and programme), in (submitted_at, response_id) order
    after `after`: the export reads page by page from where the last one stopped (keyset), so each
    page costs the same however deep into the export it is, and nothing holds a cursor open."""
    query = select(*EXPORT_COLUMNS)
    if program is not None:
        query = query.where(Response.program == program)
    if start is not None:
        query = query.where(Response.submitted_at >= start)
    if end is not None:
        query = query.where(Response.submitted_at < end)
    if after is not None:
        at, response_id = after
        # The `>=` alone is what an index on submitted_at can seek to; the rest breaks the ties.
        query = query.where(
            Response.submitted_at >= at, or_(Response.submitted_at > at, Response.response_id > response_id)
        )
    rows = await session.execute(query.order_by(Response.submitted_at, Response.response_id).limit(limit))
    return [dict(row._mapping) for row in rows]
