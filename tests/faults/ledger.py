"""Counting what was sent against what arrived, for the fault tests.

Every fault test ends the same way: the responses it got acknowledged are each scored exactly
once, seen both through scoring's HTTP API and on `lazo.scores.v1`, and nothing else of its
own turned up. The helpers here do that counting; the tests state the invariant.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from shared.events import EventType
from tests.support import Tap, poll


def response(
    rid: str, customer: str, touchpoint: str, i: int = 0, *, detractor: bool = False, program: str = "default"
) -> dict:
    """A canonical response; a detractor's answers (IEC 1) always raise an alert."""
    answers = (
        {"experience": 1, "worth": 1, "recommend": 1}
        if detractor
        else {"experience": 1 + i % 10, "worth": 1 + (i * 3) % 10, "recommend": 1 + (i * 7) % 10}
    )
    return {
        "response_id": rid,
        "program": program,
        "touchpoint": touchpoint,
        "answers": answers,
        "customer": {"id": customer, "email": f"{customer}@example.com", "name": "Ana"},
    }


async def post_batches(client: httpx.AsyncClient, bodies: Sequence[dict], size: int = 25) -> int:
    """Post through `:batch`; every item must be accepted (the broker is up). Returns the count."""
    for start in range(0, len(bodies), size):
        r = await client.post("/v1/responses:batch", json={"responses": list(bodies[start : start + size])}, timeout=60)
        assert r.status_code == 202 and r.json()["rejected"] == 0, r.text
    return len(bodies)


async def scored_count(client: httpx.AsyncClient, touchpoint: str) -> int | None:
    """How many responses of this touchpoint scoring has stored (None while it cannot say)."""
    try:
        r = await client.get("/v1/kpis", params={"touchpoint": touchpoint})
    except httpx.HTTPError:
        return None
    return r.json()["count"] if r.status_code == 200 else None


async def wait_scored(client: httpx.AsyncClient, touchpoint: str, expected: int, timeout: float = 180) -> None:
    async def _done() -> bool:
        return await scored_count(client, touchpoint) == expected

    await poll(_done, timeout=timeout, interval=0.5, what=f"{expected} responses scored for {touchpoint}")


async def assert_scored_exactly_once(
    client: httpx.AsyncClient, tap: Tap, ids: set[str], touchpoint: str, uid: str
) -> None:
    """Sent == arrived, each once: scoring stored exactly `ids` for the touchpoint, reports each
    one scored, and published exactly one distinct event, `score:<id>`, for each and none for any
    other response of this test (every id of the test contains `uid`). The outbox may repeat an
    event after a fault, but only ever the same id with the same content."""
    assert await scored_count(client, touchpoint) == len(ids)
    ordered = sorted(ids)
    for start in range(0, len(ordered), 50):
        answers = await asyncio.gather(*(client.get(f"/v1/responses/{rid}") for rid in ordered[start : start + 50]))
        assert {r.json()["status"] for r in answers} == {"scored"}, [r.text for r in answers][:3]

    def ours() -> dict[str, list]:
        seen: dict[str, list] = defaultdict(list)
        for e in tap.events:
            if e.type.startswith("lazo.score.") and uid in e.data.get("response_id", ""):
                seen[e.data["response_id"]].append(e)
        return seen

    seen = await poll(lambda: len(s := ours()) >= len(ids) and s, timeout=120, what=f"{len(ids)} score events")
    assert set(seen) == ids, f"extra: {sorted(set(seen) - ids)[:5]}, missing: {sorted(ids - set(seen))[:5]}"
    for rid, events in seen.items():
        assert {e.id for e in events} == {f"score:{rid}"}, rid
        assert {e.type for e in events} == {EventType.SCORE_COMPUTED}, rid
        assert len({(e.data["iec"], e.data["segment"], e.data["previous_iec"]) for e in events}) == 1, rid


class GroupOffsets:
    """A consumer group's committed offsets, read without joining the group (manual assignment;
    it never commits)."""

    def __init__(self, bootstrap: str, group: str, topic: str):
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        self._topic = topic
        self._tps: list[TopicPartition] = []

    async def __aenter__(self) -> GroupOffsets:
        await self._consumer.start()
        parts = await poll(lambda: self._consumer.partitions_for_topic(self._topic), what=f"topic {self._topic}")
        self._tps = [TopicPartition(self._topic, p) for p in sorted(parts)]
        self._consumer.assign(self._tps)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._consumer.stop()

    async def committed(self) -> dict[int, int]:
        return {tp.partition: (await self._consumer.committed(tp)) or 0 for tp in self._tps}


async def log_end(tap: Tap, topic: str, response_ids: set[str]) -> dict[int, int]:
    """The topic's end per partition (last offset + 1), once the tap has read these responses.

    Counted from the records rather than asked of the broker: the embedded Tansu broker answers
    ListOffsets(latest) with the last record *batch*'s base offset + 1, short of the true end
    whenever the last batch held several records.
    """

    def _read() -> dict[int, int] | None:
        records = [r for r in tap.records if r.topic == topic]
        seen = {e.data.get("response_id") for e in tap.events if e.type == EventType.RESPONSE_RECEIVED}
        if not response_ids <= seen:
            return None
        end: dict[int, int] = {}
        for r in records:
            end[r.partition] = max(end.get(r.partition, 0), r.offset + 1)
        return end

    return await poll(_read, timeout=60, what=f"{len(response_ids)} responses on {topic}")


async def consumed(client: httpx.AsyncClient, group: str, type_: str) -> float:
    """`lazo_events_consumed_total{group, type}` of one process, from its /metrics."""
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "lazo_events_consumed_total"
                and sample.labels.get("group") == group
                and sample.labels.get("type") == type_
            ):
                return sample.value
    return 0.0
