"""Casework through its real boundary: alerts and scores onto the broker, HTTP for agents,
case events read back from lazo.cases.v1."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.events import Envelope, EventType, Topic, utcnow
from tests.support import poll, raw_producer

STATES = ["open", "contacted", "analysing", "responded", "closed", "unreachable", "control"]


# -- the inputs, as the alerts and scoring services publish them --------------------------------


def alert(
    alert_id: str,
    customer: str,
    *,
    program: str = "default",
    held_out: bool = False,
    iec: float = 3.0,
    event_id: str | None = None,
    raised_at: datetime | None = None,
) -> Envelope:
    data = {
        "alert_id": alert_id,
        "customer_id": customer,
        "customer": {"email": "ana@example.com", "name": "Ana"},
        "program": program,
        "response_id": f"r-{alert_id}",
        "iec": iec,
        "segment": "nunca_mas",
        "reasons": ["iec_at_or_below_threshold", "comment"],
        "comment": "Nadie me devolvió la llamada",
        "touchpoint": "contact_center",
        "raised_at": (raised_at or utcnow()).isoformat(),
        "control_group": held_out,
    }
    return Envelope.new(
        id=event_id or f"alert:{alert_id}",
        source="/lazo/alerts",
        subject=customer,
        data=data,
        type=EventType.ALERT_HELD_OUT if held_out else EventType.ALERT_RAISED,
    )


def score(
    response_id: str, customer: str, iec: float, *, program: str = "default", case_id: str | None = None
) -> Envelope:
    # Follow-ups in these tests score high and carry no comment, so no alert rule fires on them.
    data = {
        "response_id": response_id,
        "customer_id": customer,
        "program": program,
        "submitted_at": utcnow().isoformat(),
        "iec": iec,
        "segment": "pasivo",
        "case_id": case_id,
    }
    return Envelope.new(
        id=f"score:{response_id}", type=EventType.SCORE_COMPUTED, source="/lazo/scoring", subject=customer, data=data
    )


@pytest.fixture
async def produce(system):
    producer = await raw_producer(system.broker.bootstrap)

    async def _send(topic: str, *envelopes: Envelope) -> None:
        for e in envelopes:
            await producer.send_and_wait(topic, e.to_bytes(), key=e.key)

    yield _send
    await producer.stop()


@pytest.fixture
async def agent(system):
    async with system.client("casework", "agent") as c:
        yield c


async def the_case(client, customer: str, program: str | None = None) -> dict:
    """Wait for the customer's one case and return its detail."""
    params = {"customer_id": customer} | ({"program": program} if program else {})

    async def _one():
        body = (await client.get("/v1/cases", params=params)).json()
        return body["items"][0] if body.get("total") else None

    found = await poll(_one, timeout=60, what=f"a case for {customer}")
    return (await client.get(f"/v1/cases/{found['case_id']}")).json()


async def detail_when(client, case_id: str, check, what: str) -> dict:
    async def _get():
        body = (await client.get(f"/v1/cases/{case_id}")).json()
        return body if check(body) else None

    return await poll(_get, timeout=60, what=what)


async def move(client, case_id: str, to: str, **body) -> dict:
    r = await client.post(f"/v1/cases/{case_id}/transitions", json={"to": to, **body})
    assert r.status_code == 200, r.text
    return r.json()


async def walk_to_responded(client, case_id: str) -> None:
    await move(client, case_id, "contacted", cause="double charge", owner="billing")
    await move(client, case_id, "analysing")
    await move(client, case_id, "responded", note="refund issued")


# -- opening -----------------------------------------------------------------------------------


