"""Broker-side measuring: when events appear on a topic, and raw aiokafka's own ceiling."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.contracts.responses import ResponseReceived
from shared.events import Envelope, EventType, Topic, utcnow
from bench import workload


@dataclass(frozen=True)
class Stamp:
    """When one event was built (its CloudEvent time), published (the record's timestamp: the
    producer's send) and read here, in wall-clock seconds, plus the fields a report links by."""

    built: float
    published: float
    read: float
    links: dict


class Arrivals:
    """Reads a topic from its current end; records when each response's event of a type was first read.

    Events are keyed by `key` (a field of their data: `response_id`, or `alert_id` for cases);
    `stamps` keeps, for each, when it was built, published and read, and the `links` fields."""

    def __init__(
        self, bootstrap: str, topic: str, event_type: str, *, key: str = "response_id", links: tuple[str, ...] = ()
    ):
        self.topic, self.event_type = topic, event_type
        self.seen: dict[str, float] = {}
        self.stamps: dict[str, Stamp] = {}
        self.doubled = 0  # events read again for a key already seen: delivered twice
        self._key, self._links = key, links
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> Arrivals:
        # The instrument must not add delay of its own: Tansu answers a fetch only when its max wait
        # expires, so the default 500 ms would be measured as pipeline latency.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
        )
        await self._consumer.start()
        cluster = await self._consumer._client.fetch_all_metadata()  # no subscription: ask for everything
        tps = [TopicPartition(self.topic, p) for p in cluster.partitions_for_topic(self.topic) or ()]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end now, so nothing posted afterwards is skipped
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        wanted = self.event_type.encode()
        while True:
            batches = await self._consumer.getmany(timeout_ms=50)
            now, wall = time.perf_counter(), time.time()
            for records in batches.values():
                for r in records:
                    if r.value and wanted in r.value:  # cheap filter before parsing
                        event = orjson.loads(r.value)
                        if event.get("type") != self.event_type:
                            continue
                        data = event["data"]
                        key = data.get(self._key)
                        if key is None:
                            continue
                        if key in self.seen:
                            self.doubled += 1
                            continue
                        self.seen[key] = now
                        built = datetime.fromisoformat(event["time"]).timestamp() if event.get("time") else wall
                        self.stamps[key] = Stamp(
                            built=built,
                            published=r.timestamp / 1000,
                            read=wall,
                            links={f: data.get(f) for f in self._links},
                        )

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer:
            await self._consumer.stop()


async def settle(count: Callable[[], int], wanted: int, settle_s: float, max_wait_s: float) -> None:
    """Wait until `count()` reaches `wanted`, stops growing for `settle_s`, or `max_wait_s` passed."""
    deadline = time.perf_counter() + max_wait_s
    last, last_change = count(), time.perf_counter()
    while last < wanted and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        if count() != last:
            last, last_change = count(), time.perf_counter()
        elif time.perf_counter() - last_change > settle_s:
            return


async def drain(bootstrap: str, prefixes: tuple[str, ...], expected: int, resume: Callable[[], None]) -> dict:
    """Resume the paused consumers and time how fast the pipeline scores its backlog."""
    arrivals = await Arrivals(bootstrap, Topic.SCORES, EventType.SCORE_COMPUTED).start()
    try:
        resume()
        start = time.perf_counter()

        def ours() -> int:
            return sum(rid.startswith(prefixes) for rid in list(arrivals.seen))

        await settle(ours, expected, settle_s=20, max_wait_s=600)
    finally:
        await arrivals.stop()
    times = [t for rid, t in arrivals.seen.items() if rid.startswith(prefixes)]
    seconds = (max(times) - start) if times else 0.0
    # How long the first score took: the consumers' restart (a rebalance, say), not their pace.
    return {
        "expected": expected,
        "scored": len(times),
        "seconds": round(seconds, 3),
        "first_s": round(min(times) - start, 3) if times else None,
        "per_second": round(len(times) / seconds, 1) if seconds > 0 else 0.0,
    }


def sample_event(index: int) -> Envelope:
    body = workload.response("raw", index, customers=5000)
    now = utcnow()
    data = ResponseReceived(
        response_id=body["response_id"],
        customer=body["customer"],
        submitted_at=now,
        received_at=now,
        answers=body["answers"],
        touchpoint=body["touchpoint"],
        comment=body.get("comment"),
    )
    return Envelope.new(
        id=body["response_id"],
        type=EventType.RESPONSE_RECEIVED,
        source="/lazo/bench",
        subject=body["customer"]["id"],
        data=data,
    )


async def raw_ceiling(bootstrap: str, messages: int, partitions: int, idempotence: bool) -> dict:
    """Produce `messages` events of Lazo's size with Lazo's producer settings while a consumer reads them."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()
    values = [(sample_event(i).to_bytes(), f"raw-c{i % 5000}".encode()) for i in range(messages)]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=idempotence, linger_ms=2, max_batch_size=256 * 1024
    )
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        while not cluster.partitions_for_topic(topic):
            await asyncio.sleep(0.1)
            cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)

        async def consume() -> float:
            got = 0
            while got < messages:
                batches = await consumer.getmany(timeout_ms=100, max_records=5000)
                got += sum(len(v) for v in batches.values())
            return time.perf_counter()

        reader = asyncio.create_task(consume())
        start = time.perf_counter()
        for chunk in _chunks(values, 2000):  # bound the in-flight futures, as a busy service would
            futures = [await producer.send(topic, value=v, key=k) for v, k in chunk]
            await asyncio.gather(*futures)
        produced = time.perf_counter()
        consumed = await asyncio.wait_for(reader, 120)
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": messages,
        "bytes_each": len(values[0][0]),
        "produce_per_second": round(messages / (produced - start), 1),
        "produce_consume_per_second": round(messages / (consumed - start), 1),
    }


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
