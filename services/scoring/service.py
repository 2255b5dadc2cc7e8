"""Scoring's use cases: score consumed responses, change a programme, republish programmes.

Each use case is one unit of work (shared.uow): its effects, its inbox marks and its outbox events
commit together, and the outbox relay publishes afterwards. Reads come from queries.py, writes
go through repository.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.backoff import Backoff
from shared.contracts.programs import ProgramChanged, ProgramDefinition
from shared.contracts.responses import Customer, ResponseReceived, content_digest
from shared.contracts.scores import CustomerContact, ScoreComputed, ScoreRejected
from shared.erasure import new_pseudonym
from shared.errors import Conflict, PermanentError
from shared.events import Envelope, EventType, Topic, utcnow
from shared.limits import SubmissionWindow
from shared.tombstones import Action, ErasureGuard
from shared.uow import UnitOfWork, UnitsOfWork
from services.scoring import queries, repository
from services.scoring.analysis import Analysis
from services.scoring.domain.assessment import Assessment, assess
from services.scoring.domain.comments import CommentAnalysis, Taxonomy
from services.scoring.domain.kpis import day_tallies
from services.scoring.domain.programs import revise
from services.scoring.metrics import RESPONSE_CONFLICTS
from services.scoring.models import JobStatus
from services.scoring.models import Taxonomy as StoredTaxonomy

log = logging.getLogger("lazo.scoring")

SOURCE = "/lazo/scoring"


# --- programmes ----------------------------------------------------------------------------


def program_changed(definition: ProgramDefinition) -> Envelope:
    # The same version is the same event, however often it is republished.
    return Envelope.new(
        id=f"program:{definition.program}:v{definition.version}",
        type=EventType.PROGRAM_CHANGED,
        source=SOURCE,
        subject=definition.program,
        data=ProgramChanged(definition=definition),
    )


async def change_program(uow: UnitsOfWork, name: str, body: dict[str, Any], who: str) -> tuple[ProgramDefinition, bool]:
    """Create or replace a programme; returns the new definition and whether it was created."""
    async with uow() as tx:
        current, stored_version = await queries.stored_program(tx.session, name)
        definition = revise(name, current, body)
        await repository.save_program(tx.session, definition, replaces=stored_version, who=who)
        tx.publish(Topic.PROGRAMS, program_changed(definition))
    return definition, stored_version is None


async def republish_programs(uow: UnitsOfWork) -> None:
    """Announce every programme again at start-up: the embedded broker forgets its topics when it
    restarts, and ingest rebuilds its catalogue from `lazo.programs.v1`."""
    backoff = Backoff(0.2, 5.0)
    while True:
        try:
            async with uow() as tx:
                programs = await queries.load_programs(tx.session)
                for definition in programs.values():
                    tx.publish(Topic.PROGRAMS, program_changed(definition))
            break
        except Exception as exc:  # the database went away right after migrating: keep trying
            log.warning("could not republish programmes (%s); retrying in %.1fs", exc, backoff.current)
            await backoff.sleep()
    log.info("republishing %d programme(s)", len(programs))


# --- taxonomies and re-analysis ------------------------------------------------------------------


async def change_taxonomy(
    uow: UnitsOfWork, program: str, edit: Callable[[Taxonomy], Taxonomy], who: str
) -> tuple[Taxonomy, StoredTaxonomy]:
    """Apply one edit (domain/taxonomies.py) to a programme's taxonomy; it tags the comments scored
    from now on (a re-analysis brings the stored ones up to date)."""
    async with uow() as tx:
        await queries.existing_program(tx.session, program)
        current, row = await queries.taxonomy(tx.session, program)
        changed = edit(current)
        stored = await repository.save_taxonomy(
            tx.session, program, changed, replaces=row.version if row else None, who=who
        )
    return changed, stored


async def start_reanalysis(
    uow: UnitsOfWork, analysis: Analysis, program: str, who: str, *, wake: Callable[[], None]
) -> dict[str, Any]:
    """A job re-analysing every stored comment of the programme with its current taxonomy and the
    configured analyzer, run in the background (reanalysis.py); one still running is superseded."""
    if not analysis.enabled:
        raise Conflict("comment analysis is off (LAZO_COMMENT_ANALYZER=off): there is nothing to re-analyse with")
    async with uow() as tx:
        await queries.existing_program(tx.session, program)
        total = await queries.comments_to_reanalyse(tx.session, program)
        job = await repository.start_job(
            tx.session, f"reanalysis-{uuid.uuid4().hex[:24]}", program, total=total, who=who, now=utcnow()
        )
        tx.after_commit(wake)
        return queries.job_view(job)


async def reanalyse_next(uow: UnitsOfWork, analysis: Analysis, *, size: int) -> bool:
    """One batch of the oldest running re-analysis, in its own short unit of work (scoring's
    consumer waits for at most one batch). False when no job is running."""
    async with uow() as tx:
        job = await queries.running_job(tx.session)
        if job is None:
            return False
        rows = await queries.comments_after(tx.session, job.program, job.after, size)
        stored = await queries.taxonomies(tx.session, [job.program])
        taxonomy = analysis.taxonomy(job.program, stored.get(job.program))
        analyses = await analysis.analyze_all([(r.comment, taxonomy) for r in rows])
        await repository.replace_analyses(
            tx.session,
            [{"response_id": r.response_id} | analysis_columns(a, taxonomy.version) for r, a in zip(rows, analyses)],
            [c for r, a in zip(rows, analyses) for c in cause_rows(r.response_id, a)],
        )
        # New comments arriving meanwhile are analysed as they are scored: the total stays the one counted.
        job.done = min(job.total, job.done + len(rows))
        if rows:
            job.after = rows[-1].response_id
        if len(rows) < size:
            job.status, job.finished_at, job.done = JobStatus.COMPLETED, utcnow(), job.total
    return True


# --- scoring ---------------------------------------------------------------------------------


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


async def score_responses(
    tx: UnitOfWork, envelopes: Sequence[Envelope], *, guard: ErasureGuard, window: SubmissionWindow, analysis: Analysis
) -> None:
    """Handler of `lazo.response.received`, given every delivery (ingest's event id is the response
    id, so other content under a response id comes under an event id seen before): store and score
    the batch's new responses, and record conflicts of reused response ids.

    Parsing comes first, so a poison event fails the batch before anything is written (the
    runner then isolates it). A response seen before, under any event id, changes nothing; if
    its content differs from the one kept, that is recorded on the kept response as a conflict.
    A response of an erased customer is erased on arrival (`_pseudonymised`). Each comment is
    analysed against its programme's taxonomy as it is scored (analysis.py).
    """
    session, now = tx.session, utcnow()
    received = [(env, _received(env, window, now)) for env in envelopes]
    erased = await guard.erased(session, {c for env, r in received for c in (env.subject, r.customer.id)})
    batch: dict[str, tuple[ResponseReceived, str]] = {}
    envelope_of: dict[str, Envelope] = {}
    repeats: list[tuple[str, str]] = []  # (response id, digest) of events about a response already taken
    for env, response in received:
        digest = response.digest or content_digest(env.data)
        if tx.is_new(env) and response.response_id not in batch:
            batch[response.response_id] = (response, digest)
            envelope_of[response.response_id] = env
        else:
            repeats.append((response.response_id, digest))
    kept = await queries.kept_digests(session, set(batch) | {rid for rid, _ in repeats})
    for response_id in kept.keys() & batch.keys():
        repeats.append((response_id, batch.pop(response_id)[1]))
    # Pseudonymised after the conflict check above: erasure changes the content, not the response.
    unpublished = {k for k, (r, _) in batch.items() if {envelope_of[k].subject, r.customer.id} & erased}
    if unpublished:
        await guard.record(session, [envelope_of[k] for k in unpublished], Action.PSEUDONYMISED)
    if batch:
        responses = [_pseudonymised(r) if k in unpublished else r for k, (r, _) in batch.items()]
        await _score(
            tx,
            responses,
            {rid: d for rid, (_, d) in batch.items()},
            now,
            analysis,
            until=now + window.ahead,
            unpublished=unpublished,
        )
    conflicts = 0
    for response_id, digest in repeats:
        first = batch[response_id][1] if response_id in batch else kept.get(response_id)
        if (
            first is not None
            and digest != first
            and await repository.record_conflict(session, response_id, digest, now)
        ):
            log.warning("response %s received again with different content; the first content is kept", response_id)
            conflicts += 1
    if conflicts:
        tx.after_commit(lambda: RESPONSE_CONFLICTS.inc(conflicts))


async def _score(
    tx: UnitOfWork,
    responses: list[ResponseReceived],
    digests: dict[str, str],
    now: datetime,
    analysis: Analysis,
    *,
    until: datetime,
    unpublished: set[str],
) -> None:
    session = tx.session
    names = {r.program for r in responses}
    programs = await queries.load_programs(session, names)
    stored = await queries.taxonomies(session, names) if analysis.enabled else {}
    taxonomies = [analysis.taxonomy(r.program, stored.get(r.program)) for r in responses]
    analyses = await analysis.analyze_all([(r.comment, t) for r, t in zip(responses, taxonomies)])
    # Only what may be dated so far ahead is "latest": a response stored before the window was
    # enforced, dated years ahead, cannot pin a customer's current IEC.
    latest = await queries.latest_scores(session, {r.customer.id for r in responses}, until=until)
    rows, outcomes, causes = [], [], []
    for response, analysed, taxonomy in zip(responses, analyses, taxonomies):
        assessment = assess(response.program, programs.get(response.program), response.answers)
        previous = latest.get(response.customer.id)
        submitted_at = _utc(response.submitted_at)
        if assessment.scored and (previous is None or submitted_at >= previous[1]):
            latest[response.customer.id] = (assessment.iec, submitted_at)
        rows.append(
            _row(response, assessment, now)
            | {"digest": digests[response.response_id]}
            | analysis_columns(analysed, taxonomy.version)
        )
        causes += cause_rows(response.response_id, analysed)
        outcomes.append(_outcome(response, assessment, previous[0] if previous else None, now, analysed))
    await repository.add_responses(session, rows)
    await repository.add_kpi_days(session, day_tallies(rows))
    await repository.add_causes(session, causes)
    # A response erased on arrival counts in the KPIs and goes no further: an alert or a case for
    # a customer who asked to be forgotten could only contact them again.
    await tx.publish_all(Topic.SCORES, [e for e, r in zip(outcomes, responses) if r.response_id not in unpublished])


def _pseudonymised(response: ResponseReceived) -> ResponseReceived:
    """An erased customer's response as scoring may keep it: the figures, under a fresh pseudonym
    (nothing links it to the erasure's other rows: the tombstone holds no pseudonym)."""
    return response.model_copy(update={"customer": Customer(id=new_pseudonym()), "comment": None})


def _utc(value: datetime) -> datetime:
    # A producer that omits the offset means UTC (as ingest assumes); keeps times comparable.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _row(response: ResponseReceived, a: Assessment, now: datetime) -> dict[str, Any]:
    return {
        "response_id": response.response_id,
        "customer_id": response.customer.id,
        "program": response.program,
        "program_version": a.program_version,
        "touchpoint": response.touchpoint,
        "submitted_at": response.submitted_at,
        "status": a.status,
        "iec": a.iec,
        "segment": a.segment,
        "reason": a.reason,
        "recommend_0_10": a.recommend_0_10,
        "ces": a.ces,
        "csat": a.csat,
        "answers": response.answers,
        "comment": response.comment,
        "case_id": response.case_id,
        "scored_at": now,
    }


def analysis_columns(analysed: CommentAnalysis | None, taxonomy_version: int) -> dict[str, Any]:
    """A response's analysis columns (all null without a comment, or with analysis off)."""
    if analysed is None:
        return {"comment_analysis": None, "emotion": None, "taxonomy_version": None}
    return {"comment_analysis": analysed.to_dict(), "emotion": analysed.emotion, "taxonomy_version": taxonomy_version}


def cause_rows(response_id: str, analysed: CommentAnalysis | None) -> list[dict[str, str]]:
    return [
        {"response_id": response_id, "key": c.key, "polarity": c.polarity}
        for c in (analysed.causes if analysed else ())
    ]


def _outcome(
    response: ResponseReceived,
    a: Assessment,
    previous_iec: float | None,
    now: datetime,
    analysed: CommentAnalysis | None = None,
) -> Envelope:
    """`lazo.score.computed` or `lazo.score.rejected`; its id is the response's, so a
    republication is the same event to every consumer."""
    if a.scored:
        data = ScoreComputed(
            response_id=response.response_id,
            customer_id=response.customer.id,
            customer=CustomerContact(email=response.customer.email, name=response.customer.name),
            program=response.program,
            touchpoint=response.touchpoint,
            submitted_at=response.submitted_at,
            iec=a.iec,
            segment=a.segment,
            previous_iec=previous_iec,
            comment=response.comment,
            case_id=response.case_id,
            answers=response.answers,
            invitation_token=response.invitation_token,
        ).model_dump(mode="json")
        # Validated already (domain/comments CommentAnalysis checks every field): put in as it is,
        # rather than through the contract's model and back, which cost as much as half an analysis.
        data["comment_analysis"] = analysed.to_dict() if analysed else None
        type_ = EventType.SCORE_COMPUTED
    else:
        data = ScoreRejected(
            response_id=response.response_id,
            customer_id=response.customer.id,
            program=response.program,
            submitted_at=response.submitted_at,
            reason=a.reason,
            missing=a.missing,
        )
        type_ = EventType.SCORE_REJECTED
    return Envelope.new(
        id=f"score:{response.response_id}", type=type_, source=SOURCE, subject=response.customer.id, data=data, time=now
    )