async def test_an_alert_opens_a_case_and_publishes_it(system, tap, produce, agent, uid):
    t = await tap(Topic.CASES)
    await produce(Topic.ALERTS, alert(f"A-{uid}", f"C-{uid}"))
    case = await the_case(agent, f"C-{uid}")
    assert case["status"] == "open" and case["program"] == "default"
    assert case["customer"] == {"email": "ana@example.com", "name": "Ana"}
    assert case["allowed"] == ["contacted", "unreachable"] and case["overdue"] is False
    opened_at = datetime.fromisoformat(case["opened_at"])
    due = datetime.fromisoformat(case["due"]["first_contact"])
    assert timedelta(hours=47) < due - opened_at <= timedelta(hours=48)  # default SLA, from the alert
    [entry] = case["timeline"]
    assert (entry["type"], entry["to"], entry["alert_id"], entry["response_id"]) == (
        "opened",
        "open",
        f"A-{uid}",
        f"r-A-{uid}",
    )
    assert "Nadie me devolvió la llamada" in entry["note"]
    [event] = await t.wait_for(EventType.CASE_OPENED, case_id=case["case_id"])
    assert event.id == f"{case['case_id']}:1" and event.subject == f"C-{uid}"
    assert event.data["status"] == "open" and event.data["alert_id"] == f"A-{uid}"


async def test_later_and_duplicate_alerts_land_in_the_one_case(system, produce, agent, uid):
    customer = f"C-{uid}"
    first = alert(f"A1-{uid}", customer)
    # Same event twice, the same alert under another event id, then a new alert (one partition: in order).
    await produce(
        Topic.ALERTS,
        first,
        first,
        alert(f"A1-{uid}", customer, event_id=f"again:{uid}"),
        alert(f"A2-{uid}", customer, iec=2.0),
    )
    case = await the_case(agent, customer)
    case = await detail_when(agent, case["case_id"], lambda b: len(b["timeline"]) >= 2, "the second alert")
    assert [e["type"] for e in case["timeline"]] == ["opened", "alert_added"]
    assert case["timeline"][1]["alert_id"] == f"A2-{uid}"
    assert [a["alert_id"] for a in case["alerts"]] == [f"A1-{uid}", f"A2-{uid}"]
    assert (await agent.get("/v1/cases", params={"customer_id": customer})).json()["total"] == 1


async def test_a_held_out_alert_opens_a_control_case_that_allows_nothing(system, produce, agent, uid):
    await produce(Topic.ALERTS, alert(f"A-{uid}", f"C-{uid}", held_out=True))
    case = await the_case(agent, f"C-{uid}")
    assert case["status"] == "control" and case["allowed"] == [] and case["alerts"][0]["held_out"] is True
    for to in STATES:
        r = await agent.post(f"/v1/cases/{case['case_id']}/transitions", json={"to": to, "cause": "x"})
        assert r.status_code == 409, (to, r.text)
        assert r.headers["content-type"] == "application/problem+json" and r.json()["allowed"] == []
    r = await agent.post(f"/v1/cases/{case['case_id']}/confirmation", json={"solved": True, "current_feeling": 9})
    assert r.status_code == 409
    assert (await agent.get(f"/v1/cases/{case['case_id']}")).json()["timeline"][-1]["type"] == "opened"


async def test_a_new_alert_puts_an_unreachable_case_back_in_the_queue(system, produce, agent, uid):
    customer = f"C-{uid}"
    await produce(Topic.ALERTS, alert(f"A1-{uid}", customer))
    case_id = (await the_case(agent, customer))["case_id"]
    await move(agent, case_id, "unreachable", note="three calls, no answer")
    await produce(Topic.ALERTS, alert(f"A2-{uid}", customer))
    case = await detail_when(agent, case_id, lambda b: b["status"] == "open", "the case reopened")
    assert [(e["type"], e["to"]) for e in case["timeline"]] == [
        ("opened", "open"),
        ("transitioned", "unreachable"),
        ("alert_added", None),
        ("transitioned", "open"),
    ]
    assert case["timeline"][-1]["alert_id"] == f"A2-{uid}"


