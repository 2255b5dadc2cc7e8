"""The outbox relay: publishes what units of work wrote to the outbox, in order, then deletes it.

A crash between publish and delete republishes the same events (same CloudEvent ids), which
consumers' inboxes absorb: at-least-once on the wire, exactly-once in effect.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.broker import Publisher
from shared.db import is_postgres, transaction

log = logging.getLogger("lazo.outbox")


class OutboxRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox_model: type,
                 publisher: Publisher, batch_size: int = 500, idle_poll_s: float = 1.0):
        self._sessions = sessions
        self._model = outbox_model
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.published = 0

    def notify(self) -> None:
        """Called after a unit of work committed outbox rows: publish them now, not at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                moved = await self.relay_once()
                delay = 0.1
            except Exception as exc:  # broker or database away: keep the rows, try again
                log.warning("outbox relay paused: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if moved < self._batch_size:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._idle_poll_s)
                except asyncio.TimeoutError:
                    pass
                self._wakeup.clear()

    async def relay_once(self) -> int:
        m = self._model
        query = select(m.id, m.topic, m.key, m.value).order_by(m.id).limit(self._batch_size)
        if is_postgres(self._sessions.kw["bind"]):
            # Replicas share the outbox: each row is published by whoever locks it, and deleted
            # in the same transaction.
            async with transaction(self._sessions) as session:
                rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
                await self._publish(rows)
                if rows:
                    await session.execute(delete(m).where(m.id.in_([r.id for r in rows])))
        else:
            # SQLite: read without taking the one writer's turn, publish, then delete briefly, so
            # the units of work filling the outbox never wait for the broker's acknowledgements.
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
            await self._publish(rows)
            if rows:
                async with transaction(self._sessions) as session:
                    await session.execute(delete(m).where(m.id.in_([r.id for r in rows])))
        self.published += len(rows)
        return len(rows)

    async def _publish(self, rows) -> None:
        by_topic: dict[str, list[tuple[bytes, bytes | None]]] = {}
        for row in rows:
            by_topic.setdefault(row.topic, []).append((row.value, row.key))
        for topic, messages in by_topic.items():
            await self._publisher.publish_raw(topic, messages)
