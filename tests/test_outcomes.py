"""Renewal outcomes through the real boundary: HTTP in, lazo.outcomes.v1, casework stores them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.events import Envelope, EventType, Topic, utcnow
from tests.support import poll, raw_producer


def body(
    customer: str,
    *,
    on: str = "2025-10-31",
    renewed: bool = True,
    revenue: float | None = 1200.0,
    program: str = "default",
) -> dict:
    out = {"customer_id": customer, "program": program, "renewed": renewed, "date": on}
    return out | ({"revenue": revenue} if revenue is not None else {})


@pytest.fixture
async def crm(system):
    async with system.client("casework", "ingest") as c:
        yield c


@pytest.fixture
async def agent(system):
    async with system.client("casework", "agent") as c:
        yield c


async def outcomes_of(client, customer: str, check=bool) -> list[dict]:
    async def _get():
        items = (await client.get("/v1/outcomes", params={"customer_id": customer})).json()["items"]
        return items if check(items) else None

    return await poll(_get, timeout=60, what=f"outcomes of {customer}")


async def test_an_outcome_is_published_then_stored(system, tap, crm, agent, uid):
    t = await tap(Topic.OUTCOMES)
    r = await crm.post("/v1/outcomes", json=body(f"C-{uid}"))
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted" and accepted["customer_id"] == f"C-{uid}"
    [event] = await t.wait_for(EventType.OUTCOME_RECORDED, customer_id=f"C-{uid}")
    assert event.id == accepted["event_id"] and event.subject == f"C-{uid}" and event.source == "/lazo/casework"
    assert event.data == {
        "customer_id": f"C-{uid}",
        "program": "default",
        "renewed": True,
        "date": "2025-10-31",
        "revenue": 1200.0,
    }
    [stored] = await outcomes_of(agent, f"C-{uid}")
    assert (stored["date"], stored["renewed"], stored["revenue"], stored["event_id"]) == (
        "2025-10-31",
        True,
        1200.0,
        accepted["event_id"],
    )


async def test_a_retry_changes_nothing_a_correction_replaces_and_the_newest_date_leads(system, crm, agent, uid):
    customer = f"C-{uid}"
    first = (await crm.post("/v1/outcomes", json=body(customer))).json()
    again = (await crm.post("/v1/outcomes", json=body(customer))).json()
    assert again["event_id"] == first["event_id"]
    await outcomes_of(agent, customer)
    fixed = await crm.post("/v1/outcomes", json=body(customer, renewed=False, revenue=0))
    assert fixed.status_code == 202 and fixed.json()["event_id"] != first["event_id"]
    [row] = await outcomes_of(agent, customer, lambda items: items and items[0]["renewed"] is False)
    assert row["revenue"] == 0 and row["event_id"] == fixed.json()["event_id"]
    assert (await crm.post("/v1/outcomes", json=body(customer, on="2025-11-30", revenue=None))).status_code == 202
    rows = await outcomes_of(agent, customer, lambda items: len(items) == 2)
    assert [(o["date"], o["renewed"], o["revenue"]) for o in rows] == [
        ("2025-11-30", True, None),
        ("2025-10-31", False, 0),
    ]


async def test_a_batch_answers_per_item(system, crm, agent, uid):
    tomorrow_but_one = (utcnow().date() + timedelta(days=2)).isoformat()
    items = [
        body(f"C1-{uid}"),
        {"customer_id": f"C2-{uid}", "renewed": True},
        body(f"C3-{uid}", on=tomorrow_but_one),
        body(f"C4-{uid}", renewed=False, revenue=None),
        "not an object",
    ]
    r = await crm.post("/v1/outcomes:batch", json={"outcomes": items})
    assert r.status_code == 202, r.text
    out = r.json()
    assert (out["accepted"], out["rejected"]) == (2, 3)
    assert [x["status"] for x in out["results"]] == ["accepted", "rejected", "rejected", "accepted", "rejected"]
    assert [e["field"] for e in out["results"][1]["errors"]] == ["outcomes[1].date"]
    assert [e["field"] for e in out["results"][2]["errors"]] == ["outcomes[2].date"]
    assert "future" in out["results"][2]["errors"][0]["message"]
    await outcomes_of(agent, f"C4-{uid}")
    assert (await agent.get("/v1/outcomes", params={"customer_id": f"C2-{uid}"})).json()["items"] == []

    none_valid = await crm.post("/v1/outcomes:batch", json={"outcomes": [{"customer_id": "x"}]})
    assert none_valid.status_code == 422 and none_valid.headers["content-type"] == "application/problem+json"
    too_many = await crm.post("/v1/outcomes:batch", json={"outcomes": [body(f"C-{uid}")] * 1001})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "outcomes"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"renewed": None}, "renewed"),
        ({"date": "31/10/2026"}, "date"),
        ({"revenue": -5}, "revenue"),
        ({"customer_id": ""}, "customer_id"),
        ({"program": "a b"}, "program"),
        ({"date": (date.today() + timedelta(days=3)).isoformat()}, "date"),
    ],
)
async def test_invalid_outcomes_are_problem_json_naming_the_field(system, crm, uid, change, field):
    r = await crm.post("/v1/outcomes", json=body(f"C-{uid}") | change)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_a_crm_can_produce_the_event_itself_and_poison_is_dead_lettered(system, tap, agent, uid):
    dead = await tap(Topic.DEADLETTER)
    customer = f"C-{uid}"
    good = Envelope.new(
        id=f"crm-{uid}",
        type=EventType.OUTCOME_RECORDED,
        source="/crm",
        subject=customer,
        data={"customer_id": customer, "renewed": False, "date": "2025-09-30"},
    )
    bad = Envelope.new(
        id=f"crm-bad-{uid}",
        type=EventType.OUTCOME_RECORDED,
        source="/crm",
        subject=customer,
        data={"customer_id": customer, "renewed": "perhaps", "date": "2025-09-30"},
    )
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for e in (bad, good, good):  # the good one twice: a redelivery
            await producer.send_and_wait(Topic.OUTCOMES, e.to_bytes(), key=e.key)
    finally:
        await producer.stop()
    [row] = await outcomes_of(agent, customer)
    assert (row["program"], row["renewed"], row["revenue"], row["event_id"]) == ("default", False, None, f"crm-{uid}")
    [letter] = await dead.wait_for(EventType.DEADLETTERED, consumer_group="casework", topic=Topic.OUTCOMES, timeout=60)
    assert letter.data["original"]["id"] == f"crm-bad-{uid}" and "OutcomeRecorded" in letter.data["error"]


async def test_keys_and_roles(system, uid):
    async with system.client("casework", None) as anonymous:
        assert (await anonymous.post("/v1/outcomes", json=body(f"C-{uid}"))).status_code == 401
        assert (await anonymous.get(f"/v1/experiments/p-{uid}")).status_code == 401
    async with system.client("casework", "agent") as agent:
        assert (await agent.post("/v1/outcomes", json=body(f"C-{uid}"))).status_code == 403
        assert (await agent.post("/v1/outcomes:batch", json={"outcomes": [body(f"C-{uid}")]})).status_code == 403
    async with system.client("casework", "ingest") as crm:
        assert (await crm.get(f"/v1/experiments/p-{uid}")).status_code == 403
        assert (await crm.get("/v1/outcomes", params={"customer_id": "x"})).status_code == 403
    async with system.client("casework", "admin") as admin:
        assert (await admin.post("/v1/outcomes", json=body(f"C-{uid}"))).status_code == 202
