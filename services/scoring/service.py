"""Scoring's use cases: score consumed responses, change a programme, republish programmes.

Each use case is one unit of work: its effects, its inbox marks and its outbox events commit
together, and the outbox relay publishes afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.backoff import Backoff
from shared.contracts.programs import ProgramChanged, ProgramDefinition
from shared.contracts.responses import Customer, ResponseReceived, content_digest
from shared.contracts.scores import CustomerContact, ScoreComputed, ScoreRejected
from shared.db import transaction
from shared.erasure import new_pseudonym
from shared.errors import Conflict, PermanentError
from shared.events import Envelope, EventType, Topic, utcnow
from shared.limits import SubmissionWindow
from shared.runtime import Runtime
from shared.tombstones import Action, ErasureGuard
from services.scoring.domain.assessment import Assessment, Status, assess
from services.scoring.domain.programs import BUILT_IN, revise
from services.scoring.metrics import RESPONSE_CONFLICTS
from services.scoring.models import Program, Response, messaging

log = logging.getLogger("lazo.scoring")

SOURCE = "/lazo/scoring"


# --- programmes ----------------------------------------------------------------------------

async def load_programs(session: AsyncSession, names: Iterable[str] | None = None) -> dict[str, ProgramDefinition]:
    """The current definitions (all, or those named): stored ones, else the built-in ones."""
    query = select(Program.definition)
    if names is not None:
        names = set(names)
        query = query.where(Program.name.in_(names))
    stored = {d.program: d for d in map(ProgramDefinition.model_validate, (await session.scalars(query)).all())}
    built_in = {n: p for n, p in BUILT_IN.items() if names is None or n in names}
    return {**built_in, **stored}


def program_changed(definition: ProgramDefinition) -> Envelope:
    # The same version is the same event, however often it is republished.
    return Envelope.new(id=f"program:{definition.program}:v{definition.version}", type=EventType.PROGRAM_CHANGED,
                        source=SOURCE, subject=definition.program, data=ProgramChanged(definition=definition))


async def change_program(runtime: Runtime, name: str, body: dict[str, Any], who: str) -> tuple[ProgramDefinition, bool]:
    """Create or replace a programme; returns the new definition and whether it was created."""
    async with transaction(runtime.sessions) as session:
        row = await session.get(Program, name)
        current = ProgramDefinition.model_validate(row.definition) if row else BUILT_IN.get(name)
        definition = revise(name, current, body)
        stored = definition.model_dump(mode="json")
        if row is not None:
            # Compare-and-set on the version: of two concurrent changes, the second is told.
            done = await session.execute(
                update(Program).where(Program.name == name, Program.version == row.version)
                .values(version=definition.version, definition=stored, updated_at=utcnow(), updated_by=who))
            if done.rowcount != 1:
                raise Conflict(f"programme '{name}' changed meanwhile; read it again and retry")
        else:
            session.add(Program(name=name, version=definition.version, definition=stored, updated_by=who))
            try:
                await session.flush()
            except IntegrityError as exc:
                raise Conflict(f"programme '{name}' was created meanwhile; read it again and retry") from exc
        messaging.add(session, Topic.PROGRAMS, program_changed(definition))
    runtime.notify_outbox()
    return definition, row is None


async def republish_programs(runtime: Runtime) -> None:
    """Announce every programme again at start-up: the embedded broker forgets its topics when it
    restarts, and ingest rebuilds its catalogue from `lazo.programs.v1`."""
    backoff = Backoff(0.2, 5.0)
    while True:
        try:
            async with transaction(runtime.sessions) as session:
                programs = await load_programs(session)
                for definition in programs.values():
                    messaging.add(session, Topic.PROGRAMS, program_changed(definition))
            break
        except Exception as exc:  # the database went away right after migrating: keep trying
            log.warning("could not republish programmes (%s); retrying in %.1fs", exc, backoff.current)
            await backoff.sleep()
    runtime.notify_outbox()
    log.info("republishing %d programme(s)", len(programs))


# --- scoring ---------------------------------------------------------------------------------

@dataclass
class Scored:
    """What a consumed batch did: events put in the outbox, conflicts recorded."""

    published: int = 0
    conflicts: int = 0


async def score_batch(runtime: Runtime, guard: ErasureGuard, envelopes: Sequence[Envelope]) -> None:
    """Consumer handler for `lazo.responses.v1`: one transaction for the whole batch."""
    window = SubmissionWindow.from_settings(runtime.settings)
    async with transaction(runtime.sessions) as session:
        scored = await score_responses(session, guard, envelopes, window=window)
    if scored.conflicts:
        RESPONSE_CONFLICTS.inc(scored.conflicts)
    if scored.published:
        runtime.notify_outbox()


def _received(env: Envelope, window: SubmissionWindow, now: datetime) -> ResponseReceived:
    """The response an event carries; poison (dead-lettered, never silently dropped) when it breaks
    the contract or says it was submitted outside the window ingest enforces."""
    response = env.parse(ResponseReceived)
    # Measured from receipt, so a replay weeks later still takes what ingest took; never from later
    # than now, so a producer's own `received_at` cannot widen the window.
    received = min(_utc(response.received_at), now)
    if problem := window.problem(response.submitted_at, received):
        raise PermanentError(f"{env.type} {env.id}: submitted_at {problem}")
    return response


async def score_responses(session: AsyncSession, guard: ErasureGuard, envelopes: Sequence[Envelope],
                          window: SubmissionWindow = SubmissionWindow()) -> Scored:
    """Store and score the batch's new responses, and record conflicts of reused response ids.

    Parsing comes first, so a poison event fails the batch before anything is written (the
    runner then isolates it). A response seen before, under any event id, changes nothing; if its
    content differs from the one kept, that is recorded on the kept response as a conflict.
    A response of an erased customer is erased on arrival (`_pseudonymised`).
    """
    now = utcnow()
    received = [(env, _received(env, window, now)) for env in envelopes if env.type == EventType.RESPONSE_RECEIVED]
    erased = await guard.erased(session, {c for env, r in received for c in (env.subject, r.customer.id)})
    fresh = {env.id for env in await messaging.unseen(session, [env for env, _ in received])}
    batch: dict[str, tuple[ResponseReceived, str]] = {}
    envelope_of: dict[str, Envelope] = {}
    repeats: list[tuple[str, str]] = []  # (response id, digest) of events about a response already taken
    for env, response in received:
        digest = response.digest or content_digest(env.data)
        if env.id in fresh and response.response_id not in batch:
            batch[response.response_id] = (response, digest)
            envelope_of[response.response_id] = env
        else:
            repeats.append((response.response_id, digest))
    kept: dict[str, str | None] = {}
    if batch or repeats:
        ids = set(batch) | {rid for rid, _ in repeats}
        rows = await session.execute(select(Response.response_id, Response.digest).where(Response.response_id.in_(ids)))
        kept = {r.response_id: r.digest for r in rows}
        for response_id in kept.keys() & batch.keys():
            repeats.append((response_id, batch.pop(response_id)[1]))
    # Pseudonymised after the conflict check above: erasure changes the content, not the response.
    unpublished = {k for k, (r, _) in batch.items() if {envelope_of[k].subject, r.customer.id} & erased}
    if unpublished:
        await guard.record(session, [envelope_of[k] for k in unpublished], Action.PSEUDONYMISED)
    scored = Scored()
    if batch:
        responses = [_pseudonymised(r) if k in unpublished else r for k, (r, _) in batch.items()]
        scored.published = await _score(session, responses, {rid: d for rid, (_, d) in batch.items()}, now,
                                         until=now + window.ahead, unpublished=unpublished)
    for response_id, digest in repeats:
        first = batch[response_id][1] if response_id in batch else kept.get(response_id)
        if first is not None and digest != first:
            scored.conflicts += await _conflict(session, response_id, digest, now)
    return scored


async def _score(session: AsyncSession, responses: list[ResponseReceived], digests: dict[str, str],
                 now: datetime, *, until: datetime, unpublished: set[str]) -> int:
    programs = await load_programs(session, {r.program for r in responses})
    # Only what may be dated so far ahead is "latest": a response stored before the window was
    # enforced, dated years ahead, cannot pin a customer's current IEC.
    latest = await latest_scores(session, {r.customer.id for r in responses}, until=until)
    rows, outcomes = [], []
    for response in responses:
        assessment = assess(response.program, programs.get(response.program), response.answers)
        previous = latest.get(response.customer.id)
        submitted_at = _utc(response.submitted_at)
        if assessment.scored and (previous is None or submitted_at >= previous[1]):
            latest[response.customer.id] = (assessment.iec, submitted_at)
        rows.append(_row(response, assessment, now) | {"digest": digests[response.response_id]})
        outcomes.append(_outcome(response, assessment, previous[0] if previous else None, now))
    await session.execute(insert(Response), rows)
    # A response erased on arrival counts in the KPIs and goes no further: an alert or a case for
    # a customer who asked to be forgotten could only contact them again.
    published = [e for e, r in zip(outcomes, responses) if r.response_id not in unpublished]
    await messaging.add_all(session, Topic.SCORES, published)
    return len(published)


def _pseudonymised(response: ResponseReceived) -> ResponseReceived:
    """An erased customer's response as scoring may keep it: the figures, under a fresh pseudonym
    (nothing links it to the erasure's other rows: the tombstone holds no pseudonym)."""
    return response.model_copy(update={"customer": Customer(id=new_pseudonym()), "comment": None})


async def _conflict(session: AsyncSession, response_id: str, digest: str, now: datetime) -> int:
    """Count other content under a kept response's id; a redelivery of that same content counts once."""
    done = await session.execute(
        update(Response).where(Response.response_id == response_id,
                               or_(Response.conflict_digest.is_(None), Response.conflict_digest != digest))
        .values(conflicts=Response.conflicts + 1, conflict_digest=digest, conflict_at=now)
        .execution_options(synchronize_session=False))
    if done.rowcount:
        log.warning("response %s received again with different content; the first content is kept", response_id)
    return done.rowcount


async def latest_scores(session: AsyncSession, customer_ids: set[str], *,
                        until: datetime | None = None) -> dict[str, tuple[float, datetime]]:
    """Each customer's current IEC (their latest scored response by submitted_at, not after `until`): one query."""
    if not customer_ids:
        return {}
    rank = func.row_number().over(
        partition_by=Response.customer_id,
        order_by=(Response.submitted_at.desc(), Response.scored_at.desc(), Response.response_id.desc()),
    ).label("rank")
    where = [Response.customer_id.in_(customer_ids), Response.status == Status.SCORED]
    if until is not None:
        where.append(Response.submitted_at <= until)
    ranked = select(Response.customer_id, Response.iec, Response.submitted_at, rank).where(*where).subquery()
    rows = await session.execute(select(ranked.c.customer_id, ranked.c.iec, ranked.c.submitted_at)
                                 .where(ranked.c.rank == 1))
    return {r.customer_id: (r.iec, r.submitted_at) for r in rows}


def _utc(value: datetime) -> datetime:
    # A producer that omits the offset means UTC (as ingest assumes); keeps times comparable.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _row(response: ResponseReceived, a: Assessment, now: datetime) -> dict[str, Any]:
    return {
        "response_id": response.response_id, "customer_id": response.customer.id, "program": response.program,
        "program_version": a.program_version, "touchpoint": response.touchpoint,
        "submitted_at": response.submitted_at, "status": a.status, "iec": a.iec, "segment": a.segment,
        "reason": a.reason, "recommend_0_10": a.recommend_0_10, "ces": a.ces, "csat": a.csat,
        "answers": response.answers,
        "comment": response.comment, "case_id": response.case_id, "scored_at": now,
    }


def _outcome(response: ResponseReceived, a: Assessment, previous_iec: float | None, now: datetime) -> Envelope:
    """`lazo.score.computed` or `lazo.score.rejected`; its id is the response's, so a
    republication is the same event to every consumer."""
    if a.scored:
        data = ScoreComputed(
            response_id=response.response_id, customer_id=response.customer.id,
            customer=CustomerContact(email=response.customer.email, name=response.customer.name),
            program=response.program, touchpoint=response.touchpoint, submitted_at=response.submitted_at,
            iec=a.iec, segment=a.segment, previous_iec=previous_iec, comment=response.comment,
            case_id=response.case_id, answers=response.answers,
        )
        type_ = EventType.SCORE_COMPUTED
    else:
        data = ScoreRejected(response_id=response.response_id, customer_id=response.customer.id,
                             program=response.program, submitted_at=response.submitted_at,
                             reason=a.reason, missing=a.missing)
        type_ = EventType.SCORE_REJECTED
    return Envelope.new(id=f"score:{response.response_id}", type=type_, source=SOURCE,
                        subject=response.customer.id, data=data, time=now)
