"""The outbox relay: publishes what units of work wrote to the outbox, in order, then deletes it.

A crash between publish and delete republishes the same events (same CloudEvent ids), which
consumers' inboxes absorb: at-least-once on the wire, exactly-once in effect.

A row the broker can never take (too large, invalid: shared.publishing) is *set aside*: moved to
the service's dead letters in the same transaction that deletes it, counted and logged (ids and
sizes only), and the rows behind it go on. A transient failure (broker away, slow) keeps every row
and tries the batch again, as it always did; how long the oldest row has waited is on /metrics
and /readyz (shared.health).

Ordering: rows go out in id order. One PostgreSQL replica relays at a time (a transaction-scoped
advisory lock): with SKIP LOCKED alone, a second replica would publish the rows after the first
one's batch while that batch is still in flight, and one customer's events could overtake each
other. The rows are still locked FOR UPDATE SKIP LOCKED, so that a replica of an older release,
which relays without the lock, never publishes or deletes the same rows at the same time. A
set-aside row is missing from its key's sequence; a replay later publishes it after whatever
followed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.background import BackgroundTask
from shared.backoff import Backoff
from shared.broker import Publisher
from shared.db import is_postgres, transaction
from shared.deadletters import DeadLetters, dead_letter_event, event_identity
from shared.errors import Unavailable
from shared.events import Topic, utcnow
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_SET_ASIDE
from shared.publishing import Verdict, classify

log = logging.getLogger("lazo.outbox")

# An unclear refusal (shared.publishing) of a row sent alone sets it aside at the third time.
UNCLEAR_ATTEMPTS = 3
# While another replica holds the relay's turn, look again this soon: its batch may end any moment,
# and rows this replica committed meanwhile should not wait for the idle poll.
TURN_RETRY_S = 0.05


@dataclass(frozen=True)
class _Row:
    id: int
    topic: str
    key: bytes | None
    value: bytes


@dataclass
class _Settlement:
    published: list[_Row] = field(default_factory=list)
    set_aside: list[tuple[_Row, BaseException]] = field(default_factory=list)


class OutboxRelay(BackgroundTask):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox_model: type,
        publisher: Publisher,
        *,
        service: str = "lazo",
        dead_letters: DeadLetters | None = None,
        batch_size: int = 500,
        idle_poll_s: float = 1.0,
    ):
        super().__init__()
        self.name = "outbox-relay"
        self._sessions = sessions
        self._model = outbox_model
        self._publisher = publisher
        self._service = service
        self._dead_letters = dead_letters
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._wakeup = asyncio.Event()
        self._unclear: dict[int, int] = {}
        self._rounds = 0  # relay rounds that went through, whatever they moved
        self.published = 0
        self.set_aside = 0
        # When the oldest unpublished row was written (None: the outbox is empty), as last seen.
        self.oldest_at: datetime | None = None

    def notify(self) -> None:
        """Called after a unit of work committed outbox rows: publish them now, not at the next poll."""
        self._wakeup.set()

    def oldest_age_s(self) -> float:
        """Seconds the oldest unpublished row has waited (0 when none): the stuck-relay signal."""
        oldest = self.oldest_at
        return max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0

    async def refresh_oldest(self, *, by_relay: bool = False) -> None:
        """Look the oldest row up (ids grow with time: the lowest id is the oldest row). A look-up
        that a relay round overtook is dropped: that round knows better (a row seen here may have
        been published meanwhile, and a stale age would make /readyz flap)."""
        rounds = self._rounds
        m = self._model
        async with self._sessions() as session:
            oldest = await session.scalar(select(m.created_at).order_by(m.id).limit(1))
        if oldest is not None and oldest.tzinfo is None:  # SQLite keeps no offset: stored as UTC
            oldest = oldest.replace(tzinfo=UTC)
        if by_relay or rounds == self._rounds:
            self.oldest_at = oldest

    async def run(self) -> None:
        backoff = Backoff(0.1, 5.0)
        while True:
            try:
                moved = await self.relay_once()
                backoff.reset()
            except Exception as exc:  # broker or database away: keep the rows, try again
                log.warning("outbox relay paused: %s", exc)
                await backoff.sleep()
                continue
            if moved is None:
                await asyncio.sleep(TURN_RETRY_S)
            elif moved < self._batch_size:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._idle_poll_s)
                except TimeoutError:
                    pass
                self._wakeup.clear()

    async def relay_once(self) -> int | None:
        """Publish one batch; how many rows it settled, or None when another replica has the turn."""
        m = self._model
        query = select(m.id, m.topic, m.key, m.value).order_by(m.id).limit(self._batch_size)
        if is_postgres(self._sessions.kw["bind"]):
            # Replicas share the outbox: each row is published by whoever holds the turn and locks
            # it, and deleted (or set aside) in the same transaction.
            async with transaction(self._sessions) as session:
                if not await _take_turn(session):
                    return None
                rows = [_Row(*r) for r in (await session.execute(query.with_for_update(skip_locked=True))).all()]
                settlement = await self._deliver(rows)
                moved = await self._settle(session, settlement)
        else:
            # SQLite: read without taking the one writer's turn, publish, then delete briefly, so
            # the units of work filling the outbox never wait for the broker's acknowledgements.
            async with self._sessions() as session:
                rows = [_Row(*r) for r in (await session.execute(query)).all()]
            settlement = await self._deliver(rows)
            moved = []
            if rows:
                async with transaction(self._sessions) as session:
                    moved = await self._settle(session, settlement)
        self._after(settlement, moved)
        self._rounds += 1
        if len(rows) < self._batch_size:
            self.oldest_at = None  # everything committed before this batch was read is settled
        else:
            await self.refresh_oldest(by_relay=True)
        return len(rows)

    async def _deliver(self, rows: Sequence[_Row]) -> _Settlement:
        """Publish the rows in order. Raises (nothing settled, the batch is tried again) on a
        transient failure; returns which rows went out and which the broker can never take."""
        refused: dict[int, BaseException] = {}
        sendable: list[_Row] = []
        for row in rows:
            problem = self._publisher.refusal(row.topic, row.key, row.value)
            if problem is not None:
                refused[row.id] = problem
            else:
                sendable.append(row)
        outcomes = await self._publisher.deliver([(r.topic, r.key, r.value) for r in sendable])
        failed = [(row, exc) for row, exc in zip(sendable, outcomes) if exc is not None]
        for _, exc in failed:
            if classify(exc) is Verdict.TRANSIENT:
                raise Unavailable(f"the broker did not take the batch ({type(exc).__name__})") from exc
        # The broker refuses a whole produce batch for one bad record: each failed row, sent on its
        # own and in order, shows whose fault it was. A row that goes through alone is published.
        for row, _ in failed:
            [exc] = await self._publisher.deliver([(row.topic, row.key, row.value)])
            if exc is None:
                continue
            verdict = classify(exc)
            if verdict is Verdict.TRANSIENT:
                raise Unavailable(f"the broker did not take an event ({type(exc).__name__})") from exc
            if verdict is Verdict.UNCLEAR:
                self._unclear[row.id] = tries = self._unclear.get(row.id, 0) + 1
                if tries < UNCLEAR_ATTEMPTS:
                    raise Unavailable(f"the broker refused an event ({type(exc).__name__}, {tries}×)") from exc
            refused[row.id] = exc
        return _Settlement(
            published=[r for r in rows if r.id not in refused],
            set_aside=[(r, refused[r.id]) for r in rows if r.id in refused],
        )

    async def _settle(self, session: AsyncSession, settlement: _Settlement) -> list[tuple[_Row, BaseException, str]]:
        """Delete what was published; move what can never be to the dead letters. The rows this
        process moved, each with its dead letter's id."""
        m = self._model
        if settlement.published:
            await session.execute(delete(m).where(m.id.in_([r.id for r in settlement.published])))
        moved = []
        for row, exc in settlement.set_aside:
            # Another process relaying the same SQLite file may have moved it first.
            if (await session.execute(delete(m).where(m.id == row.id))).rowcount != 1:
                continue
            if self._dead_letters is None:
                moved.append((row, exc, ""))
                continue
            letter = self._dead_letters.set_aside(
                session, row_id=row.id, topic=row.topic, key=row.key, value=row.value, exc=exc
            )
            if row.topic != Topic.DEADLETTER:  # a dead letter about a dead letter would never end
                event = dead_letter_event(
                    id=f"outbox/{self._service}/{letter.id}",
                    source=f"/lazo/{self._service}",
                    subject=(row.key or b"").decode(errors="replace"),
                    where={
                        "service": self._service,
                        "kind": "outbox",
                        "dead_letter_id": letter.id,
                        "topic": row.topic,
                        "outbox_row_id": row.id,
                        "error": f"{letter.error_class}: {letter.error}",
                    },
                    original=row.value,
                    max_bytes=self._publisher.max_event_bytes,
                )
                session.add(m(topic=Topic.DEADLETTER, key=event.key, value=event.to_bytes(), created_at=utcnow()))
            moved.append((row, exc, letter.id))
        return moved

    def _after(self, settlement: _Settlement, moved: list[tuple[_Row, BaseException, str]]) -> None:
        for row in settlement.published:
            self._unclear.pop(row.id, None)
        counts: dict[str, int] = {}
        for row in settlement.published:
            counts[row.topic] = counts.get(row.topic, 0) + 1
        for topic, n in counts.items():
            EVENTS_PUBLISHED.labels(self._service, topic).inc(n)
        self.published += len(settlement.published)
        for row, exc, letter_id in moved:
            self._unclear.pop(row.id, None)
            self.set_aside += 1
            OUTBOX_SET_ASIDE.labels(self._service, row.topic, type(exc).__name__).inc()
            event_id, event_type = event_identity(row.value)
            # Ids, sizes and the error's class: the event and the error's text stay in the table.
            log.error(
                "outbox row %d set aside as dead letter %s: %s %s on %s, %d bytes (limit %d): %s; "
                "the rows behind it go on",
                row.id,
                letter_id or "-",
                event_type,
                event_id,
                row.topic,
                len(row.value or b""),
                self._publisher.max_event_bytes,
                type(exc).__name__,
            )
        if moved:
            self.notify()  # their dead-letter events are in the outbox now


async def _take_turn(session: AsyncSession) -> bool:
    """The relay's turn among this service's replicas, held until the transaction ends."""
    return bool(
        await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || :what))"), {"what": "/outbox-relay"}
        )
    )
