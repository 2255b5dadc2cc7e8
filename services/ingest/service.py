"""Ingest use cases: validate a canonical response against its programme and hand it to the broker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.broker import Publisher
from shared.contracts.responses import Customer, ResponseReceived
from shared.errors import InvalidInput
from shared.events import Envelope, EventType, Topic, utcnow
from shared.http.problems import validation_errors
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import ResponseIn, scale_errors

SOURCE = "/lazo/ingest"


def to_event(response: ResponseIn, catalog: ProgramCatalog, *, source: str | None = None) -> Envelope:
    """The `lazo.response.received` event for a response, or InvalidInput naming the fields at fault."""
    program = catalog.get(response.program)
    if program is None:
        raise InvalidInput(f"unknown programme '{response.program}'",
                           errors=[{"field": "program", "message": f"unknown programme '{response.program}'"}])
    errors = scale_errors(response, program)
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    now = utcnow()
    data = ResponseReceived(
        response_id=response.response_id, program=response.program,
        customer=Customer(**response.customer.model_dump()),
        submitted_at=response.submitted_at or now, received_at=now, touchpoint=response.touchpoint,
        answers=response.answers, comment=response.comment, case_id=response.case_id, source=source,
    )
    # The response id is the event id: a platform's retry is the same event to every consumer.
    return Envelope.new(id=response.response_id, type=EventType.RESPONSE_RECEIVED, source=SOURCE,
                        subject=response.customer.id, data=data, time=now)


async def accept(publisher: Publisher, catalog: ProgramCatalog, response: ResponseIn) -> Envelope:
    envelope = to_event(response, catalog)
    await publisher.publish(Topic.RESPONSES, [envelope])
    return envelope


@dataclass
class ItemResult:
    index: int
    response_id: str | None
    status: str
    errors: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"index": self.index, "response_id": self.response_id, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        return out


async def accept_batch(publisher: Publisher, catalog: ProgramCatalog, items: list[dict[str, Any]]) -> list[ItemResult]:
    """Validate each item on its own; publish every valid one (all acknowledged, or Unavailable)."""
    results: list[ItemResult] = []
    envelopes: list[Envelope] = []
    for index, raw in enumerate(items):
        rid = raw.get("response_id") if isinstance(raw, dict) else None
        rid = rid if isinstance(rid, str) else None
        try:
            envelopes.append(to_event(ResponseIn.model_validate(raw), catalog))
            results.append(ItemResult(index, rid, "accepted"))
        except ValidationError as exc:
            results.append(ItemResult(index, rid, "rejected", validation_errors(exc.errors(), (f"responses[{index}]",))))
        except InvalidInput as exc:
            errors = [{**e, "field": f"responses[{index}].{e['field']}"} for e in exc.errors or []]
            results.append(ItemResult(index, rid, "rejected", errors))
    if envelopes:
        await publisher.publish(Topic.RESPONSES, envelopes)
    return results