async def test_an_alert_after_the_response_confirms_the_case_and_opens_the_next(system, produce, agent, uid):
    customer = f"C-{uid}"
    await produce(Topic.ALERTS, alert(f"A1-{uid}", customer))
    first = (await the_case(agent, customer))["case_id"]
    await walk_to_responded(agent, first)
    # The customer's next survey is the follow-up: it confirms (with its low IEC) and raises the next alert.
    await produce(Topic.ALERTS, alert(f"A2-{uid}", customer, iec=2.3))
    closed = await detail_when(agent, first, lambda b: b["status"] == "closed", "the first case closed")
    assert closed["current_feeling"] == 2.3 and closed["timeline"][-1]["response_id"] == f"r-A2-{uid}"
    page = (await agent.get("/v1/cases", params={"customer_id": customer, "status": "open"})).json()
    assert page["total"] == 1 and page["items"][0]["case_id"] != first
    nxt = (await agent.get(f"/v1/cases/{page['items'][0]['case_id']}")).json()
    assert [a["alert_id"] for a in nxt["alerts"]] == [f"A2-{uid}"]


# -- working the case --------------------------------------------------------------------------


async def test_the_loop_walked_to_a_confirmed_close(system, tap, produce, agent, uid):
    t = await tap(Topic.CASES)
    await produce(Topic.ALERTS, alert(f"A-{uid}", f"C-{uid}"))
    case_id = (await the_case(agent, f"C-{uid}"))["case_id"]
    contacted = await move(agent, case_id, "contacted", cause="double charge", owner="billing", note="called")
    assert contacted["first_contact_at"] and contacted["owner"] == "billing" and contacted["cause"] == "double charge"
    await move(agent, case_id, "analysing")
    await move(agent, case_id, "responded", note="refund issued", owner="billing-2")
    r = await agent.post(
        f"/v1/cases/{case_id}/confirmation", json={"solved": True, "current_feeling": 8, "note": "happy now"}
    )
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "closed" and case["current_feeling"] == 8 and case["closed_at"]
    assert case["owner"] == "billing-2" and case["allowed"] == []
    steps = [(e["type"], e["from"], e["to"]) for e in case["timeline"]]
    assert steps == [
        ("opened", None, "open"),
        ("transitioned", "open", "contacted"),
        ("transitioned", "contacted", "analysing"),
        ("transitioned", "analysing", "responded"),
        ("closed", "responded", "closed"),
    ]
    assert all(e["by"].startswith("agent:") for e in case["timeline"][1:])
    assert case["timeline"][1]["note"] == "called" and case["timeline"][-1]["current_feeling"] == 8
    events = await t.wait_for(count=5, case_id=case_id)
    assert [e.type for e in events] == [EventType.CASE_OPENED] + [EventType.CASE_TRANSITIONED] * 3 + [
        EventType.CASE_CLOSED
    ]
    assert [e.id for e in events] == [f"{case_id}:{n}" for n in range(1, 6)]
    assert events[-1].data["current_feeling"] == 8
    r = await agent.post(f"/v1/cases/{case_id}/transitions", json={"to": "analysing"})
    assert r.status_code == 409 and r.json()["allowed"] == []


