"""Rate limiting per API key on ingest: 429 problem+json with Retry-After, each key its own bucket.

A dedicated ingest process with a tiny limit (one request per 100 s, burst 3), beside the shared
system whose limits stay as configured; so that no timing matters, the bucket cannot refill
during the test.
"""

from __future__ import annotations

import asyncio

import httpx

from ops.embedded_broker import free_port
from tests.harness import KEYS, ServiceProcess

BURST = 3


def response(rid: str, customer: str) -> dict:
    return {"response_id": rid, "customer": {"id": customer}, "answers": {"experience": 8, "worth": 8, "recommend": 8}}


def client(url: str, key: str | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=15, headers={"Authorization": f"Bearer {key}"} if key else {})


async def test_each_key_is_limited_on_its_own_with_429_and_retry_after(system, uid):
    port = free_port()
    env = {
        **system["ingest"].env,
        "LAZO_INGEST_PORT": str(port),
        "LAZO_RATE_LIMIT_PER_S": "0.01",
        "LAZO_RATE_LIMIT_BURST": str(BURST),
    }
    limited = ServiceProcess("ingest", env, port, system.workdir, log_name=f"ingest-ratelimited-{uid}").start()
    try:
        await asyncio.to_thread(limited.wait_ready)
        customer = f"C-rl-{uid}"
        async with client(limited.url, KEYS["ingest"]) as ingest:
            for i in range(BURST):
                r = await ingest.post("/v1/responses", json=response(f"r-rl-{i}-{uid}", customer))
                assert r.status_code == 202, r.text
            r = await ingest.post("/v1/responses", json=response(f"r-rl-over-{uid}", customer))
            assert r.status_code == 429, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["status"] == 429 and r.json()["title"] == "Too many requests"
            assert 1 <= int(r.headers["Retry-After"]) <= 100
            # Refused before anything is read: an invalid body is not even looked at.
            assert (await ingest.post("/v1/responses", content=b"{")).status_code == 429
        async with client(limited.url, KEYS["admin"]) as admin:  # another key: a bucket of its own
            r = await admin.post("/v1/responses", json=response(f"r-rl-admin-{uid}", customer))
            assert r.status_code == 202, r.text
        async with client(limited.url, None) as anonymous:  # no key: refused by auth, not by the limiter
            for _ in range(BURST + 1):
                assert (
                    await anonymous.post("/v1/responses", json=response(f"r-rl-anon-{uid}", customer))
                ).status_code == 401
            assert (await anonymous.get("/healthz")).status_code == 200
        async with client(limited.url, "guessed-key") as guessing:  # unknown keys share one bucket
            statuses = [(await guessing.get("/v1/sources")).status_code for _ in range(BURST + 1)]
            assert statuses == [401] * BURST + [429]
    finally:
        await asyncio.to_thread(limited.stop)
    # The shared system's ingest keeps its own (default) limit: the same key still goes through.
    async with system.client("ingest", "ingest") as ingest:
        assert (await ingest.post("/v1/responses", json=response(f"r-rl-shared-{uid}", customer))).status_code == 202
