"""A signed Typeform or Tally body replayed later is refused by the platform's event id (neither signs
a timestamp, so a captured request verifies for ever): answered 200 `duplicate`, with what the first
delivery became, and nothing is published or changed again. A platform's own retry of a delivery
is the same request and gets the same harmless answer.

"Nothing published" is proven with a sentinel: a later delivery for the same customer (hence the
same partition, behind the replays) is awaited; anything the replays had published would be on
the topic before it.
"""

from __future__ import annotations

import pytest

from shared.events import EventType, Topic
from tests.harness import KEYS
from tests.security.support import Alone
from tests.support import poll
from tests.test_webhooks import (
    TYPEFORM_MAPPING,
    body_of,
    create_source,
    load,
    quarantined,
    tally_headers,
    typeform_headers,
    typeform_payload,
)

TALLY_MAPPING = {
    "customer_id": "customer_id",
    "touchpoint": "touchpoint",
    "comment": "Anything else?",
    "answers": {"experience": "question_3E1Bvd", "worth": "question_w4Q6Ek", "recommend": "question_3jZaa3"},
}


def tally_payload(uid: str, customer: str, event: str) -> dict:
    payload = load("tally_form_response.json")
    payload["eventId"] = event
    payload["data"]["responseId"] = f"resp-{uid}"
    payload["data"]["fields"][0]["value"] = customer
    return payload


@pytest.mark.parametrize("platform", ["typeform", "tally"])
async def test_a_replayed_delivery_is_answered_duplicate_and_changes_nothing(system, tap, uid, platform):
    t = await tap(Topic.RESPONSES)
    secret, source, customer = f"{platform}-replay-{uid}", f"rp-{uid}", f"C-rp-{uid}"
    sign = typeform_headers if platform == "typeform" else tally_headers
    async with system.client("ingest", "admin") as admin:
        await create_source(
            admin, platform, source, {"secret": secret}, TYPEFORM_MAPPING if platform == "typeform" else TALLY_MAPPING
        )
    if platform == "typeform":
        first, later = typeform_payload(uid, customer), typeform_payload(f"{uid}-later", customer)
        response_id, later_id = f"{source}:tok-{uid}", f"{source}:tok-{uid}-later"
    else:
        first, later = tally_payload(uid, customer, f"ev-{uid}"), tally_payload(f"{uid}-later", customer, f"ev2-{uid}")
        response_id, later_id = f"{source}:resp-{uid}", f"{source}:resp-{uid}-later"
    body = body_of(first)
    url = f"/v1/webhooks/{platform}/default?source={source}"
    async with system.client("ingest", None) as client:
        r = await client.post(url, content=body, headers=sign(secret, body))
        assert r.status_code == 200 and r.json() == {"status": "accepted", "response_id": response_id}, r.text
        # The captured request, sent again as it was (or the platform retrying it): refused, harmlessly.
        for _ in range(2):
            r = await client.post(url, content=body, headers=sign(secret, body))
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "duplicate" and r.json()["response_id"] == response_id
            assert "received before" in r.json()["reason"]
        # The same event id re-signed over other answers (only a holder of the secret could): the same.
        altered = (
            first | {"form_response": first["form_response"] | {"token": f"tok-{uid}-x"}}
            if platform == "typeform"
            else first | {"data": first["data"] | {"responseId": f"resp-{uid}-x"}}
        )
        altered_body = body_of(altered)
        r = await client.post(url, content=altered_body, headers=sign(secret, altered_body))
        assert r.status_code == 200 and r.json()["status"] == "duplicate", r.text
        # The sentinel: the customer's next delivery, with an event id of its own.
        later_body = body_of(later)
        r = await client.post(url, content=later_body, headers=sign(secret, later_body))
        assert r.json() == {"status": "accepted", "response_id": later_id}, r.text
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=later_id)
    assert [e.data["response_id"] for e in t.events if e.subject == customer] == [response_id, later_id]


async def test_a_replay_cannot_reopen_a_quarantined_delivery_after_it_was_settled(system, uid):
    secret, source = f"tf-rq-{uid}", f"rq-{uid}"
    broken = {**TYPEFORM_MAPPING, "customer_id": "hidden.client_id"}
    body = body_of(typeform_payload(uid, f"C-rq-{uid}"))
    url = f"/v1/webhooks/typeform/default?source={source}"
    async with system.client("ingest", "admin") as admin, system.client("ingest", None) as platform:
        await create_source(admin, "typeform", source, {"secret": secret}, broken)
        r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
        held = r.json()
        assert held["status"] == "quarantined", r.text
        r = await admin.put(f"/v1/sources/{source}", json={"platform": "typeform", "mapping": TYPEFORM_MAPPING})
        assert r.status_code == 200, r.text
        r = await admin.post(f"/v1/quarantine/{held['quarantine_id']}:replay")
        assert r.json() == {"status": "accepted", "response_id": f"{source}:tok-{uid}"}, r.text
        # Today's mapping is broken again; the captured delivery replayed: nothing goes back to held.
        r = await admin.put(f"/v1/sources/{source}", json={"platform": "typeform", "mapping": broken})
        assert r.status_code == 200, r.text
        r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
        assert r.json()["status"] == "duplicate" and r.json()["quarantine_id"] == held["quarantine_id"], r.text
        assert await quarantined(admin, source) == []
        [done] = await quarantined(admin, source, "replayed")
        assert (done["deliveries"], done["response_id"]) == (1, f"{source}:tok-{uid}")


async def test_delivery_ids_are_forgotten_after_the_replay_window(system, uid):
    """A window of seconds (LAZO_WEBHOOK_REPLAY_WINDOW_H) on an ingest of the test's own: a
    duplicate within it; past it the id is forgotten (the table keeps one window of deliveries),
    and the same delivery is processed again: the same response id, which every consumer's inbox
    absorbs."""
    secret, source = f"tf-win-{uid}", f"win-{uid}"
    body = body_of(typeform_payload(uid, f"C-win-{uid}"))
    url = f"/v1/webhooks/typeform/default?source={source}"
    async with Alone(system, ["ingest"], LAZO_WEBHOOK_REPLAY_WINDOW_H="0.002") as alone:  # 7.2 s
        async with alone.client("ingest", KEYS["admin"]) as admin:
            await create_source(admin, "typeform", source, {"secret": secret}, TYPEFORM_MAPPING)
        async with alone.client("ingest") as platform:
            r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
            assert r.json()["status"] == "accepted", r.text
            r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
            assert r.json()["status"] == "duplicate", r.text

            async def forgotten():
                r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
                return r.json()["status"] == "accepted" and r.json()

            again = await poll(forgotten, timeout=60, interval=0.5, what="the delivery id forgotten")
            assert again["response_id"] == f"{source}:tok-{uid}"
