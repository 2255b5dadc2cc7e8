"""Scoring killed (SIGKILL) mid-stream: after a restart every response is scored exactly once."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from shared.events import EventType, Topic
from tests.support import poll

N = 600
BATCH = 20


def response(rid: str, customer: str, i: int, touchpoint: str) -> dict:
    return {
        "response_id": rid,
        "customer": {"id": customer},
        "touchpoint": touchpoint,
        "answers": {"experience": 1 + i % 10, "worth": 1 + (i * 3) % 10, "recommend": 1 + (i * 7) % 10},
    }


async def post_in_batches(system, bodies: list[dict]) -> None:
    async with system.client("ingest", "ingest") as c:
        for start in range(0, len(bodies), BATCH):
            r = await c.post("/v1/responses:batch", json={"responses": bodies[start : start + BATCH]})
            assert r.status_code == 202 and r.json()["rejected"] == 0, r.text


async def scored_count(system, touchpoint: str) -> int:
    async with system.client("scoring", "agent") as c:
        r = await c.get("/v1/kpis", params={"touchpoint": touchpoint})
        return r.json()["count"] if r.status_code == 200 else -1


@pytest.mark.slow
async def test_killed_mid_stream_scoring_loses_nothing_and_scores_each_response_once(system, tap, uid):
    tp = f"crash-{uid}"
    bodies = [response(f"x{i}-{uid}", f"C{i % 40}-{uid}", i, tp) for i in range(N)]
    ids = {b["response_id"] for b in bodies}
    t = await tap(Topic.SCORES, Topic.PROGRAMS)
    await t.wait_for(EventType.PROGRAM_CHANGED, timeout=60)
    announced_before = len([e for e in t.events if e.id == "program:default:v1"])

    scoring = system["scoring"]
    first_half = asyncio.create_task(post_in_batches(system, bodies[: N // 2]))
    try:
        # Kill as soon as scoring has scored something: the first half is still streaming in,
        # and the second half has not been sent at all.
        scored_at_kill = await poll(
            lambda: _positive(scored_count(system, tp)), timeout=120, interval=0.01, what="first scores"
        )
        scoring.kill()
        assert 0 < scored_at_kill < N
        await first_half
        # The rest arrives while scoring is down, with repeats of responses already stored.
        await post_in_batches(system, bodies[N // 2 :] + bodies[:50])
    finally:
        if not first_half.done():
            first_half.cancel()
        if scoring.process.poll() is not None:  # killed (or died): bring it back for the other tests
            scoring.start().wait_ready(timeout=120)

    await poll(lambda: _equals(scored_count(system, tp), N), timeout=240, interval=0.5, what=f"{N} scored")

    # Every response is scored, through the API...
    async with system.client("scoring", "agent") as c:

        async def status(rid: str) -> str:
            return (await c.get(f"/v1/responses/{rid}")).json()["status"]

        for chunk in range(0, N, 50):
            statuses = await asyncio.gather(*(status(b["response_id"]) for b in bodies[chunk : chunk + 50]))
            assert set(statuses) == {"scored"}

    # ...and on the topic exactly one score event per response: a republication after the crash
    # may repeat an event, but only ever the same event (same id, same data).
    def scores_by_response():
        seen = defaultdict(list)
        for e in t.matching(EventType.SCORE_COMPUTED):
            if e.data["response_id"] in ids:
                seen[e.data["response_id"]].append(e)
        return seen

    seen = await poll(lambda: len(s := scores_by_response()) == N and s, timeout=120, what=f"{N} score events")
    assert len({e.id for events in seen.values() for e in events}) == N
    for rid, events in seen.items():
        assert {e.id for e in events} == {f"score:{rid}"}
        assert len({(e.data["iec"], e.data["segment"], e.data["previous_iec"]) for e in events}) == 1
    assert not [e for e in t.matching(EventType.SCORE_REJECTED) if e.data["response_id"] in ids]

    # The restarted service announced its programmes again.
    await poll(
        lambda: len([e for e in t.events if e.id == "program:default:v1"]) > announced_before,
        timeout=60,
        what="programmes republished at start-up",
    )


async def _positive(count) -> int | None:
    value = await count
    return value if value > 0 else None


async def _equals(count, expected: int) -> bool:
    return await count == expected