async def test_not_solved_and_the_refusals(system, produce, agent, uid):
    await produce(Topic.ALERTS, alert(f"A-{uid}", f"C-{uid}"))
    case_id = (await the_case(agent, f"C-{uid}"))["case_id"]
    url = f"/v1/cases/{case_id}"

    r = await agent.post(f"{url}/transitions", json={"to": "responded"})
    assert r.status_code == 409 and r.json()["allowed"] == ["contacted", "unreachable"], r.text
    r = await agent.post(f"{url}/transitions", json={"to": "contacted", "note": "no cause"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cause", r.text
    r = await agent.post(f"{url}/transitions", json={"to": "solved"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to", r.text
    r = await agent.post(f"{url}/confirmation", json={"solved": True, "current_feeling": 8})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert (await agent.post("/v1/cases/no-such-case/transitions", json={"to": "analysing"})).status_code == 404

    await walk_to_responded(agent, case_id)
    r = await agent.post(f"{url}/confirmation", json={"solved": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "current_feeling"
    r = await agent.post(f"{url}/confirmation", json={"solved": True, "current_feeling": 11})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "current_feeling"
    r = await agent.post(f"{url}/confirmation", json={"solved": False, "current_feeling": 4, "note": "still charged"})
    assert r.status_code == 200 and r.json()["status"] == "analysing"
    last = r.json()["timeline"][-1]
    assert (last["from"], last["to"], last["solved"], last["note"]) == (
        "responded",
        "analysing",
        False,
        "still charged",
    )
    unreachable = await move(agent, case_id, "unreachable", note="no answer in three days")
    assert unreachable["allowed"] == ["contacted"] and unreachable["unreachable_at"]
    back = await move(agent, case_id, "contacted", cause="double charge")
    assert back["first_contact_at"] == unreachable["first_contact_at"]  # the first contact is kept


async def test_keys_and_roles(system, agent, uid):
    async with system.client("casework", None) as anon:
        assert (await anon.get("/v1/cases")).status_code == 401
    async with system.client("casework", "ingest") as ingest:
        assert (await ingest.get("/v1/cases")).status_code == 403
        assert (await ingest.post("/v1/cases/x/transitions", json={"to": "contacted"})).status_code == 403
    assert (await agent.get("/v1/cases", params={"limit": 1})).status_code == 200
    r = await agent.put(f"/v1/programs/p-{uid}/sla", json={"first_contact_hours": 1, "close_days": 1})
    assert r.status_code == 403
    async with system.client("casework", "manager") as manager:
        r = await manager.put(f"/v1/programs/p-{uid}/sla", json={"first_contact_hours": -1, "close_days": 1})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "first_contact_hours"
        r = await manager.put(f"/v1/programs/p-{uid}/sla", json={"first_contact_hours": 24, "close_days": 7})
        assert r.status_code == 200 and r.json()["updated_by"].startswith("manager:")
    assert (await agent.get(f"/v1/programs/p-{uid}/sla")).json()["first_contact_hours"] == 24
    defaults = (await agent.get(f"/v1/programs/other-{uid}/sla")).json()
    assert (defaults["first_contact_hours"], defaults["close_days"]) == (48, 14)


# -- confirmation by follow-up survey ----------------------------------------------------------


async def test_a_follow_up_naming_the_case_closes_it_with_its_iec(system, tap, produce, agent, uid):
    t = await tap(Topic.CASES)
    customer = f"C-{uid}"
    await produce(Topic.ALERTS, alert(f"A-{uid}", customer))
    case_id = (await the_case(agent, customer))["case_id"]
    await move(agent, case_id, "contacted", cause="double charge")
    # Before the company responded, a follow-up is noted and closes nothing.
    await produce(Topic.SCORES, score(f"f1-{uid}", customer, 7.7, case_id=case_id))
    case = await detail_when(agent, case_id, lambda b: b["timeline"][-1]["type"] == "follow_up", "the follow-up")
    assert case["status"] == "contacted" and case["timeline"][-1]["response_id"] == f"f1-{uid}"
    await move(agent, case_id, "analysing")
    await move(agent, case_id, "responded")
    await produce(Topic.SCORES, score(f"f2-{uid}", customer, 8.3, case_id=case_id))
    case = await detail_when(agent, case_id, lambda b: b["status"] == "closed", "the case closed")
    assert case["current_feeling"] == 8.3
    closing = case["timeline"][-1]
    assert (closing["type"], closing["response_id"], closing["by"]) == ("closed", f"f2-{uid}", "lazo:survey")
    [event] = await t.wait_for(EventType.CASE_CLOSED, case_id=case_id)
    assert event.data["current_feeling"] == 8.3 and event.data["response_id"] == f"f2-{uid}"


async def test_a_follow_up_from_the_customer_closes_the_responded_case(system, produce, agent, uid):
    customer = f"C-{uid}"
    await produce(Topic.ALERTS, alert(f"A-{uid}", customer))
    case_id = (await the_case(agent, customer))["case_id"]
    await walk_to_responded(agent, case_id)
    await produce(Topic.SCORES, score(f"f-{uid}", customer, 9.0))
    case = await detail_when(agent, case_id, lambda b: b["status"] == "closed", "the case closed")
    assert case["current_feeling"] == 9.0 and case["timeline"][-1]["response_id"] == f"f-{uid}"


# -- SLAs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fast_sla_clock(system):
    """Casework with an SLA check every half second (the session's system starts it with the default)."""
    proc = system["casework"]
    if proc.env.get("LAZO_SLA_CHECK_INTERVAL_S") != "0.5":
        proc.env = {**proc.env, "LAZO_SLA_CHECK_INTERVAL_S": "0.5"}
        proc.restart()
    return proc


async def test_overdue_cases_are_listed_first_and_published_once(system, fast_sla_clock, tap, produce, uid):
    t = await tap(Topic.CASES)
    customer = f"C-{uid}"
    async with system.client("casework", "manager") as manager:
        for program in (f"p1-{uid}", f"p3-{uid}"):
            r = await manager.put(f"/v1/programs/{program}/sla", json={"first_contact_hours": 0, "close_days": 14})
            assert r.status_code == 200, r.text
        await produce(Topic.ALERTS, alert(f"A1-{uid}", customer, program=f"p1-{uid}"))
        late = (await the_case(manager, customer, f"p1-{uid}"))["case_id"]
        [first] = await t.wait_for(EventType.CASE_OVERDUE, case_id=late, timeout=60)
        assert first.data["overdue"] == "first_contact" and first.subject == customer

        await produce(Topic.ALERTS, alert(f"A2-{uid}", customer))  # default SLA: not overdue
        on_time = (await the_case(manager, customer, "default"))["case_id"]
        # A later case of the same customer (same partition) breaches in a later round of the SLA
        # clock: once its event is out, any second event for the first case would be out too.
        await produce(Topic.ALERTS, alert(f"A3-{uid}", customer, program=f"p3-{uid}"))
        later = (await the_case(manager, customer, f"p3-{uid}"))["case_id"]
        await t.wait_for(EventType.CASE_OVERDUE, case_id=later, timeout=60)
        assert len(t.matching(EventType.CASE_OVERDUE, case_id=late)) == 1
        assert len(t.matching(EventType.CASE_OVERDUE, case_id=on_time)) == 0
        timeline = (await manager.get(f"/v1/cases/{late}")).json()["timeline"]
        assert [e["overdue"] for e in timeline if e["type"] == "overdue"] == ["first_contact"]

        listing = (await manager.get("/v1/cases", params={"customer_id": customer})).json()
        assert listing["total"] == 3
        assert [c["case_id"] for c in listing["items"]] == [later, late, on_time]  # overdue first, then newest
        assert listing["items"][0]["breaches"] == ["first_contact"] and listing["items"][2]["overdue"] is False
        overdue = (await manager.get("/v1/cases", params={"customer_id": customer, "overdue": "true"})).json()
        assert {c["case_id"] for c in overdue["items"]} == {later, late} and overdue["total"] == 2
        fine = (await manager.get("/v1/cases", params={"customer_id": customer, "overdue": "false"})).json()
        assert [c["case_id"] for c in fine["items"]] == [on_time]
        page = (await manager.get("/v1/cases", params={"customer_id": customer, "limit": 1, "offset": 1})).json()
        assert (page["total"], [c["case_id"] for c in page["items"]]) == (3, [late])

        # Contacting the customer ends the first-contact breach.
        await move(manager, late, "contacted", cause="slow delivery")
        overdue = (await manager.get("/v1/cases", params={"customer_id": customer, "overdue": "true"})).json()
        assert [c["case_id"] for c in overdue["items"]] == [later]
