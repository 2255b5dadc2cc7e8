"""Two replicas of scoring in one consumer group, one of them stopped mid-stream.

Invariant: the replicas share the group's partitions (the broker lists two members and each
replica applies part of the stream, by its own `lazo_events_consumed_total`), and when one
leaves mid-stream the rebalance loses nothing and doubles nothing: every response sent is
scored exactly once, sent == stored == distinct score events.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.events import EventType, Topic
from tests.faults.ledger import assert_scored_exactly_once, consumed, post_batches, response, wait_scored
from tests.support import poll

N = 400
CUSTOMERS = 80  # keys spread over every partition
GROUP = "scoring"


@pytest.mark.slow
async def test_two_replicas_share_the_stream_and_a_rebalance_loses_nothing(system, tap, uid):
    tp = f"replicas-{uid}"
    bodies = [response(f"r{i}-{uid}", f"C{i % CUSTOMERS}-{uid}", tp, i) for i in range(N)]
    first_half, second_half = bodies[: N // 2], bodies[N // 2 :]
    t = await tap(Topic.SCORES)
    replica = system.spawn("scoring")
    try:
        await asyncio.to_thread(replica.wait_ready, 120)
        await poll(
            lambda: _members(system.broker.bootstrap),
            timeout=120,
            interval=0.5,
            what="a stable group of two scoring members",
        )

        async with (
            system.client("scoring", "agent") as one,
            httpx.AsyncClient(base_url=replica.url) as two,
            system.client("ingest", "ingest") as ingest,
        ):
            before = [await consumed(c, GROUP, EventType.RESPONSE_RECEIVED) for c in (one, two)]
            await post_batches(ingest, first_half)

            async def both_consumed():
                after = [await consumed(c, GROUP, EventType.RESPONSE_RECEIVED) for c in (one, two)]
                shares = [a - b for a, b in zip(after, before)]
                return all(s > 0 for s in shares) and sum(shares) >= len(first_half) and shares

            await poll(both_consumed, timeout=120, interval=0.2, what="both replicas applying the stream")

            # The second replica leaves (SIGTERM) while the second half streams in: its
            # partitions move to the first one.
            sending = asyncio.create_task(post_batches(ingest, second_half, size=10))
            await asyncio.to_thread(replica.stop)
            await sending
            assert replica.process.returncode is not None

            await wait_scored(one, tp, N)
            await assert_scored_exactly_once(one, t, {b["response_id"] for b in bodies}, tp, uid)
            assert (await one.get("/readyz")).status_code == 200
    finally:
        replica.stop()
        system.extras.remove(replica)


async def _members(bootstrap: str) -> bool:
    """Whether the group is stable with two members. A fresh admin client each time, each request
    bounded: one that hangs (its connection from before a broker pause) is dropped, not waited on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), 10)
        [description] = await asyncio.wait_for(admin.describe_consumer_groups([GROUP]), 10)
        [(error, _group, state, _ptype, _protocol, members)] = description.groups
        return error == 0 and state == "Stable" and len(members) == 2
    except (TimeoutError, KafkaError):
        return False
    finally:
        try:
            await asyncio.wait_for(admin.close(), 5)
        except (TimeoutError, KafkaError):
            pass
