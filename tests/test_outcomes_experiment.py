"""The control-group experiment end to end: alerts onto the broker open treated and control
cases, agents work them over HTTP, a CRM posts outcomes, and the experiment reads them back."""

from __future__ import annotations

import pytest

from shared.events import Topic
from services.casework.domain.experiment import newcombe, wilson
from tests.support import poll, raw_producer
from tests.test_casework import alert, move, walk_to_responded

TREATED, CONTROL = 30, 30


async def cases_of(client, program: str, count: int) -> dict[str, dict]:
    """customer id -> case, once the programme has `count` cases."""

    async def _all():
        body = (await client.get("/v1/cases", params={"program": program, "limit": 500})).json()
        return body["items"] if body["total"] >= count else None

    return {c["customer_id"]: c for c in await poll(_all, timeout=90, what=f"{count} cases in {program}")}


async def experiment_when(client, program: str, check) -> dict:
    async def _get():
        body = (await client.get(f"/v1/experiments/{program}")).json()
        return body if check(body) else None

    return await poll(_get, timeout=90, what=f"the experiment of {program}")


@pytest.fixture
async def produce(system):
    producer = await raw_producer(system.broker.bootstrap)

    async def _send(*envelopes) -> None:
        for e in envelopes:
            await producer.send(Topic.ALERTS, e.to_bytes(), key=e.key)
        await producer.flush()

    yield _send
    await producer.stop()


async def test_treated_against_control_with_counts_interval_revenue_and_verdict(system, produce, uid):
    program = f"exp-{uid}"
    treated = [f"T{i}-{uid}" for i in range(TREATED)]
    control = [f"K{i}-{uid}" for i in range(CONTROL)]
    idle, both, never = f"I-{uid}", f"B-{uid}", f"N-{uid}"
    await produce(
        *[alert(f"A-{c}", c, program=program) for c in [*treated, idle, both]],
        *[alert(f"A-{c}", c, program=program, held_out=True) for c in control],
    )
    async with system.client("casework", "admin") as admin:
        cases = await cases_of(admin, program, TREATED + CONTROL + 2)
        assert {cases[c]["status"] for c in control} == {"control"}
        for c in treated:
            await move(admin, cases[c]["case_id"], "contacted", cause="precio", owner="retention")
        # `both`: a worked case closed, then a held-out alert opens a control case (control share raised).
        await walk_to_responded(admin, cases[both]["case_id"])
        r = await admin.post(
            f"/v1/cases/{cases[both]['case_id']}/confirmation", json={"solved": True, "current_feeling": 8}
        )
        assert r.status_code == 200, r.text
        await produce(alert(f"A2-{both}", both, program=program, held_out=True))
        await poll(lambda: _statuses(admin, both, program, {"closed", "control"}), timeout=60, what="a control case")

        # Treated: 28 of 30 renew; control: 24 of 30. Revenue for some. One treated customer first
        # lapsed, then renewed on a later date: their latest outcome counts.
        outcomes = [
            {
                "customer_id": c,
                "program": program,
                "renewed": i >= 2,
                "date": "2025-06-30",
                "revenue": (1100.0 if i >= 2 else 0.0) if i < 10 else None,
            }
            for i, c in enumerate(treated)
        ]
        outcomes.append({"customer_id": treated[2], "program": program, "renewed": False, "date": "2025-01-31"})
        outcomes += [
            {
                "customer_id": c,
                "program": program,
                "renewed": i >= 6,
                "date": "2025-06-30",
                "revenue": (1000.0 if i >= 6 else 0.0) if i < 10 else None,
            }
            for i, c in enumerate(control)
        ]
        outcomes += [
            {"customer_id": c, "program": program, "renewed": False, "date": "2025-06-30"} for c in (idle, both, never)
        ]
        async with system.client("casework", "ingest") as crm:
            r = await crm.post("/v1/outcomes:batch", json={"outcomes": outcomes})
            assert r.status_code == 202 and r.json()["accepted"] == len(outcomes), r.text

        body = await experiment_when(
            admin,
            program,
            lambda b: (
                b["others"]["with_outcome"] == 1
                and b["treated"]["with_outcome"] == TREATED
                and b["control"]["with_outcome"] == CONTROL
            ),
        )
    t, k = body["treated"], body["control"]
    assert (t["customers"], t["renewed"], k["customers"], k["renewed"]) == (TREATED, 28, CONTROL, 24)
    assert t["renewal_rate"] == pytest.approx(100 * 28 / 30) and k["renewal_rate"] == pytest.approx(80.0)
    assert t["ci95"] == pytest.approx([100 * wilson(28, 30).low, 100 * wilson(28, 30).high])
    assert t["revenue"] == {"customers": 10, "per_customer": pytest.approx(8 * 1100 / 10)}
    assert k["revenue"] == {"customers": 10, "per_customer": pytest.approx(4 * 1000 / 10)}
    d = body["difference"]
    ci = newcombe(28, 30, 24, 30)
    assert d["points"] == pytest.approx(100 * (28 / 30 - 0.8))
    assert d["ci95"] == pytest.approx([100 * ci.low, 100 * ci.high]) and ci.low < 0 < ci.high
    assert d["revenue_lift_percent"] == pytest.approx(100 * (880 / 400 - 1))
    assert body["conclusion"] == "no_clear_difference" and body["minimum_per_group"] == 30
    assert body["verdict"].startswith("No clear difference yet: +13.3 points")
    assert (body["not_worked"]["customers"], body["not_worked"]["with_outcome"]) == (1, 1)
    assert (body["excluded"]["customers"], body["excluded"]["renewed"]) == (1, 0)
    assert body["others"]["customers"] == 1 and "contacted" in body["definitions"]["treated"]


async def _statuses(client, customer: str, program: str, wanted: set[str]) -> bool:
    body = (await client.get("/v1/cases", params={"customer_id": customer, "program": program})).json()
    return {c["status"] for c in body["items"]} == wanted


async def test_an_experiment_without_data_says_so(system, uid):
    async with system.client("casework", "manager") as manager:
        r = await manager.get(f"/v1/experiments/empty-{uid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["treated"]["with_outcome"] == body["control"]["with_outcome"] == 0
    assert body["treated"]["renewal_rate"] is None and body["difference"] == {
        "points": None,
        "ci95": None,
        "method": "newcombe_hybrid_score",
        "revenue_lift_percent": None,
    }
    assert body["conclusion"] == "not_enough_data" and body["verdict"].startswith("Not enough data yet")
