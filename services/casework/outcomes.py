"""Renewal outcomes: accepted over HTTP onto `lazo.outcomes.v1`, stored from that topic.

A CRM reports outcomes either way: `POST /v1/outcomes` (which only publishes, and answers 202
once the broker acknowledged, as ingest does for responses) or by producing the CloudEvent
itself. Either way casework's consumer is the one writer of the `outcomes` table, so both
paths behave the same (inbox dedupe, corrections replace, latest date wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.broker import Publisher
from shared.contracts.outcomes import OutcomeRecorded
from shared.db import is_postgres
from shared.errors import InvalidInput, PermanentError
from shared.events import Envelope, EventType, Topic
from shared.http.problems import validation_errors
from services.casework.domain.outcomes import date_error, latest_per_key, outcome_event_id
from services.casework.models import OutcomeRow

SOURCE = "/lazo/casework"


class OutcomeIn(OutcomeRecorded):
    """`POST /v1/outcomes` body: the event's data, as the CRM knows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"customer_id": "C-42", "program": "default", "renewed": True, "date": "2026-11-30", "revenue": 1200.0}]})


def to_event(outcome: OutcomeRecorded, *, now: datetime) -> Envelope:
    """The `lazo.outcome.recorded` event of an outcome, or InvalidInput naming the field at fault."""
    if error := date_error(outcome.date, now.date()):
        raise InvalidInput(f"date: {error}", errors=[{"field": "date", "message": error}])
    data = OutcomeRecorded.model_validate(outcome.model_dump())
    return Envelope.new(id=outcome_event_id(data), type=EventType.OUTCOME_RECORDED, source=SOURCE,
                        subject=data.customer_id, data=data, time=now)


async def accept(publisher: Publisher, outcome: OutcomeRecorded, *, now: datetime) -> Envelope:
    envelope = to_event(outcome, now=now)
    await publisher.publish(Topic.OUTCOMES, [envelope])
    return envelope


@dataclass
class ItemResult:
    index: int
    customer_id: str | None
    status: str
    event_id: str | None = None
    errors: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "customer_id": self.customer_id, "status": self.status}
        if self.event_id:
            out["event_id"] = self.event_id
        if self.errors:
            out["errors"] = self.errors
        return out


async def accept_batch(publisher: Publisher, items: Sequence[Any], *, now: datetime) -> list[ItemResult]:
    """Validate each item on its own; publish every valid one (all acknowledged, or Unavailable)."""
    results: list[ItemResult] = []
    envelopes: list[Envelope] = []
    for index, raw in enumerate(items):
        customer = raw.get("customer_id") if isinstance(raw, dict) else None
        customer = customer if isinstance(customer, str) else None
        try:
            envelope = to_event(OutcomeIn.model_validate(raw), now=now)
        except ValidationError as exc:
            results.append(ItemResult(index, customer, "rejected",
                                      errors=validation_errors(exc.errors(), (f"outcomes[{index}]",))))
            continue
        except InvalidInput as exc:
            errors = [{**e, "field": f"outcomes[{index}].{e['field']}"} for e in exc.errors or []]
            results.append(ItemResult(index, customer, "rejected", errors=errors))
            continue
        envelopes.append(envelope)
        results.append(ItemResult(index, customer, "accepted", event_id=envelope.id))
    if envelopes:
        await publisher.publish(Topic.OUTCOMES, envelopes)
    return results


# -- the consumer's side ---------------------------------------------------------------------

def parse(envelope: Envelope) -> OutcomeRecorded:
    """The outcome an event carries; a malformed or future-dated one is poison (dead-letter)."""
    outcome = envelope.parse(OutcomeRecorded)
    if error := date_error(outcome.date, envelope.time.date()):
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
        set_={name: statement.excluded[name] for name in ("renewed", "revenue", "event_id", "recorded_at")})
    await session.execute(statement)
