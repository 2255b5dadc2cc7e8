"""Scoring loses its database while responses stream in (PostgreSQL only).

A system of its own (broker, ingest, scoring) whose scoring reaches PostgreSQL through a TCP
proxy; cutting the proxy resets scoring's connections and refuses new ones, as a database crash
or a network partition would. Ingest keeps its direct connection: the front door stays open.

Invariant: while the database is away, scoring says so (`/readyz` 503, database false), its
consumer holds its position (the group's committed offsets do not move, though new responses
keep arriving), and nothing is dead-lettered or skipped; once the database is back it resumes by
itself, and every response sent is scored exactly once: sent == stored == distinct score events,
and the group's committed offsets reach the log end.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

import pytest

from shared.events import EventType, Topic
from tests.faults.ledger import (
    GroupOffsets,
    assert_scored_exactly_once,
    log_end,
    post_batches,
    response,
    scored_count,
    wait_scored,
)
from tests.faults.proxy import TcpProxy
from tests.harness import System
from tests.support import Tap, poll

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BEFORE, DURING, LATER = 100, 100, 100  # responses sent before the cut, right after it, and later in it

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATABASE_URL,
        reason="needs PostgreSQL (TEST_DATABASE_URL): a SQLite file cannot be cut off over the network",
    ),
]


@pytest.fixture
async def cut_off(tmp_path):
    """(system, proxy): ingest and scoring on their own broker, scoring's database behind the proxy."""
    url = urlsplit(DATABASE_URL)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432).start()
    userinfo = url.netloc.rpartition("@")[0]
    proxied = url._replace(netloc=f"{userinfo}@{proxy.address}" if userinfo else proxy.address).geturl()
    try:
        system = await asyncio.to_thread(
            System, tmp_path, ("ingest", "scoring"), service_env={"scoring": {"DATABASE_URL": proxied}}
        )
    except BaseException:
        proxy.close()
        raise
    try:
        yield system, proxy
    finally:
        proxy.restore()  # so the services can stop cleanly
        await asyncio.to_thread(system.close)
        proxy.close()


async def test_database_cut_off_consumer_holds_its_offsets_and_resumes_scoring_each_response_once(cut_off, uid):
    system, proxy = cut_off
    tp = f"dbcut-{uid}"
    bodies = [response(f"d{i}-{uid}", f"C{i % 40}-{uid}", tp, i) for i in range(BEFORE + DURING + LATER)]
    t = await Tap(system.broker.bootstrap, Topic.RESPONSES, Topic.SCORES, Topic.DEADLETTER).start()
    ingest = system.client("ingest", "ingest")
    scoring = system.client("scoring", "agent")
    try:
        assert proxy.accepted > 0  # scoring really reaches its database through the proxy
        await post_batches(ingest, bodies[:BEFORE])
        await poll(lambda: _positive(scored_count(scoring, tp)), timeout=120, interval=0.05, what="first scores")

        proxy.cut()
        await post_batches(ingest, bodies[BEFORE : BEFORE + DURING])  # ingest does not need scoring's database

        async def stalled() -> dict | None:
            r = await scoring.get("/readyz", timeout=30)
            checks = r.json()["checks"]
            return r.status_code == 503 and not checks["database"] and not checks["consumer:scoring"] and checks

        checks = await poll(stalled, timeout=120, interval=0.2, what="readyz to report the database and the stall")
        assert checks["broker"], checks  # only the database is at fault

        async with GroupOffsets(system.broker.bootstrap, "scoring", Topic.RESPONSES) as group:
            held = await group.committed()
            sent = {b["response_id"] for b in bodies[: BEFORE + DURING]}
            assert _total(held) < _total(await log_end(t, Topic.RESPONSES, sent))  # work waits, uncommitted

            # More arrives while the database is away: the log grows, the position does not.
            await post_batches(ingest, bodies[BEFORE + DURING :])
            sent = {b["response_id"] for b in bodies}
            assert _total(await log_end(t, Topic.RESPONSES, sent)) == len(bodies)
            assert await group.committed() == held
            assert (await scoring.get("/readyz", timeout=30)).status_code == 503

            proxy.restore()
            await poll(lambda: _ready(scoring), timeout=120, interval=0.5, what="readyz 200 after the database is back")
            await wait_scored(scoring, tp, len(bodies))
            await assert_scored_exactly_once(scoring, t, sent, tp, uid)

            # Nothing skipped, nothing pending: the group's position is the log's end.
            end = await log_end(t, Topic.RESPONSES, sent)
            end = {p: end.get(p, 0) for p in held}
            await poll(
                lambda: _equal(group.committed(), end),
                timeout=60,
                interval=0.5,
                what=f"committed offsets at the log end {end}",
            )
        assert not t.matching(EventType.DEADLETTERED)  # an outage is never the event's fault
    finally:
        await t.stop()
        await ingest.aclose()
        await scoring.aclose()


async def _positive(count) -> bool:
    return (await count or 0) > 0


async def _equal(value, expected) -> bool:
    return await value == expected


def _total(offsets: dict[int, int]) -> int:
    return sum(offsets.values())


async def _ready(client) -> bool:
    return (await client.get("/readyz", timeout=30)).status_code == 200
