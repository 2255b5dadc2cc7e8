"""Test helpers: polling with a deadline (never sleeps as synchronisation), and a Kafka tap."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events import Envelope, PermanentError, decode


async def poll(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """Call `check` until it returns something truthy; fail with the last value at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if inspect.isawaitable(last):
            # A check that never answers (a client stuck on a broker that was away) counts as a
            # falsy answer once the deadline has passed: the wait is bounded whatever it awaits.
            try:
                last = await asyncio.wait_for(last, max(deadline - time.monotonic(), 0) + interval + 5)
            except TimeoutError:
                last = None
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        await asyncio.sleep(interval)


class Tap:
    """Reads topics from their beginning, every partition, without a consumer group."""

    def __init__(self, bootstrap: str, *topics: str):
        self._bootstrap = bootstrap
        self._topics = topics
        self.records: list = []
        self._task: asyncio.Task | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> Tap:
        # Short fetch waits: Tansu answers a fetch only when the wait expires.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        await self._consumer.start()
        tps = []
        for topic in self._topics:
            parts = await poll(lambda: self._consumer.partitions_for_topic(topic), what=f"topic {topic}")
            tps += [TopicPartition(topic, p) for p in parts]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for recs in batches.values():
                self.records.extend(recs)

    @property
    def events(self) -> list[Envelope]:
        out = []
        for r in self.records:
            try:
                out.append(decode(r.value))
            except PermanentError:
                pass
        return out

    def matching(self, type: str | None = None, **data: Any) -> list[Envelope]:
        return [
            e
            for e in self.events
            if (type is None or e.type == type) and all(e.data.get(k) == v for k, v in data.items())
        ]

    async def wait_for(
        self, type: str | None = None, count: int = 1, timeout: float = 30.0, **data: Any
    ) -> list[Envelope]:
        return await poll(
            lambda: (m := self.matching(type, **data)) and len(m) >= count and m,
            timeout=timeout,
            what=f"{count}× {type} {data}",
        )

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._consumer:
            await self._consumer.stop()


async def raw_producer(bootstrap: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    return producer
