"""Hostile requests get a clear 4xx as problem+json, and nothing of them is published.

"Nothing published" is proven with a sentinel: after the hostile requests, a valid one for the
same customer (hence the same partition, behind them) is sent; once it is on the topic, anything
the hostile ones had published would be there before it.
"""

from __future__ import annotations

import json
import time

from shared.events import EventType, Topic
from tests.security.support import own_program
from tests.test_webhooks import WHSEC, body_of, create_source, formbricks_headers, load

MIB = 1024 * 1024
JSON = {"content-type": "application/json"}


def response(rid: str, customer: str, **over) -> dict:
    body = {
        "response_id": rid,
        "customer": {"id": customer},
        "touchpoint": "web",
        "answers": {"experience": 8, "worth": 8, "recommend": 8},
    }
    return {**body, **over}


async def chunks(data: bytes, size: int = MIB):
    """The body streamed without a Content-Length (chunked transfer encoding)."""
    for at in range(0, len(data), size):
        yield data[at : at + size]


def nested(depth: int) -> dict:
    inner: dict = {}
    top = inner
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return top


def assert_problem(r, *statuses: int) -> dict:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json", r.headers
    problem = r.json()
    assert problem["status"] == r.status_code and problem["title"]
    return problem


async def test_hostile_bodies_on_ingest_are_refused_and_nothing_is_published(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    customer = f"C-hostile-{uid}"
    rid = lambda name: f"r-hostile-{name}-{uid}"  # noqa: E731
    huge = json.dumps(response(rid("huge"), customer, comment="x" * (17 * MIB))).encode()
    async with system.client("ingest", "ingest") as c:
        # Over the 16 MiB cap, declared (Content-Length) or streamed (chunked).
        assert_problem(await c.post("/v1/responses", content=huge, headers=JSON), 413)
        huge_chunked = huge.replace(rid("huge").encode(), rid("chunked").encode())
        assert_problem(await c.post("/v1/responses", content=chunks(huge_chunked), headers=JSON), 413)
        # 2,000 levels of nesting: refused by the parser, not a 500, not a hang.
        deep = (
            f'{{"response_id": "{rid("deep")}", "customer": {{"id": "{customer}", "attributes": '
            + '{"a": ' * 2000
            + "1"
            + "}" * 2000
            + "}}"
        )
        assert_problem(await c.post("/v1/responses", content=deep, headers=JSON), 400, 422)
        # Deep enough to parse, too deep to publish: the field is named.
        too_deep = response(rid("nested"), customer) | {"customer": {"id": customer, "attributes": nested(500)}}
        problem = assert_problem(await c.post("/v1/responses", json=too_deep), 422)
        assert problem["errors"][0]["field"] == "customer.attributes"
        # Wrong content types.
        text = json.dumps(response(rid("text"), customer))
        assert_problem(await c.post("/v1/responses", content=text, headers={"content-type": "text/plain"}), 415, 422)
        assert_problem(await c.post("/v1/responses", data={"response_id": rid("form"), "customer": customer}), 415, 422)
        # Invalid UTF-8, and NUL characters (which PostgreSQL cannot store downstream).
        bad_utf8 = json.dumps(response(rid("utf8"), customer, comment="@@")).encode().replace(b"@@", b"\xff\xfe\xc3")
        assert_problem(await c.post("/v1/responses", content=bad_utf8, headers=JSON), 400, 422)
        problem = assert_problem(
            await c.post("/v1/responses", json=response(rid("nul"), customer, comment="a\x00b")), 422
        )
        assert "NUL" in problem["detail"]
        assert_problem(
            await c.post(
                "/v1/responses:batch", json={"responses": [response(rid("batch-nul"), customer, comment="\x00")]}
            ),
            422,
        )
        assert_problem(await c.get("/v1/quarantine", params={"source": "a\x00b"}), 422)
        # The sentinel, behind them on the customer's partition.
        assert (await c.post("/v1/responses", json=response(rid("sentinel"), customer))).status_code == 202
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=rid("sentinel"))
    published = {e.data.get("response_id") for e in t.events if e.subject == customer}
    assert published == {rid("sentinel")}


async def test_hostile_bodies_on_casework_outcomes(system, tap, uid):
    t = await tap(Topic.OUTCOMES)
    customer = f"C-hostile-{uid}"

    def outcome(day: str, **over) -> dict:
        return {"customer_id": customer, "program": f"hostile-{uid}", "renewed": True, "date": day, **over}

    async with system.client("casework", "admin") as c:
        big = json.dumps(outcome("2026-01-01") | {"note": "x" * (17 * MIB)}).encode()
        assert_problem(await c.post("/v1/outcomes", content=big, headers=JSON), 413)
        assert_problem(await c.post("/v1/outcomes", content=chunks(big), headers=JSON), 413)
        assert_problem(await c.post("/v1/outcomes", content="[" * 2000 + "]" * 2000, headers=JSON), 400, 422)
        assert_problem(
            await c.post(
                "/v1/outcomes", content=json.dumps(outcome("2026-01-02")), headers={"content-type": "text/plain"}
            ),
            415,
            422,
        )
        bad_utf8 = json.dumps(outcome("2026-01-03", program="@@")).encode().replace(b"@@", b"\xc3\x28")
        assert_problem(await c.post("/v1/outcomes", content=bad_utf8, headers=JSON), 400, 422)
        assert_problem(await c.post("/v1/outcomes", json=outcome("2026-01-04", customer_id="C\x00")), 422)
        assert (await c.post("/v1/outcomes", json=outcome("2026-01-05"))).status_code == 202
    await t.wait_for(EventType.OUTCOME_RECORDED, customer_id=customer, date="2026-01-05")
    assert [e.data["date"] for e in t.events if e.subject == customer] == ["2026-01-05"]


async def test_a_replayed_webhook_signature_outside_the_tolerance_stores_nothing(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    mapping = {
        "customer_id": "contact.userId",
        "comment": "txt9c3",
        "answers": {"experience": "exp8q1", "worth": "wrt4k7", "recommend": "nps2m5"},
    }
    source, program = f"fbh-{uid}", await own_program(system, f"hostile-{uid}")
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "formbricks", source, {"secret": WHSEC}, mapping, program=program)

    def delivery(response_id: str) -> bytes:
        payload = load("formbricks_response_finished.json")
        payload["data"]["id"] = response_id
        payload["data"]["contact"]["userId"] = f"C-{uid}"
        return body_of(payload)

    url = f"/v1/webhooks/formbricks/{program}?source={source}"
    async with system.client("ingest", None) as platform:
        for at in (time.time() - 600, time.time() + 600):  # captured and replayed later; or forged ahead
            old = delivery(f"old-{at:.0f}-{uid}")
            assert_problem(await platform.post(url, content=old, headers=formbricks_headers(old, at=at)), 401)
        fresh = delivery(f"fresh-{uid}")
        r = await platform.post(url, content=fresh, headers=formbricks_headers(fresh))
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"{source}:fresh-{uid}")
    assert [e.data["response_id"] for e in t.events if e.subject == f"C-{uid}"] == [f"{source}:fresh-{uid}"]
    async with system.client("ingest", "admin") as admin:
        for status in ("held", "replayed"):
            r = await admin.get("/v1/quarantine", params={"source": source, "status": status})
            assert r.status_code == 200 and r.json()["items"] == [], r.text
