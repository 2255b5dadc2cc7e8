"""Refuse before reading: every service answers from the request line and headers (the key, the
route's body limit, a webhook's source) before it reads one byte of the body.

The proof is on the wire: each request declares a 12 MB body and sends only its first 64 KiB;
an answer arriving at all means the server never waited for the rest, let alone parsed it.
The services are the test's own (tests.security.support.Alone: own database, no broker), so the
failed authentications here are not counted against the shared system's address.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from shared.settings import SERVICES
from tests.harness import KEYS
from tests.security.support import Alone, metric, raw_post
from tests.test_webhooks import create_source, typeform_headers, typeform_payload

TWELVE_MB = 12_000_000
FIRST = b'{"response_id": "r-1", "customer": {"id": "' + b"x" * (64 * 1024) + b'"'
KIB, MIB = 1024, 1024 * 1024


@pytest.fixture(scope="module")
async def alone(system):
    # The throttle is off here: this module counts what is refused, not how often (test_auth_throttle).
    async with Alone(system, SERVICES, LAZO_AUTH_FAILURES_PER_MIN="0") as services:
        yield services


async def v1_operations(alone: Alone, name: str) -> list[tuple[str, str]]:
    async with alone.client(name) as c:
        spec = (await c.get("/openapi.json")).json()
    return [
        (method.upper(), path.replace("{", "").replace("}", ""))  # any value fills a path parameter
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") and not path.startswith("/v1/webhooks/")
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    ]


def problem(status: int, headers: dict[str, str], body: bytes) -> dict:
    assert headers["content-type"] == "application/problem+json", (status, headers)
    out = json.loads(body)
    assert out["status"] == status and out["title"], out
    return out


async def test_every_v1_route_of_every_service_refuses_a_missing_or_wrong_key_before_reading(alone):
    for name in SERVICES:
        operations = await v1_operations(alone, name)
        assert operations, name
        port = alone[name].port
        for method, path in operations:
            for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"X-API-Key": "not-a-key"}):
                status, got, body = await raw_post(port, path, TWELVE_MB, FIRST, headers, method=method)
                assert status == 401, (name, method, path, headers, body[:200])
                assert got["www-authenticate"] == "Bearer"
                problem(status, got, body)
        async with alone.client(name) as c:
            refused = metric(
                (await c.get("/metrics")).text, "lazo_http_refused_before_body_total", service=name, status="401"
            )
        assert refused >= 3 * len(operations), (name, refused)


async def test_a_key_whose_role_may_not_is_refused_before_reading(alone):
    cases = [
        ("ingest", "/v1/responses", "agent"),
        ("ingest", "/v1/sources", "ingest"),
        ("scoring", "/v1/programs/p", "manager"),
        ("alerts", "/v1/subscriptions", "agent"),
        ("casework", "/v1/outcomes", "agent"),
    ]
    for name, path, role in cases:
        method = "PUT" if name == "scoring" else "POST"
        status, got, body = await raw_post(
            alone[name].port, path, TWELVE_MB, FIRST, {"Authorization": f"Bearer {KEYS[role]}"}, method=method
        )
        assert status == 403, (name, path, body[:200])
        assert role in problem(status, got, body)["detail"]


async def test_a_declared_body_over_the_routes_limit_is_refused_before_reading(alone):
    admin = {"Authorization": f"Bearer {KEYS['admin']}"}
    limits = [
        ("ingest", "POST", "/v1/responses", 256 * KIB),
        ("ingest", "POST", "/v1/responses:batch", 8 * MIB),
        ("ingest", "POST", "/v1/sources", 64 * KIB),
        ("casework", "POST", "/v1/outcomes:batch", 8 * MIB),
        ("casework", "POST", "/v1/cases/c-1/transitions", 64 * KIB),
        ("scoring", "PUT", "/v1/programs/p", 256 * KIB),
        ("alerts", "POST", "/v1/subscriptions", 64 * KIB),
    ]
    for name, method, path, limit in limits:
        status, got, body = await raw_post(alone[name].port, path, limit + 1, b"{", admin, method=method)
        assert status == 413, (path, body[:200])
        assert str(limit) in problem(status, got, body)["detail"]
    # At the limit the body is read: whatever the answer, it is not a 413.
    body = json.dumps({"response_id": "r-at-limit", "customer": {"id": "C-1"}, "comment": "x" * (200 * KIB)}).encode()
    async with alone.client("ingest", KEYS["ingest"]) as c:
        assert (
            await c.post("/v1/responses", content=body, headers={"content-type": "application/json"})
        ).status_code != 413


async def chunks(data: bytes, size: int = 16 * KIB):
    for at in range(0, len(data), size):
        yield data[at : at + size]


async def test_a_streamed_body_is_cut_at_the_routes_limit(alone):
    json_type = {"content-type": "application/json"}
    big = json.dumps({"response_id": "r-streamed", "customer": {"id": "C-1"}, "comment": "x" * (300 * KIB)}).encode()
    async with alone.client("ingest", KEYS["ingest"]) as c:
        r = await c.post("/v1/responses", content=chunks(big), headers=json_type)
        assert r.status_code == 413 and str(256 * KIB) in r.json()["detail"], r.text
        assert r.json()["errors"][0]["field"] == "body"
    async with alone.client("casework", KEYS["manager"]) as c:
        r = await c.put(
            "/v1/programs/p/sla", content=chunks(b'{"x": "' + b"y" * (100 * KIB) + b'"}'), headers=json_type
        )
        assert r.status_code == 413, r.text


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc")
async def test_a_body_under_the_cap_cannot_expand_in_memory(alone):
    """`[{}, {}, …]` is 4 bytes per empty dict of ~64: 7 MiB of it, parsed, is hundreds of MiB. The
    gate counts JSON values as the bytes stream in and refuses the body before any parser runs."""
    pid = alone["ingest"].process.pid
    before = peak_rss(pid)
    bomb = b'{"responses": [' + b"{}, " * (7 * MIB // 4) + b"{}]}"
    async with alone.client("ingest", KEYS["ingest"]) as c:
        for _ in range(3):
            r = await c.post("/v1/responses:batch", content=bomb, headers={"content-type": "application/json"})
            assert r.status_code == 413 and "JSON values" in r.json()["detail"], r.text[:300]
        deep = (
            b'{"response_id": "r-deep", "customer": {"id": "C", "attributes": '
            + b'{"a": ' * 600
            + b"1"
            + b"}" * 600
            + b"}}"
        )
        r = await c.post("/v1/responses", content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 422 and "nested" in r.json()["detail"], r.text[:300]
    assert peak_rss(pid) - before < 64 * MIB, f"peak memory grew by {(peak_rss(pid) - before) // MIB} MiB"


async def test_other_requests_are_served_while_unauthenticated_bodies_are_pending(alone):
    """Three clients declare 12 MB each and stall after 64 KiB: they are answered 401 at once and
    the service goes on answering everyone else."""
    port = alone["scoring"].port
    stalled = await asyncio.gather(
        *(raw_post(port, "/v1/programs/p", TWELVE_MB, FIRST, method="PUT") for _ in range(3))
    )
    assert [s for s, _, _ in stalled] == [401, 401, 401]
    async with alone.client("scoring", KEYS["agent"]) as c:
        statuses = await asyncio.gather(*(c.get("/v1/programs") for _ in range(10)))
    assert {r.status_code for r in statuses} == {200}


async def test_webhooks_look_up_their_source_before_reading(alone, uid):
    port = alone["ingest"].port
    secret = f"tf-gate-{uid}"
    async with alone.client("ingest", KEYS["admin"]) as admin:
        await create_source(
            admin,
            "typeform",
            f"tfg-{uid}",
            {"secret": secret},
            {"customer_id": "hidden.customer_id", "answers": {"experience": "experience"}},
        )
    for path, status in (
        (f"/v1/webhooks/typeform/default?source=nope-{uid}", 404),
        ("/v1/webhooks/nosuch/default", 404),
        (f"/v1/webhooks/typeform/other?source=tfg-{uid}", 404),
        (f"/v1/webhooks/formbricks/default?source=nope-{uid}", 404),  # too big to be a test ping
        (f"/v1/webhooks/typeform/default?source=tfg-{uid}", 413),
    ):  # a real one, over 1 MiB
        got_status, got, body = await raw_post(port, path, TWELVE_MB, FIRST)
        assert got_status == status, (path, body[:200])
        problem(got_status, got, body)
    # A delivery within the limit is read and verified as before.
    body = json.dumps(typeform_payload(uid, f"C-{uid}")).encode()
    async with alone.client("ingest") as platform:
        r = await platform.post(
            f"/v1/webhooks/typeform/default?source=tfg-{uid}", content=body, headers=typeform_headers(secret, body)
        )
        assert r.status_code == 200 and r.json()["status"] in ("accepted", "quarantined"), r.text
        r = await platform.post(f"/v1/webhooks/formbricks/default?source=nope-{uid}", json={"event": "testEndpoint"})
        assert r.status_code == 200 and r.json()["status"] == "ignored", r.text
