"""Follow a topic from its beginning into local state (event-carried state transfer).

Not a consumer group: every process reads every partition, commits nothing, and is `caught_up`
once it has read what was on the topic when it started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.background import BackgroundTask
from shared.backoff import Backoff
from shared.broker import ensure_topics, kafka_security
from shared.consumer import FETCH_MAX_WAIT_MS
from shared.errors import PermanentError
from shared.events import Envelope, decode
from shared.settings import Settings

log = logging.getLogger("lazo.follower")


class TopicFollower(BackgroundTask):
    def __init__(self, settings: Settings, topic: str, apply: Callable[[Envelope], None]):
        self._settings = settings
        super().__init__()
        self.name = f"follow-{topic}"
        self._topic = topic
        self._apply = apply
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._settings.kafka_bootstrap_servers,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                **kafka_security(self._settings),
            )
            try:
                await ensure_topics(self._settings, [self._topic])
                await consumer.start()
                partitions = None
                while not partitions:
                    # A consumer without a subscription only learns of topics from a full fetch.
                    cluster = await consumer._client.fetch_all_metadata()
                    partitions = cluster.partitions_for_topic(self._topic)
                    if not partitions:
                        await asyncio.sleep(0.2)
                tps = [TopicPartition(self._topic, p) for p in partitions]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                ends = await consumer.end_offsets(tps)
                backoff.reset()
                while True:
                    batches = await consumer.getmany(timeout_ms=500)
                    if not batches and not self.caught_up.is_set():
                        # Caught up: past the end offsets *and* a fetch came back empty (the
                        # embedded broker can under-report a partition's end offset).
                        positions = [await consumer.position(tp) for tp in tps]
                        if all(pos >= ends[tp] for pos, tp in zip(positions, tps)):
                            self.caught_up.set()
                    for records in batches.values():
                        for record in records:
                            try:
                                self._apply(decode(record.value))
                            except PermanentError as exc:
                                log.warning("ignoring unreadable event on %s: %s", self._topic, exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep following whatever happens; the broker comes back
                log.warning("following %s interrupted (%s); retrying", self._topic, exc)
            finally:
                try:
                    await consumer.stop()
                except Exception:
                    pass
            await backoff.sleep()
