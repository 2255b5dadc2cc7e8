"""What an answer promises is what happened: a reused response id with other content is a visible
conflict (an identical retry stays harmless), an outcome corrected back ends as it was, and a
batch says per item what the broker has, through the HTTP doors with the real broker behind."""

from __future__ import annotations

import re

import pytest

from shared.events import EventType, Topic
from tests.support import poll


def response(rid: str, customer: str, **over) -> dict:
    body = {
        "response_id": rid,
        "customer": {"id": customer},
        "touchpoint": "web",
        "answers": {"experience": 8, "worth": 8, "recommend": 8},
    }
    return {**body, **over}


async def conflicts_counted(client) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(r"^lazo_response_conflicts_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_response_id_reused_with_other_content_is_a_visible_conflict(system, uid):
    rid, customer = f"r-dup-{uid}", f"C-dup-{uid}"
    first = response(rid, customer)  # no submitted_at: ingest stamps each retry with its own time
    other = response(rid, customer, answers={"experience": 1, "worth": 1, "recommend": 1}, comment="otra cosa")
    async with system.client("ingest", "ingest") as ingest, system.client("scoring", "agent") as scoring:
        before = await conflicts_counted(scoring)
        assert (await ingest.post("/v1/responses", json=first)).status_code == 202

        async def scored(response_id: str):
            r = await scoring.get(f"/v1/responses/{response_id}")
            return r.status_code == 200 and r.json()

        kept = await poll(lambda: scored(rid), timeout=60, what="the first content scored")
        assert kept["conflict"] is None
        # An identical retry: 202, and nothing anywhere (the sentinel behind it on the partition proves it read).
        assert (await ingest.post("/v1/responses", json=first)).status_code == 202
        assert (await ingest.post("/v1/responses", json=response(f"{rid}-s1", customer))).status_code == 202
        await poll(lambda: scored(f"{rid}-s1"), timeout=60, what="the sentinel behind the identical retry")
        assert (await scored(rid))["conflict"] is None
        # Other content under the same id: still 202 at the edge, and the conflict is recorded and shown.
        assert (await ingest.post("/v1/responses", json=other)).status_code == 202

        async def conflicting():
            body = await scored(rid)
            return body["conflict"] and body

        shown = await poll(conflicting, timeout=60, what="the conflict recorded")
        assert shown["iec"] == 8 and shown["status"] == "scored"  # the first content is the one kept
        assert shown["conflict"]["count"] == 1 and shown["conflict"]["status"] == "conflicting_content"
        assert "different content" in shown["conflict"]["reason"]
        assert await conflicts_counted(scoring) >= before + 1
        # The same other content again is the same conflict, not another one.
        assert (await ingest.post("/v1/responses", json=other)).status_code == 202
        assert (await ingest.post("/v1/responses", json=response(f"{rid}-s2", customer))).status_code == 202
        await poll(lambda: scored(f"{rid}-s2"), timeout=60, what="the sentinel behind the repeated conflict")
        assert (await scored(rid))["conflict"]["count"] == 1
        me = (await scoring.get(f"/v1/customers/{customer}")).json()
        assert sorted(h["response_id"] for h in me["history"]) == sorted([rid, f"{rid}-s1", f"{rid}-s2"])


async def test_an_outcome_corrected_and_corrected_back_ends_as_first_reported(system, uid):
    customer = f"C-abA-{uid}"
    a = {"customer_id": customer, "renewed": True, "date": "2026-10-31", "revenue": 100.0}
    b = {**a, "renewed": False, "revenue": 0.0}
    async with system.client("casework", "ingest") as crm, system.client("casework", "agent") as agent:

        async def stored(expected: dict, event_id: str):
            items = (await agent.get("/v1/outcomes", params={"customer_id": customer})).json()["items"]
            return (
                items and items[0]["renewed"] == expected["renewed"] and items[0]["event_id"] == event_id and items[0]
            )

        first = (await crm.post("/v1/outcomes", json=a)).json()
        await poll(lambda: stored(a, first["event_id"]), timeout=60, what="A stored")
        fixed = (await crm.post("/v1/outcomes", json=b)).json()
        await poll(lambda: stored(b, fixed["event_id"]), timeout=60, what="B replacing A")
        again = (await crm.post("/v1/outcomes", json=a)).json()
        assert again["event_id"] == first["event_id"]  # the same report is the same event
        row = await poll(lambda: stored(a, first["event_id"]), timeout=60, what="A again replacing B")
        assert row["revenue"] == 100.0


@pytest.mark.slow
async def test_a_batch_says_per_item_what_the_broker_has(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    customer = f"C-batch-{uid}"
    items = [response(f"r-batch{i}-{uid}", customer) for i in range(3)]
    items.append(response(f"r-batch-bad-{uid}", customer, submitted_at="0001-01-01T00:00:00+01:00"))
    async with system.client("ingest", "ingest") as c:
        system.broker.pause()
        try:
            r = await c.post("/v1/responses:batch", json={"responses": items}, timeout=60)
        finally:
            system.broker.resume()
        # Nothing acknowledged: 503, and each item says why (the broker's, or its own fault).
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json" and int(r.headers["retry-after"]) > 0
        body = r.json()
        assert [i["status"] for i in body["results"]] == ["unavailable"] * 3 + ["rejected"]
        assert all(i["retry_after"] > 0 for i in body["results"][:3])
        assert (body["accepted"], body["unavailable"], body["rejected"]) == (0, 3, 1)

        async def accepted():
            r = await c.post("/v1/responses:batch", json={"responses": items}, timeout=60)
            assert r.status_code in (202, 503), r.text
            return r.status_code == 202 and r.json()

        # Sent again as the answer advised: the valid items are accepted, the invalid one still named.
        again = await poll(accepted, timeout=60, interval=0.5, what="the batch accepted after the outage")
        assert [i["status"] for i in again["results"]] == ["accepted"] * 3 + ["rejected"]
        assert again["results"][3]["errors"][0]["field"] == "responses[3].submitted_at"
    for i in range(3):
        await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"r-batch{i}-{uid}")
    async with system.client("scoring", "agent") as scoring:
        for i in range(3):

            async def scored(i=i):
                r = await scoring.get(f"/v1/responses/r-batch{i}-{uid}")
                return r.status_code == 200 and r.json()

            # Sent twice (once unacknowledged), scored once, and no conflict: a retry is harmless.
            assert (await poll(scored, timeout=60, what="each item scored"))["conflict"] is None
