"""Accepted means processed: every input bounded at the edge (HTTP), what ingest accepts goes all
the way through scoring, alerts and casework on either database, what it refuses is a 4xx naming
the field and reaches no topic, and what a consumer still cannot process (produced straight onto
a topic) is dead-lettered, never silently dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from shared.contracts.responses import ResponseReceived
from shared.contracts.scores import ScoreComputed
from shared.events import Envelope, EventType, Topic, utcnow
from shared.limits import CASE_ID_CHARS, CUSTOMER_ID_CHARS, RESPONSE_ID_CHARS, TOUCHPOINT_CHARS
from tests.support import poll, raw_producer
from tests.test_webhooks import TYPEFORM_MAPPING, create_source, quarantined, typeform_headers, typeform_payload

JSON = {"content-type": "application/json"}
WIDE = "😀"


def response(rid: str, customer: str, **over) -> dict:
    body = {
        "response_id": rid,
        "customer": {"id": customer, "email": "ana@example.com", "name": "Ana"},
        "touchpoint": "web",
        "answers": {"experience": 2, "worth": 2, "recommend": 2},
        "comment": "No funciona",
    }
    return {**body, **over}


def padded(prefix: str, length: int) -> str:
    return prefix + WIDE * (length - len(prefix))


def fields(r) -> list[str]:
    assert r.headers["content-type"] == "application/problem+json", r.text
    return [e["field"] for e in r.json().get("errors") or []]


async def dead_letters(t, event_id: str, group: str) -> list[Envelope]:
    return [
        e
        for e in t.events
        if e.type == EventType.DEADLETTERED
        and e.data.get("consumer_group") == group
        and (e.data.get("original") or {}).get("id") == event_id
    ]


# --- 1 and 3: the longest ids in the widest characters go all the way --------------------------------


async def test_the_longest_accepted_ids_are_scored_alerted_and_cased_on_either_database(system, uid):
    rid = padded(f"r-{uid}-", RESPONSE_ID_CHARS)
    customer = padded(f"C-{uid}-", CUSTOMER_ID_CHARS)
    body = response(rid, customer, touchpoint=padded("tp-", TOUCHPOINT_CHARS), case_id=padded("k-", CASE_ID_CHARS))
    async with system.client("ingest", "ingest") as c:
        too_long = await c.post("/v1/responses", json=response(rid + "x", customer))
        assert too_long.status_code == 422 and fields(too_long) == ["response_id"]
        too_long = await c.post("/v1/responses", json=response(f"r2-{uid}", customer + "x"))
        assert too_long.status_code == 422 and fields(too_long) == ["customer.id"]
        assert (r := await c.post("/v1/responses", json=body)).status_code == 202, r.text
    async with system.client("scoring", "agent") as scoring:

        async def scored():
            r = await scoring.get(f"/v1/responses/{quote(rid, safe='')}")
            return r.status_code == 200 and r.json()

        assert (await poll(scored, timeout=60, what="the longest ids scored"))["status"] == "scored"
    async with system.client("alerts", "agent") as alerts:

        async def alerted():
            return (await alerts.get("/v1/alerts", params={"customer_id": customer})).json()["items"]

        [alert] = await poll(alerted, timeout=60, what="the alert of the longest ids")
        assert alert["response_id"] == rid
    async with system.client("casework", "agent") as casework:

        async def cased():
            return (await casework.get("/v1/cases", params={"customer_id": customer})).json()["items"]

        [case] = await poll(cased, timeout=60, what="the case of the longest ids")
        assert case["customer_id"] == customer


# --- 1, 2 and 3: what cannot be carried or stored is refused, naming the field ----------------------


async def test_out_of_bounds_responses_are_refused_naming_the_field_and_nothing_is_published(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    customer = f"C-bounds-{uid}"
    rid = lambda name: f"r-bounds-{name}-{uid}"  # noqa: E731
    refused = {
        "customer.attributes": response(rid("attr"), customer)
        | {"customer": {"id": customer, "attributes": {"blob": "x" * 100_000}}},
        "answers": response(rid("answers"), customer, answers={f"q{i}": 1 for i in range(51)}),
        "comment": response(rid("comment"), customer, comment="x" * 5001),
        "case_id": response(rid("case"), customer, case_id="k" * 65),
        "touchpoint": response(rid("tp"), customer, touchpoint="web\nshop"),
    }
    for name, when in {
        "year1": "0001-01-01T00:00:00+01:00",
        "year9999": "9999-12-31T23:59:59Z",
        "year2999": "2999-01-01T00:00:00Z",
        "year1999": "1999-12-31T23:59:59Z",
        "tomorrow": (utcnow() + timedelta(hours=25)).isoformat(),
    }.items():
        refused[f"submitted_at#{name}"] = response(rid(name), customer, submitted_at=when)
    async with system.client("ingest", "ingest") as c:
        for field, body in refused.items():
            r = await c.post("/v1/responses", json=body)
            assert r.status_code == 422, (field, r.text)
            assert field.split("#")[0] in fields(r), (field, r.json())
        # A lone UTF-16 surrogate, as JSON allows writing one: not text any reader downstream takes.
        raw = json.dumps(response(rid("surrogate"), customer)).replace(
            '"name": "Ana"', '"name": "Ana", "attributes": {"nota": "a\\ud800b"}'
        )
        r = await c.post("/v1/responses", content=raw, headers=JSON)
        assert r.status_code == 422 and fields(r) == ["customer.attributes"], r.text
        # Every part within its own bound, the whole more than the pipeline carries: 413, naming the largest.
        whole = response(rid("whole"), customer, comment=WIDE * 5000) | {
            "customer": {"id": customer, "attributes": {"notes": WIDE * 4000}}
        }
        r = await c.post("/v1/responses", json=whole)
        assert r.status_code == 413 and fields(r) == ["comment"], r.text
        # A batch answers per item, naming each item's field.
        r = await c.post(
            "/v1/responses:batch", json={"responses": [refused["submitted_at#year1"], response(rid("ok"), customer)]}
        )
        assert r.status_code == 202, r.text
        assert [i["status"] for i in r.json()["results"]] == ["rejected", "accepted"]
        assert r.json()["results"][0]["errors"][0]["field"] == "responses[0].submitted_at"
        assert (await c.post("/v1/responses", json=response(rid("sentinel"), customer))).status_code == 202
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=rid("sentinel"))
    assert {e.data["response_id"] for e in t.events if e.subject == customer} == {rid("ok"), rid("sentinel")}


async def test_a_webhook_whose_mapped_response_is_too_large_is_quarantined_with_the_reason(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    secret = f"tf-secret-{uid}"
    mapping = {**TYPEFORM_MAPPING, "attributes": {"segment": "hidden.segment"}}
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "typeform", f"tfb-{uid}", {"secret": secret}, mapping)
        body = json.dumps(typeform_payload(f"big-{uid}", f"C-big-{uid}", segment="s" * 300_000)).encode()
        r = await admin.post(
            f"/v1/webhooks/typeform/default?source=tfb-{uid}", content=body, headers=typeform_headers(secret, body)
        )
        assert r.status_code == 200 and r.json()["status"] == "quarantined", r.text
        assert "customer.attributes" in r.json()["reason"]
        [held] = await quarantined(admin, f"tfb-{uid}")
        assert held["stage"] == "mapping" and held["errors"][0]["field"] == "customer.attributes"
        ok = json.dumps(typeform_payload(f"ok-{uid}", f"C-big-{uid}", segment="gold")).encode()
        r = await admin.post(
            f"/v1/webhooks/typeform/default?source=tfb-{uid}", content=ok, headers=typeform_headers(secret, ok)
        )
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tfb-{uid}:tok-ok-{uid}")
    assert [e.data["response_id"] for e in t.events if e.subject == f"C-big-{uid}"] == [f"tfb-{uid}:tok-ok-{uid}"]


# --- 4: date query parameters on every service -------------------------------------------------------


async def test_date_query_parameters_at_the_calendars_edge_are_never_a_500(system):
    edge = ["9999-12-31", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "0001-01-01"]
    async with (
        system.client("scoring", "agent") as scoring,
        system.client("alerts", "agent") as alerts,
        system.client("casework", "agent") as casework,
    ):
        for value in edge:
            for client, path in ((scoring, "/v1/kpis"), (alerts, "/v1/alerts"), (casework, "/v1/kpis")):
                for name in ("from", "to"):
                    r = await client.get(path, params={name: value})
                    assert r.status_code in (200, 422), (path, name, value, r.text)
                    assert r.status_code == 200 or fields(r) == [name], (path, name, value, r.text)
        assert (await scoring.get("/v1/kpis", params={"to": "9999-12-31"})).status_code == 200
        assert (await alerts.get("/v1/alerts", params={"from": "0001-01-01T00:00:00+01:00"})).status_code == 200
        for bucket in ("day", "week", "month"):
            r = await scoring.get("/v1/kpis/series", params={"bucket": bucket})
            assert r.status_code == 200, r.text
            assert len(r.json()) <= 366
        r = await scoring.get("/v1/kpis/series", params={"bucket": "day", "from": "9999-12-01", "to": "9999-12-31"})
        assert r.status_code == 200 and len(r.json()) == 31, r.text
        for client, path in (
            (scoring, "/v1/kpis"),
            (scoring, "/v1/kpis/series"),
            (alerts, "/v1/alerts"),
            (casework, "/v1/kpis"),
        ):
            r = await client.get(path, params={"from": "last tuesday"})
            assert r.status_code == 422 and fields(r) == ["from"], (path, r.text)


# --- 3, 4 and 7: straight onto a topic, past ingest: dead-lettered, never pinning, never silent ----------


def response_event(rid: str, customer: str, submitted_at: datetime, iec_answer: float) -> Envelope:
    data = ResponseReceived(
        response_id=rid,
        customer={"id": customer},
        submitted_at=submitted_at,
        received_at=submitted_at,
        answers={k: iec_answer for k in ("experience", "worth", "recommend")},
    )
    return Envelope.new(id=rid, type=EventType.RESPONSE_RECEIVED, source="/test", subject=customer, data=data)


async def test_a_response_dated_far_ahead_on_the_topic_is_dead_lettered_and_pins_nothing(system, tap, uid):
    t = await tap(Topic.DEADLETTER)
    customer = f"C-pin-{uid}"
    async with system.client("ingest", "ingest") as c:
        r = await c.post(
            "/v1/responses",
            json=response(
                f"r-pin-{uid}", customer, comment=None, answers={"experience": 8, "worth": 8, "recommend": 8}
            ),
        )
        assert r.status_code == 202, r.text
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for name, when in (
            ("future", datetime(2999, 1, 1, tzinfo=UTC)),
            ("ancient", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
        ):
            event = response_event(f"r-pin-{name}-{uid}", customer, when, 1)
            await producer.send_and_wait(Topic.RESPONSES, event.to_bytes(), key=event.key)
    finally:
        await producer.stop()
    for name in ("future", "ancient"):
        await poll(
            lambda n=name: dead_letters(t, f"r-pin-{n}-{uid}", "scoring"),
            timeout=60,
            what=f"the {name} response dead-lettered by scoring",
        )
    async with system.client("scoring", "agent") as scoring:
        me = (await scoring.get(f"/v1/customers/{customer}")).json()
        assert me["iec"] == 8 and [h["response_id"] for h in me["history"]] == [f"r-pin-{uid}"]
        assert (await scoring.get("/v1/kpis/series", params={"bucket": "day"})).status_code == 200


def score_event(rid: str, customer: str, submitted_at: datetime) -> Envelope:
    data = ScoreComputed(
        response_id=rid,
        customer_id=customer,
        program="default",
        submitted_at=submitted_at,
        iec=2.0,
        segment="nunca_mas",
        comment="No funciona",
    )
    return Envelope.new(id=f"score:{rid}", type=EventType.SCORE_COMPUTED, source="/test", subject=customer, data=data)


async def test_a_detractor_at_the_calendars_edge_is_alerted_or_dead_lettered_never_dropped(system, tap, uid):
    t = await tap(Topic.DEADLETTER)
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for name, when in (
            ("year1", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
            ("year9999", datetime(9999, 12, 31, 12, tzinfo=UTC)),
        ):
            event = score_event(f"r-edge-{name}-{uid}", f"C-edge-{name}-{uid}", when)
            await producer.send_and_wait(Topic.SCORES, event.to_bytes(), key=event.key)
    finally:
        await producer.stop()
    await poll(
        lambda: dead_letters(t, f"score:r-edge-year1-{uid}", "alerts"),
        timeout=60,
        what="the year-1 detractor dead-lettered by alerts",
    )
    async with system.client("alerts", "agent") as alerts:

        async def alerted():
            return (await alerts.get("/v1/alerts", params={"customer_id": f"C-edge-year9999-{uid}"})).json()["items"]

        [alert] = await poll(alerted, timeout=60, what="the year-9999 detractor alerted")
        assert alert["response_id"] == f"r-edge-year9999-{uid}"
