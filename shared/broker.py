"""The one producer, topic creation, and broker reachability.

Services start even when the broker is down: the producer (re)connects in the background,
`/readyz` says so, and requests that need the broker get 503 within a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from shared.backoff import Backoff
from shared.errors import Unavailable
from shared.events import Envelope, Topic
from shared.publishing import Verdict, classify, refusal, refused
from shared.settings import Settings

log = logging.getLogger("lazo.broker")


DEFAULT_RETENTION_H = 168.0


def kafka_security(settings: Settings) -> dict[str, Any]:
    """How every Kafka client of Lazo (the producer, the consumers, the admin client) connects:
    the keyword arguments aiokafka takes for authentication and TLS, from the settings."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
            certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
            keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
        )
    if settings.kafka_security_protocol.startswith("SASL_"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


def topic_configs(topic: str, retention_h: float = DEFAULT_RETENTION_H) -> dict[str, str]:
    """A topic's settings at creation (the plan in docs/operations.md): events are kept
    `LAZO_TOPIC_RETENTION_H` (7 days by default), long enough to re-run a consumer after an
    incident, and the longest an erased customer's data stays in the log (docs/privacy.md);
    programmes are state followed from the beginning, so each programme's latest event is kept,
    for ever (compaction)."""
    if topic == Topic.PROGRAMS:
        return {"cleanup.policy": "compact"}
    return {"retention.ms": str(int(retention_h * 3600 * 1000))}


def admin_client(settings: Settings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=5000, **kafka_security(settings)
    )


async def ensure_topics(settings: Settings, topics: Iterable[str] = Topic.ALL) -> None:
    """Create any missing topic. The embedded broker forgets topics when it restarts."""
    admin = admin_client(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                t,
                num_partitions=settings.kafka_partitions,
                replication_factor=settings.kafka_replication,
                topic_configs=topic_configs(t, settings.topic_retention_h),
            )
            for t in topics
            if t not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another service won the race
            log.info("created topics %s", [t.name for t in wanted])
    finally:
        await admin.close()


class Publisher:
    """Wraps the producer: acks=all, idempotence per settings, bounded waits, lazy reconnect."""

    def __init__(self, settings: Settings, client_id: str):
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task | None = None

    def _new_producer(self) -> AIOKafkaProducer:
        s = self._settings
        return AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=s.kafka_idempotence,
            linger_ms=2,
            max_batch_size=256 * 1024,
            max_request_size=s.max_event_bytes,
            request_timeout_ms=max(int(s.publish_timeout_s * 1000), 1000),
            **kafka_security(s),
        )

    async def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect_forever(), name=f"{self._client_id}-connect")

    async def _connect_forever(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while True:
            producer = self._new_producer()
            try:
                await producer.start()
                await ensure_topics(self._settings)
            except (KafkaError, OSError) as exc:
                log.warning("broker not reachable (%s); retrying in %.1fs", exc, backoff.current)
                await producer.stop()
                await backoff.sleep()
                continue
            self._producer = producer
            log.info("connected to broker %s", self._settings.kafka_bootstrap_servers)
            return

    async def stop(self) -> None:
        if self._connecting and not self._connecting.done():
            self._connecting.cancel()
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, topic: str, envelopes: list[Envelope]) -> None:
        """Publish and wait for every acknowledgement, or raise Unavailable within the timeout."""
        await self.publish_raw(topic, [(e.to_bytes(), e.key) for e in envelopes])

    @property
    def max_event_bytes(self) -> int:
        return self._settings.max_event_bytes

    def refusal(self, topic: str, key: bytes | None, value: bytes | None) -> KafkaError | None:
        """The permanent refusal this event would meet (too large, invalid topic), before sending it."""
        return refusal(topic, key, value, self._settings.max_event_bytes)

    async def publish_raw(self, topic: str, messages: list[tuple[bytes, bytes | None]]) -> None:
        """All acknowledged, or: EventRefused (4xx) when the broker can never take one of them, in
        which case none was sent if it was found before sending (size, topic name); Unavailable (503)
        when it cannot take them now."""
        for value, key in messages:
            if (problem := self.refusal(topic, key, value)) is not None:
                raise refused(problem)
        if self._producer is None:
            raise Unavailable("the event broker is not reachable yet")
        producer = self._producer

        try:
            # asyncio.timeout, not wait_for: no extra task per request on the ingest hot path.
            async with asyncio.timeout(self._settings.publish_timeout_s):
                futures = [await producer.send(topic, value=v, key=k) for v, k in messages]
                for future in futures:
                    await future
        except (TimeoutError, KafkaError) as exc:
            if classify(exc) is Verdict.PERMANENT:
                raise refused(exc) from exc
            raise Unavailable(f"the event broker did not acknowledge in time ({type(exc).__name__})") from exc

    async def deliver(self, messages: list[tuple[str, bytes | None, bytes]]) -> list[BaseException | None]:
        """Send each (topic, key, value) in order, wait for every acknowledgement, and say how each
        went: None, or the error it met. Unavailable when the broker does not answer in time."""
        outcomes = await self._send_each(messages)
        if any(isinstance(o, asyncio.TimeoutError) for o in outcomes):
            raise Unavailable("the event broker did not acknowledge in time")
        return outcomes

    async def publish_each(self, topic: str, messages: list[tuple[bytes, bytes | None]]) -> list[BaseException | None]:
        """Publish, and say of each message whether the broker acknowledged it (None) or why not.

        Unlike `publish`, a failure is per message: what was acknowledged stays acknowledged, and
        the caller can say exactly which messages are on the broker. Unavailable only when the
        producer is not connected at all (then nothing was sent).
        """
        return await self._send_each([(topic, key, value) for value, key in messages])

    async def _send_each(self, messages: list[tuple[str, bytes | None, bytes]]) -> list[BaseException | None]:
        """Each message's fate within the publish timeout: None (acknowledged), the error it met, or
        asyncio.TimeoutError when it was not settled in time (it may still be acknowledged later)."""
        if self._producer is None:
            raise Unavailable("the event broker is not reachable yet")
        producer = self._producer
        outcomes: list[BaseException | None] = [None] * len(messages)
        sent: dict[int, asyncio.Future] = {}
        waiting = set(range(len(messages)))
        try:
            async with asyncio.timeout(self._settings.publish_timeout_s):
                for i, (topic, key, value) in enumerate(messages):
                    if (problem := self.refusal(topic, key, value)) is not None:
                        outcomes[i] = problem  # never sent: the broker could never take it
                        waiting.discard(i)
                        continue
                    try:
                        sent[i] = await producer.send(topic, value=value, key=key)
                    except (TimeoutError, asyncio.CancelledError):
                        raise
                    except Exception as exc:  # refused before sending: too large, unknown topic, ...
                        outcomes[i] = exc
                        waiting.discard(i)
                for i, future in sent.items():
                    try:
                        await future
                    except (TimeoutError, asyncio.CancelledError):
                        raise
                    except Exception as exc:
                        outcomes[i] = exc
                    waiting.discard(i)
        except TimeoutError as exc:
            for i in waiting:
                future = sent.get(i)
                if future is not None and future.done() and not future.cancelled():
                    outcomes[i] = future.exception()  # settled while another was awaited
                    continue
                outcomes[i] = exc
                if future is not None:  # it may still be acknowledged later: nobody waits for it now
                    future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return outcomes

    async def ping(self, timeout: float = 2.0) -> bool:
        """True when the broker answers a metadata request now."""
        if self._producer is None:
            return False
        try:
            return bool(await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout))
        except Exception:
            return False
