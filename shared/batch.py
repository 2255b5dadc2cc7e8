"""Batch acceptance, the one way: each item validated on its own, every valid one published, and a
result per item that says exactly what the broker has (ingest's responses, casework's outcomes).

- `accepted`: the broker acknowledged that very item;
- `rejected`: invalid (or an event the broker can never take), with `errors` naming the fields;
  sending it again will not help;
- `unavailable`: valid, but not acknowledged: send that item again after `retry_after` seconds
  (a retry of an item that did reach the broker meanwhile is harmless: same id, same content).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.broker import Publisher
from shared.errors import InvalidInput, Unavailable
from shared.events import Envelope
from shared.publishing import is_permanent
from shared.validation import validation_errors

RETRY_AFTER_S = 2


class ItemStatus:
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"
    ALL = (ACCEPTED, REJECTED, UNAVAILABLE)


@dataclass
class ItemResult:
    index: int
    id_field: str  # what the item's id is called: "response_id", "customer_id"
    id: str | None
    status: str
    event_id: str | None = None
    errors: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, self.id_field: self.id, "status": self.status}
        if self.event_id:
            out["event_id"] = self.event_id
        if self.errors:
            out["errors"] = self.errors
        if self.status == ItemStatus.UNAVAILABLE:
            out["retry_after"] = RETRY_AFTER_S
        return out


# What an item that the broker refused for good becomes: its errors (None: not the item's fault).
Refusal = Callable[[BaseException, str], list[dict[str, Any]] | None]


def broker_refusal(exc: BaseException, field: str) -> list[dict[str, Any]] | None:
    if not is_permanent(exc):
        return None
    return [{"field": field, "message": f"refused by the event broker ({type(exc).__name__})"}]


async def accept_each(
    publisher: Publisher,
    topic: str,
    items: Sequence[Any],
    *,
    name: str,
    id_field: str,
    to_event: Callable[[Any], Envelope],
    refusal: Refusal = broker_refusal,
) -> list[ItemResult]:
    """Validate each item with `to_event` (pydantic's ValidationError or InvalidInput reject it),
    publish the valid ones, and say per item what the broker has. `name` prefixes fields:
    `responses[3].customer.id`."""
    results: list[ItemResult] = []
    valid: list[tuple[ItemResult, Envelope]] = []
    for index, raw in enumerate(items):
        given = raw.get(id_field) if isinstance(raw, dict) else None
        result = ItemResult(index, id_field, given if isinstance(given, str) else None, ItemStatus.ACCEPTED)
        results.append(result)
        where = f"{name}[{index}]"
        try:
            envelope = to_event(raw)
        except ValidationError as exc:
            result.status, result.errors = ItemStatus.REJECTED, validation_errors(exc.errors(), (where,))
            continue
        except InvalidInput as exc:
            result.status = ItemStatus.REJECTED
            result.errors = [{**e, "field": f"{where}.{e['field']}"} for e in exc.errors or []]
            continue
        result.event_id = envelope.id
        valid.append((result, envelope))
    if valid:
        try:
            outcomes = await publisher.publish_each(topic, [(e.to_bytes(), e.key) for _, e in valid])
        except Unavailable:  # not connected: nothing was sent
            outcomes = [Unavailable("the event broker is not reachable")] * len(valid)
        for (result, _), outcome in zip(valid, outcomes):
            if outcome is None:
                continue
            where = f"{name}[{result.index}]"
            errors = refusal(outcome, where)
            if errors is not None:
                result.status, result.errors = ItemStatus.REJECTED, errors
            else:
                result.status = ItemStatus.UNAVAILABLE
                result.errors = [{"field": where, "message": "the event broker did not acknowledge it; send it again"}]
    return results


def check_size(items: Sequence[Any], limit: int, name: str) -> None:
    if len(items) > limit:
        raise InvalidInput(
            f"at most {limit} {name} per batch",
            errors=[{"field": name, "message": f"{len(items)} items; the limit is {limit}"}],
        )


def summary(results: Sequence[ItemResult], name: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The 202 body and headers of a batch with at least one item accepted; otherwise the error:
    Unavailable (503, with the same per-item results) when valid items were not acknowledged,
    InvalidInput (422) when no item is valid."""
    counts = {s: sum(r.status == s for r in results) for s in ItemStatus.ALL}
    items = [r.as_dict() for r in results]
    if not counts[ItemStatus.ACCEPTED]:
        if counts[ItemStatus.UNAVAILABLE]:
            raise Unavailable(
                f"the event broker acknowledged none of the batch's {name}; send them again",
                retry_after=RETRY_AFTER_S,
                results=items,
                **counts,
            )
        raise InvalidInput(
            f"none of the batch's {name} is valid", errors=[e for r in results for e in (r.errors or [])]
        )
    headers = {"Retry-After": str(RETRY_AFTER_S)} if counts[ItemStatus.UNAVAILABLE] else None
    return {**counts, "results": items}, headers
