"""The broker stops answering while responses stream in.

Invariant: ingest answers every request either 202 (the broker acknowledged it) or 503 (it did
not; the caller retries) — never anything else, never a hang. After the broker is back, and the
503'd responses are posted again as a survey platform would, every response acknowledged with
202 is scored exactly once: sent == stored by scoring == distinct `score:<id>` events.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from shared.events import Topic
from tests.faults.ledger import assert_scored_exactly_once, response, wait_scored
from tests.support import poll

N = 400
SENDERS = 8  # concurrent clients: during the outage each one holds a request until it is answered 503
PAUSE_AFTER = 100  # accepted responses before the broker stops
REFUSALS = 2 * SENDERS  # 503s seen before it comes back


@pytest.mark.slow
async def test_broker_outage_mid_stream_every_acknowledged_response_is_scored_once(system, tap, uid):
    tp = f"outage-{uid}"
    bodies = [response(f"o{i}-{uid}", f"C{i % 50}-{uid}", tp, i) for i in range(N)]
    t = await tap(Topic.SCORES)
    answers: dict[str, list[int]] = {b["response_id"]: [] for b in bodies}
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async with system.client("ingest", "ingest") as c:

        async def sender() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                r = await c.post("/v1/responses", json=body, timeout=60)
                answers[body["response_id"]].append(r.status_code)
                if r.status_code == 503:
                    assert r.headers["content-type"] == "application/problem+json" and int(r.headers["retry-after"]) > 0

        def tally() -> Counter:
            return Counter(code for codes in answers.values() for code in codes)

        senders = [asyncio.create_task(sender()) for _ in range(SENDERS)]
        try:
            await poll(lambda: tally()[202] >= PAUSE_AFTER, timeout=120, interval=0.01, what="the stream flowing")
            system.broker.pause()
            try:
                # The outage lasts until the senders were told 503 about twice each (~2 publish
                # timeouts, a few seconds): long enough to be seen, whatever the machine's speed.
                await poll(lambda: tally()[503] >= REFUSALS, timeout=60, interval=0.05, what="503s during the outage")
            finally:
                system.broker.resume()
            await asyncio.gather(*senders)
        finally:
            system.broker.resume()  # idempotent: the shared system must never stay paused
            for s in senders:
                s.cancel()

        counts = tally()
        assert set(counts) <= {202, 503}, counts
        assert counts[202] >= PAUSE_AFTER and counts[503] >= REFUSALS, counts
        refused = [b for b in bodies if answers[b["response_id"]][-1] == 503]

        # A platform re-sends what was refused, honouring Retry-After, until it is accepted.
        for body in refused:

            async def accepted(body=body) -> bool:
                r = await c.post("/v1/responses", json=body, timeout=60)
                assert r.status_code in (202, 503), r.text
                answers[body["response_id"]].append(r.status_code)
                return r.status_code == 202

            await poll(accepted, timeout=120, interval=0.5, what=f"{body['response_id']} accepted again")

    acknowledged = {rid for rid, codes in answers.items() if 202 in codes}
    assert len(acknowledged) == N  # every response sent was, in the end, acknowledged

    async with system.client("scoring", "agent") as s:
        await wait_scored(s, tp, N)
        await assert_scored_exactly_once(s, t, acknowledged, tp, uid)
