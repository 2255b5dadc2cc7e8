"""Failed authentication is throttled per client address on every service: after the burst a failing
request is answered 429 with Retry-After, while a valid key from the same address still passes.

The services are the test's own (tests.security.support.Alone) with a burst of 3 and a refill too
slow to matter during the test (one failure back every 100 minutes): no timing is involved.
"""

from __future__ import annotations

import json

import pytest

from shared.settings import SERVICES
from tests.harness import KEYS
from tests.security.support import Alone, raw_post
from tests.test_webhooks import create_source, typeform_headers, typeform_payload

BURST = 3
# A read each service answers with a valid key, and the role that may read it.
READS = {
    "ingest": ("/v1/sources", "admin"),
    "scoring": ("/v1/programs", "agent"),
    "alerts": ("/v1/alerts", "agent"),
    "casework": ("/v1/cases", "agent"),
    "surveys": ("/v1/contacts", "agent"),
}


@pytest.fixture(scope="module")
async def alone(system):
    async with Alone(
        system, SERVICES, LAZO_AUTH_FAILURES_BURST=str(BURST), LAZO_AUTH_FAILURES_PER_MIN="0.01"
    ) as services:
        yield services


def assert_throttled(r) -> None:
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 429 and r.json()["title"] == "Too many requests"
    assert 1 <= int(r.headers["Retry-After"]) <= 6000


async def test_every_service_throttles_failed_keys_per_address_and_lets_valid_keys_through(alone):
    for name in SERVICES:
        path, role = READS[name]
        async with (
            alone.client(name, "guessed-key") as guessing,
            alone.client(name) as anonymous,
            alone.client(name, KEYS[role]) as valid,
        ):
            assert (await valid.get(path)).status_code == 200  # successes do not count
            for _ in range(BURST):
                assert (await guessing.get(path)).status_code == 401
            assert_throttled(await guessing.get(path))
            assert_throttled(await anonymous.get(path))  # no key is a failure too
            # The same address with a valid key: unaffected.
            r = await valid.get(path)
            assert r.status_code == 200, (name, r.text)
            assert (await anonymous.get("/healthz")).status_code == 200  # ops routes need no key
        # Refused before the body is read, like a 401 would be.
        status, _, _ = await raw_post(
            alone[name].port, path, 12_000_000, b"{", {"Authorization": "Bearer nope"}, method="GET"
        )
        assert status == 429, name


async def test_bad_webhook_signatures_are_throttled_per_source(alone, uid):
    secret = f"tf-thr-{uid}"
    mapping = {"customer_id": "hidden.customer_id", "answers": {"experience": "experience"}}
    async with alone.client("ingest", KEYS["admin"]) as admin:
        for source in (f"a-{uid}", f"b-{uid}"):
            await create_source(admin, "typeform", source, {"secret": secret}, mapping)
    body = json.dumps(typeform_payload(uid, f"C-{uid}")).encode()
    forged = typeform_headers("not-the-secret", body)
    async with alone.client("ingest") as platform:
        first = f"/v1/webhooks/typeform/default?source=a-{uid}"
        for _ in range(BURST):
            assert (await platform.post(first, content=body, headers=forged)).status_code == 401
        assert_throttled(await platform.post(first, content=body, headers=forged))
        # Changing the query does not make it another source.
        assert_throttled(await platform.post(first + "&x=1", content=body, headers=forged))
        # Another source posted from the same address (a platform posts many) is not held back.
        second = f"/v1/webhooks/typeform/default?source=b-{uid}"
        assert (await platform.post(second, content=body, headers=forged)).status_code == 401
        r = await platform.post(second, content=body, headers=typeform_headers(secret, body))
        assert r.status_code == 200 and r.json()["status"] in ("accepted", "quarantined"), r.text
