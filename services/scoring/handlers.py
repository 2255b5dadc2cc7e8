"""Scoring's handler tables: what each consumed event type does (dispatched by shared.bus)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from shared.bus import Handler, every_delivery
from shared.erasure import erasure_handler
from shared.events import Envelope, EventType
from shared.limits import SubmissionWindow
from shared.tombstones import ErasureGuard
from shared.uow import UnitOfWork
from services.scoring import erasure, service
from services.scoring.analysis import Analysis


def responses(guard: ErasureGuard, window: SubmissionWindow, analysis: Analysis) -> Mapping[str, Handler]:
    """Group `scoring`: responses to score (and their comments to analyse)."""
    # Every delivery: a redelivered response changes nothing, but other content under its id is a
    # conflict to record (service.score_responses tells them apart with tx.is_new).
    return {
        EventType.RESPONSE_RECEIVED: every_delivery(
            partial(service.score_responses, guard=guard, window=window, analysis=analysis)
        )
    }


def erasures(guard: ErasureGuard) -> Mapping[str, Handler]:
    """Group `scoring-erasure`: erase scoring's copy, and follow every service's answer (the
    progress behind GET /v1/erasures/{id})."""
    erase = erasure_handler(erasure.erase, guard)

    async def requested(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        await erase(tx, events)
        await erasure.track_progress(guard, tx.session, events)

    async def answered(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        await erasure.track_progress(guard, tx.session, events)

    return {EventType.CUSTOMER_ERASURE_REQUESTED: requested, EventType.CUSTOMER_ERASED: answered}
