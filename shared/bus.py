"""The one way consumed events reach a service's code: a table from event type to handler.

Every service's `handlers.py` declares its table; the consumer runner hands each batch to
`MessageBus.handle`, which opens one unit of work for the whole batch, drops the events already
applied (inbox), and calls each handler with its events — consecutive events of one type
together, so a handler can do a batch with a handful of queries, and the batch's order holds.
Event types a service has no handler for are not its business and are skipped.

A handler of reports where the last one wins (a CRM's outcome corrected, then the correction
undone: A, B, then A again under A's event id) is marked `every_delivery`: it gets every event of
its type, seen before or not, in order (the inbox still records them; `tx.is_new` tells which).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from itertools import groupby

from shared.events import Envelope, topic_of
from shared.uow import UnitOfWork, UnitsOfWork

Handler = Callable[[UnitOfWork, Sequence[Envelope]], Awaitable[None]]


def every_delivery(handler: Handler) -> Handler:
    """Mark `handler` as one that applies each delivery, redelivered or not (it must be idempotent)."""
    handler.every_delivery = True  # type: ignore[attr-defined]
    return handler


class MessageBus:
    def __init__(self, uow: UnitsOfWork, handlers: Mapping[str, Handler]):
        if not handlers:
            raise ValueError("a message bus needs at least one handler")
        self._uow = uow
        self._handlers = dict(handlers)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    @property
    def topics(self) -> list[str]:
        """The topics carrying the event types handled here, in a stable order."""
        return sorted({topic_of(t) for t in self._handlers})

    async def handle(self, envelopes: Sequence[Envelope]) -> None:
        wanted = [e for e in envelopes if e.type in self._handlers]
        if not wanted:
            return
        async with self._uow() as tx:
            fresh = {id(e) for e in await tx.unseen(wanted)}
            applied = [e for e in wanted if id(e) in fresh or getattr(self._handlers[e.type], "every_delivery", False)]
            for type_, run in _runs(applied):
                await self._handlers[type_](tx, run)


def _runs(envelopes: Sequence[Envelope]) -> Iterator[tuple[str, list[Envelope]]]:
    for type_, run in groupby(envelopes, key=lambda e: e.type):
        yield type_, list(run)
