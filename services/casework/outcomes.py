"""Renewal outcomes: accepted over HTTP onto `lazo.outcomes.v1`, stored from that topic.

A CRM reports outcomes either way: `POST /v1/outcomes` (which only publishes, and answers 202
once the broker acknowledged, as ingest does for responses) or by producing the CloudEvent
itself. Either way casework's consumer is the one writer of the `outcomes` table, so both
paths behave the same: reports apply in the order they arrive (a correction replaces, and a
correction undone, A then B then A again, ends as A), a retry changes nothing, the latest date wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.batch import ItemResult, accept_each
from shared.broker import Publisher
from shared.publishing import is_permanent
from shared.contracts.outcomes import OutcomeRecorded
from shared.db import is_postgres
from shared.errors import InvalidInput, PermanentError, Unavailable
from shared.events import Envelope, EventType, Topic
from shared.limits import CustomerId
from services.casework.domain.outcomes import date_error, latest_per_key, outcome_event_id
from services.casework.models import OutcomeRow

SOURCE = "/lazo/casework"


class OutcomeIn(OutcomeRecorded):
    """`POST /v1/outcomes` body: the event's data, as the CRM knows it, bounded as responses are
    (shared.limits): the customer id printable and at most 200 characters, a finite revenue."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"customer_id": "C-42", "program": "default", "renewed": True, "date": "2026-11-30", "revenue": 1200.0}]})

    customer_id: CustomerId
    revenue: float | None = Field(None, ge=0, le=1e15, allow_inf_nan=False,
                                  description="what the customer brought in with this renewal (0 if lapsed)")


def to_event(outcome: OutcomeRecorded, *, now: datetime, earliest: date | None = None) -> Envelope:
    """The `lazo.outcome.recorded` event of an outcome, or InvalidInput naming the field at fault."""
    if error := date_error(outcome.date, now.date(), earliest):
        raise InvalidInput(f"date: {error}", errors=[{"field": "date", "message": error}])
    data = OutcomeRecorded.model_validate(outcome.model_dump())
    return Envelope.new(id=outcome_event_id(data), type=EventType.OUTCOME_RECORDED, source=SOURCE,
                        subject=data.customer_id, data=data, time=now)


async def accept(publisher: Publisher, outcome: OutcomeRecorded, *, now: datetime,
                 earliest: date | None = None) -> Envelope:
    envelope = to_event(outcome, now=now, earliest=earliest)
    [failure] = await publisher.publish_each(Topic.OUTCOMES, [(envelope.to_bytes(), envelope.key)])
    if failure is not None:
        if is_permanent(failure):
            message = f"refused by the event broker ({type(failure).__name__})"
            raise InvalidInput("the event broker refuses this outcome", errors=[{"field": "body", "message": message}])
        raise Unavailable(f"the event broker did not acknowledge in time ({type(failure).__name__})")
    return envelope


async def accept_batch(publisher: Publisher, items: Sequence[Any], *, now: datetime,
                       earliest: date | None = None) -> list[ItemResult]:
    """Validate each item on its own and publish every valid one; each result says what the broker
    has (shared.batch)."""
    return await accept_each(publisher, Topic.OUTCOMES, items, name="outcomes", id_field="customer_id",
                             to_event=lambda raw: to_event(OutcomeIn.model_validate(raw), now=now, earliest=earliest))


# -- the consumer's side ---------------------------------------------------------------------

def parse(envelope: Envelope, *, earliest: date | None = None) -> OutcomeRecorded:
    """The outcome an event carries; a malformed or out-of-range one is poison (dead-letter)."""
    outcome = envelope.parse(OutcomeRecorded)
    if error := date_error(outcome.date, envelope.time.date(), earliest):
        raise PermanentError(f"{envelope.type} {envelope.id}: date {error}")
    return outcome


async def store(session: AsyncSession, events: Sequence[tuple[Envelope, OutcomeRecorded]], *, now: datetime) -> None:
    """Upsert the outcomes (one row per customer, programme and date; the last report wins).

    Runs inside the consumer's transaction, beside the inbox rows of the same events.
    """
    latest = latest_per_key([(env.id, outcome) for env, outcome in events])
    if not latest:
        return
    rows = [{"program": o.program, "customer_id": o.customer_id, "date": o.date, "renewed": o.renewed,
             "revenue": o.revenue, "event_id": event_id, "recorded_at": now} for event_id, o in latest]
    dialect = postgresql if is_postgres(session.bind) else sqlite
    statement = dialect.insert(OutcomeRow.__table__).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["program", "customer_id", "date"],
        set_={name: statement.excluded[name] for name in ("renewed", "revenue", "event_id", "recorded_at")},
        # The event id covers the content: the same report again leaves the row (and recorded_at) alone.
        where=OutcomeRow.__table__.c.event_id != statement.excluded.event_id)
    await session.execute(statement)
