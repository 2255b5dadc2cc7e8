"""Scoring end to end: responses posted to ingest come out scored, through the real broker."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from shared.contracts.responses import Customer, ResponseReceived
from shared.events import Envelope, EventType, Topic
from tests.support import poll, raw_producer


def response(rid: str, customer: str, answers: dict | None = None, **over) -> dict:
    body = {
        "response_id": rid,
        "customer": {"id": customer, "email": "ana@example.com", "name": "Ana"},
        "touchpoint": "contact_center",
        "answers": answers or {"experience": 5, "worth": 6, "recommend": 6},
        "comment": "Nadie me devolvió la llamada",
    }
    body.update(over)
    return body


async def post(system, *bodies: dict) -> None:
    async with system.client("ingest", "ingest") as c:
        for body in bodies:
            r = await c.post("/v1/responses", json=body)
            assert r.status_code == 202, r.text


async def outcome(system, rid: str, timeout: float = 60) -> dict:
    """The response as scoring reports it, once scoring has seen it."""
    async with system.client("scoring", "agent") as c:

        async def _get():
            r = await c.get(f"/v1/responses/{rid}")
            return r.status_code == 200 and r.json()

        return await poll(_get, timeout=timeout, what=f"response {rid} scored")


async def test_a_response_is_scored_stored_and_published(system, tap, uid):
    t = await tap(Topic.SCORES)
    customer = f"C-{uid}"
    await post(system, response(f"r1-{uid}", customer, case_id=f"case-{uid}"))
    first = await outcome(system, f"r1-{uid}")
    assert first["status"] == "scored" and first["segment"] == "funcional" and first["reason"] is None
    assert first["iec"] == pytest.approx(17 / 3) and round(first["iec"], 1) == 5.7
    assert (first["customer_id"], first["program"]) == (customer, "default")

    [event] = await t.wait_for(EventType.SCORE_COMPUTED, response_id=f"r1-{uid}")
    assert event.id == f"score:r1-{uid}" and event.subject == customer
    assert event.data["customer"] == {"email": "ana@example.com", "name": "Ana"}
    assert event.data["previous_iec"] is None and event.data["case_id"] == f"case-{uid}"
    assert event.data["comment"] == "Nadie me devolvió la llamada"
    assert event.data["touchpoint"] == "contact_center"
    assert event.data["answers"] == {"experience": 5, "worth": 6, "recommend": 6}
    record = next(r for r in t.records if f"score:r1-{uid}".encode() in r.value)
    assert record.key == customer.encode()

    # The next response carries the customer's IEC before it.
    await post(system, response(f"r2-{uid}", customer, {"experience": 9, "worth": 9, "recommend": 10}))
    [second] = await t.wait_for(EventType.SCORE_COMPUTED, response_id=f"r2-{uid}")
    assert second.data["segment"] == "wow" and second.data["iec"] == pytest.approx(28 / 3)
    assert second.data["previous_iec"] == pytest.approx(17 / 3)

    async with system.client("scoring", "manager") as c:
        body = (await c.get(f"/v1/customers/{customer}")).json()
    assert body["customer_id"] == customer and body["segment"] == "wow"
    assert body["iec"] == pytest.approx(28 / 3)
    assert [h["response_id"] for h in body["history"]] == [f"r2-{uid}", f"r1-{uid}"]


async def test_a_customers_iec_is_their_latest_by_submission_time(system, uid):
    customer = f"C-{uid}"
    # Arrival order differs from submission order.
    await post(
        system,
        response(
            f"jan3-{uid}", customer, {"experience": 2, "worth": 2, "recommend": 2}, submitted_at="2026-01-03T09:00:00Z"
        ),
        response(
            f"jan1-{uid}", customer, {"experience": 9, "worth": 9, "recommend": 9}, submitted_at="2026-01-01T09:00:00Z"
        ),
        response(
            f"jan2-{uid}",
            customer,
            {"experience": 7, "worth": 7, "recommend": 7},
            submitted_at="2026-01-02T09:00:00+01:00",
        ),
    )
    await outcome(system, f"jan2-{uid}")
    async with system.client("scoring", "agent") as c:
        body = (await c.get(f"/v1/customers/{customer}")).json()
        assert [h["response_id"] for h in body["history"]] == [f"jan3-{uid}", f"jan2-{uid}", f"jan1-{uid}"]
        assert (body["iec"], body["segment"]) == (2, "nunca_mas")
        assert body["history"][1]["submitted_at"].startswith("2026-01-02T08:00:00")
        missing = await c.get(f"/v1/customers/nobody-{uid}")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert (await c.get(f"/v1/responses/nothing-{uid}")).status_code == 404


async def test_a_response_missing_an_answer_is_kept_unscored_and_rejected(system, tap, uid):
    t = await tap(Topic.SCORES)
    await post(system, response(f"m-{uid}", f"C-{uid}", {"experience": 4, "recommend": 3}))
    body = await outcome(system, f"m-{uid}")
    assert body["status"] == "not_scored" and body["reason"] == "missing answers: worth"
    assert body["iec"] is None and body["segment"] is None
    [event] = await t.wait_for(EventType.SCORE_REJECTED, response_id=f"m-{uid}")
    assert event.id == f"score:m-{uid}" and event.data["missing"] == ["worth"]
    assert not t.matching(EventType.SCORE_COMPUTED, response_id=f"m-{uid}")
    async with system.client("scoring", "agent") as c:
        customer = (await c.get(f"/v1/customers/C-{uid}")).json()
    assert customer == {"customer_id": f"C-{uid}", "iec": None, "segment": None, "history": []}


async def test_a_repeated_response_id_is_scored_once(system, tap, uid):
    t = await tap(Topic.SCORES)
    customer = f"C-{uid}"
    await post(
        system,
        response(f"d-{uid}", customer),
        response(f"d-{uid}", customer, {"experience": 1, "worth": 1, "recommend": 1}),
        response(f"after-{uid}", customer),
    )
    await t.wait_for(EventType.SCORE_COMPUTED, response_id=f"after-{uid}")  # same partition, so d- is done
    await post(system, response(f"d-{uid}", customer))  # and again, once it is stored
    await post(system, response(f"last-{uid}", customer))
    await t.wait_for(EventType.SCORE_COMPUTED, response_id=f"last-{uid}")
    events = t.matching(EventType.SCORE_COMPUTED, response_id=f"d-{uid}")
    assert len(events) == 1 and events[0].data["iec"] == pytest.approx(17 / 3)
    async with system.client("scoring", "agent") as c:
        history = (await c.get(f"/v1/customers/{customer}")).json()["history"]
    assert [h["response_id"] for h in history].count(f"d-{uid}") == 1


async def test_poison_events_are_dead_lettered_and_do_not_block_the_partition(system, tap, uid):
    t = await tap(Topic.DEADLETTER)
    key = f"C-{uid}".encode()
    good = ResponseReceived(
        response_id=f"good-{uid}",
        customer=Customer(id=f"C-{uid}"),
        submitted_at=datetime.now(UTC),
        received_at=datetime.now(UTC),
        answers={"experience": 7, "worth": 7, "recommend": 7},
    )
    bad_data = Envelope.new(
        id=f"bad-{uid}",
        type=EventType.RESPONSE_RECEIVED,
        source="/test",
        subject=f"C-{uid}",
        data={"response_id": f"bad-{uid}", "answers": "lots"},
    )
    ok = Envelope.new(id=f"good-{uid}", type=EventType.RESPONSE_RECEIVED, source="/test", subject=f"C-{uid}", data=good)
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for value in (b"\x00not json at all", bad_data.to_bytes(), ok.to_bytes()):
            await producer.send_and_wait(Topic.RESPONSES, value=value, key=key)
    finally:
        await producer.stop()
    assert (await outcome(system, f"good-{uid}"))["iec"] == 7
    letters = await poll(
        lambda: (
            len(ls := [e for e in t.events if e.subject == f"C-{uid}" and e.data.get("consumer_group") == "scoring"])
            >= 2
            and ls
        ),
        what="two dead letters",
    )
    assert len(letters) == 2
    assert any("base64" in (e.data["original"] or {}) for e in letters)
    assert any(
        (e.data["original"] or {}).get("id") == f"bad-{uid}" and "ResponseReceived" in e.data["error"] for e in letters
    )
    async with system.client("scoring", "agent") as c:
        assert (await c.get(f"/v1/responses/bad-{uid}")).status_code == 404


async def test_a_response_for_an_unknown_programme_is_not_scored(system, uid):
    # Ingest refuses unknown programmes; an event from elsewhere may still name one.
    data = ResponseReceived(
        response_id=f"u-{uid}",
        program=f"gone-{uid}",
        customer=Customer(id=f"C-{uid}"),
        submitted_at=datetime.now(UTC),
        received_at=datetime.now(UTC),
        answers={"experience": 7, "worth": 7, "recommend": 7},
    )
    envelope = Envelope.new(
        id=f"u-{uid}", type=EventType.RESPONSE_RECEIVED, source="/test", subject=f"C-{uid}", data=data
    )
    producer = await raw_producer(system.broker.bootstrap)
    try:
        await producer.send_and_wait(Topic.RESPONSES, value=envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()
    body = await outcome(system, f"u-{uid}")
    assert body["status"] == "not_scored" and body["reason"] == f"unknown programme: gone-{uid}"


async def test_programmes_are_defined_announced_and_score_what_comes_after(system, tap, uid):
    t = await tap(Topic.PROGRAMS)
    name = f"nps-{uid}"
    definition = {
        "questions": [
            {"key": "experience", "scale": {"min": 1, "max": 5}},
            {"key": "worth"},
            {"key": "recommend", "scale": {"min": 0, "max": 10}, "weight": 2},
        ]
    }
    async with system.client("scoring", "admin") as admin:
        programs = (await admin.get("/v1/programs")).json()["programs"]
        assert "default" in [p["program"] for p in programs]
        assert (await admin.get(f"/v1/programs/{name}")).status_code == 404
        r = await admin.put(f"/v1/programs/{name}", json=definition)
        assert r.status_code == 201, r.text
        assert (r.json()["program"], r.json()["version"]) == (name, 1)
        assert (await admin.get(f"/v1/programs/{name}")).json() == r.json()
    announced = (await poll(lambda: [e for e in t.events if e.subject == name], what="programme announced"))[0]
    assert announced.id == f"program:{name}:v1" and announced.data["definition"]["questions"][2]["weight"] == 2

    # Ingest learns the programme from the topic; then it scores with its scales and weights.
    first = response(f"p1-{uid}", f"C-{uid}", {"experience": 4, "worth": 7, "recommend": 10}, program=name)
    async with system.client("ingest", "ingest") as c:
        await poll(lambda: _accepted(c, first), timeout=60, what="ingest knows the programme")
    scored = await outcome(system, f"p1-{uid}")
    assert scored["iec"] == pytest.approx((7.75 + 7 + 2 * 10) / 4) and scored["program_version"] == 1

    async with system.client("scoring", "admin") as admin:
        replaced = definition | {"program": name, "version": 1}
        replaced["questions"] = [*definition["questions"][:2], {"key": "recommend", "scale": {"min": 0, "max": 10}}]
        r = await admin.put(f"/v1/programs/{name}", json=replaced)
        assert r.status_code == 200 and r.json()["version"] == 2
    await poll(lambda: [e for e in t.events if e.id == f"program:{name}:v2"], what="version 2 announced")
    await post(system, response(f"p2-{uid}", f"C-{uid}", {"experience": 4, "worth": 7, "recommend": 10}, program=name))
    later = await outcome(system, f"p2-{uid}")
    assert later["iec"] == pytest.approx((7.75 + 7 + 10) / 3) and later["program_version"] == 2
    assert (await outcome(system, f"p1-{uid}"))["iec"] == scored["iec"]  # scored before: unchanged


async def _accepted(client: httpx.AsyncClient, body: dict) -> bool:
    r = await client.post("/v1/responses", json=body)
    assert r.status_code in (202, 422), r.text
    return r.status_code == 202


@pytest.mark.parametrize(
    "body, field",
    [
        ({"questions": [{"key": "experience"}, {"key": "worth"}]}, "questions"),
        (
            {
                "questions": [
                    {"key": "experience", "scale": {"min": 10, "max": 1}},
                    {"key": "worth"},
                    {"key": "recommend"},
                ]
            },
            "questions[0].scale",
        ),
        (
            {
                "questions": [{"key": k} for k in ("experience", "worth", "recommend")],
                "bands": {"funcional": 8, "pasivo": 7, "wow": 9},
            },
            "bands",
        ),
        ({"program": "another", "questions": [{"key": k} for k in ("experience", "worth", "recommend")]}, "program"),
        ({"questions": [{"key": k} for k in ("experience", "worth", "recommend")], "colour": "red"}, "colour"),
        ({}, "questions"),
    ],
)
async def test_invalid_programmes_are_problem_json_naming_the_field(system, uid, body, field):
    async with system.client("scoring", "admin") as admin:
        r = await admin.put(f"/v1/programs/bad-{uid}", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in r.json()["errors"]], r.json()
        assert (await admin.get(f"/v1/programs/bad-{uid}")).status_code == 404


async def test_kpis_are_aggregated_per_population_and_period(system, uid):
    tp = f"tp-{uid}"
    answers = {  # day -> answers; IEC 1, 7, 9.33, 5.67 and one not scored
        "2026-03-01": {"experience": 1, "worth": 1, "recommend": 1},
        "2026-03-02": {"experience": 6, "worth": 7, "recommend": 8},
        "2026-03-03": {"experience": 9, "worth": 9, "recommend": 10},
        "2026-03-04": {"experience": 5, "worth": 6, "recommend": 6},
        "2026-03-05": {"experience": 5, "recommend": 2},
    }
    bodies = [
        response(f"k{i}-{uid}", f"C{i}-{uid}", a, touchpoint=tp, submitted_at=f"{day}T12:00:00Z")
        for i, (day, a) in enumerate(answers.items())
    ]
    await post(system, *bodies)
    for b in bodies:
        await outcome(system, b["response_id"])
    async with system.client("scoring", "manager") as c:
        k = (await c.get("/v1/kpis", params={"touchpoint": tp})).json()
        assert (k["count"], k["not_scored"]) == (4, 1)
        assert k["iec"]["mean"] == pytest.approx(23 / 4)
        assert (k["iec"]["min"], k["iec"]["max"]) == (1, pytest.approx(28 / 3))
        assert k["iec"]["distribution"] == {str(b): int(b in (1, 5, 7, 9)) for b in range(1, 11)}
        assert k["segments"] == {"nunca_mas": 1, "funcional": 1, "pasivo": 1, "wow": 1}
        # recommend 1, 8, 10, 6, 2 on 1–10 -> NPS points 0, 8, 10, 6, 1
        assert k["nps"] == {"score": pytest.approx(-40.0), "promoters": 1, "passives": 1, "detractors": 3, "count": 5}

        k = (
            await c.get(
                "/v1/kpis", params={"touchpoint": tp, "program": "default", "from": "2026-03-02", "to": "2026-03-03"}
            )
        ).json()
        assert (k["count"], k["not_scored"]) == (2, 0)
        assert k["segments"] == {"nunca_mas": 0, "funcional": 0, "pasivo": 1, "wow": 1}
        k = (await c.get("/v1/kpis", params={"touchpoint": tp, "from": "2026-03-04T12:00:00Z"})).json()
        assert (k["count"], k["not_scored"]) == (1, 1)
        k = (await c.get("/v1/kpis", params={"touchpoint": tp, "program": f"none-{uid}"})).json()
        assert k["count"] == 0 and k["iec"]["mean"] is None and k["nps"]["score"] is None

        for params, field in (({"from": "last tuesday"}, "from"), ({"to": "2026-02-30"}, "to")):
            r = await c.get("/v1/kpis", params=params)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
            assert r.json()["errors"][0]["field"] == field


async def test_keys_and_roles(system, uid):
    async with system.client("scoring", None) as anon:
        for path in ("/v1/kpis", f"/v1/customers/C-{uid}", f"/v1/responses/r-{uid}", "/v1/programs"):
            assert (await anon.get(path)).status_code == 401
    async with system.client("scoring", "ingest") as ingest:
        r = await ingest.get("/v1/kpis")
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    body = {"questions": [{"key": k} for k in ("experience", "worth", "recommend")]}
    for role in ("agent", "manager"):
        async with system.client("scoring", role) as c:
            assert (await c.get("/v1/kpis")).status_code == 200
            assert (await c.put(f"/v1/programs/x-{uid}", json=body)).status_code == 403
