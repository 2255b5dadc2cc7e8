"""Ingest use cases: validate a canonical response against its programme and its bounds, and hand
it to the broker."""

from __future__ import annotations

from typing import Any


from shared import limits
from shared.batch import RETRY_AFTER_S, ItemResult, accept_each
from shared.broker import Publisher
from shared.publishing import EventTooLarge, is_permanent, refused
from shared.contracts.responses import Customer, ResponseReceived, content_digest
from shared.errors import InvalidInput, PayloadTooLarge, Unavailable
from shared.events import Envelope, EventType, Topic, utcnow
from shared.limits import ResponseBounds
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import ResponseIn, scale_errors

SOURCE = "/lazo/ingest"
DEFAULT_BOUNDS = ResponseBounds()


class ResponseTooLarge(PayloadTooLarge, InvalidInput):
    """A response whose event the pipeline could not carry: 413, naming its largest part."""


def bounds_errors(response: ResponseIn, bounds: ResponseBounds, now) -> list[dict[str, str]]:
    """The tunable bounds (Settings): the comment's length, the window of submission dates."""
    errors = []
    if response.comment is not None and len(response.comment) > bounds.comment_chars:
        errors.append({"field": "comment", "message": f"{len(response.comment)} characters; "
                                                      f"at most {bounds.comment_chars}"})
    if response.submitted_at is not None and (problem := bounds.window.problem(response.submitted_at, now)):
        errors.append({"field": "submitted_at", "message": problem})
    return errors


def to_event(response: ResponseIn, catalog: ProgramCatalog, *, source: str | None = None,
             bounds: ResponseBounds = DEFAULT_BOUNDS) -> Envelope:
    """The `lazo.response.received` event for a response, or InvalidInput naming the fields at fault
    (ResponseTooLarge when the response as a whole is more than the pipeline carries)."""
    now = utcnow()
    program = catalog.get(response.program)
    errors = bounds_errors(response, bounds, now)
    if program is None:
        errors.append({"field": "program", "message": f"unknown programme '{response.program}'"})
    else:
        errors += scale_errors(response, program)
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    submitted_at = limits.as_utc(response.submitted_at) if response.submitted_at else now
    data = ResponseReceived(
        response_id=response.response_id, program=response.program,
        customer=Customer(**response.customer.model_dump()),
        submitted_at=submitted_at, received_at=now, touchpoint=response.touchpoint,
        answers=response.answers, comment=response.comment, case_id=response.case_id, source=source,
    ).model_dump(mode="json")
    data["digest"] = content_digest(data, submitted_at_given=response.submitted_at is not None)
    if too_big := limits.oversized(data, limits.RESPONSE_MAX_BYTES):
        size, part = too_big
        message = (f"the response takes {size} bytes as an event; at most {limits.RESPONSE_MAX_BYTES} "
                   f"(its largest part is '{part}')")
        raise ResponseTooLarge(message, errors=[{"field": part, "message": message}])
    # The response id is the event id: a platform's retry is the same event to every consumer.
    return Envelope.new(id=response.response_id, type=EventType.RESPONSE_RECEIVED, source=SOURCE,
                        subject=response.customer.id, data=data, time=now)


def _refused(exc: BaseException | None, field: str) -> InvalidInput | None:
    """The client's error when the broker can never take the event, else None (it may later)."""
    if not is_permanent(exc):
        return None
    if isinstance(refused(exc), EventTooLarge):
        return ResponseTooLarge("the broker refuses an event this large",
                                errors=[{"field": field, "message": "too large for the event broker"}])
    return InvalidInput("the broker refuses this event as invalid",
                        errors=[{"field": field, "message": f"refused by the event broker ({type(exc).__name__})"}])


async def accept(publisher: Publisher, catalog: ProgramCatalog, response: ResponseIn,
                 bounds: ResponseBounds = DEFAULT_BOUNDS) -> Envelope:
    envelope = to_event(response, catalog, bounds=bounds)
    [outcome] = await publisher.publish_each(Topic.RESPONSES, [(envelope.to_bytes(), envelope.key)])
    if outcome is not None:
        raise _refused(outcome, "body") or Unavailable(
            f"the event broker did not acknowledge in time ({type(outcome).__name__})", retry_after=RETRY_AFTER_S)
    return envelope


def _item_refusal(exc: BaseException, where: str) -> list[dict[str, Any]] | None:
    refused = _refused(exc, where)
    return refused.errors if refused is not None else None


async def accept_batch(publisher: Publisher, catalog: ProgramCatalog, items: list[dict[str, Any]],
                       bounds: ResponseBounds = DEFAULT_BOUNDS) -> list[ItemResult]:
    """Validate each item on its own and publish every valid one; each result says what the broker
    has (shared.batch)."""
    return await accept_each(publisher, Topic.RESPONSES, items, name="responses", id_field="response_id",
                             to_event=lambda raw: to_event(ResponseIn.model_validate(raw), catalog, bounds=bounds),
                             refusal=_item_refusal)
