"""Broker outage: ingest answers 503 with Retry-After in bounded time, and recovers by itself."""

from __future__ import annotations

import pytest

from shared.events import EventType, Topic
from tests.support import poll
from tests.test_ingest import response


@pytest.mark.slow
async def test_broker_paused_gives_503_then_recovers(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    async with system.client("ingest", "ingest") as c:
        system.broker.pause()
        try:
            r = await c.post("/v1/responses", json=response(f"out-{uid}", f"C-{uid}"), timeout=30)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) > 0
            ready = await c.get("/readyz", timeout=30)
            assert ready.status_code == 503 and ready.json()["checks"]["broker"] is False
        finally:
            system.broker.resume()

        async def accepted():
            r = await c.post("/v1/responses", json=response(f"out-{uid}", f"C-{uid}"), timeout=30)
            return r.status_code == 202

        await poll(accepted, timeout=60, interval=0.5, what="ingest to accept again after the outage")
        await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"out-{uid}")
        await poll(lambda: _ready(c), timeout=60, interval=0.5, what="readiness after the outage")


async def _ready(c) -> bool:
    return (await c.get("/readyz")).status_code == 200
