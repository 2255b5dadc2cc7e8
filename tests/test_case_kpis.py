"""Case KPIs through HTTP, over cases opened from alerts on the broker and worked by agents."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import pytest

from shared.events import Topic, utcnow
from tests.support import poll, raw_producer
from tests.test_casework import alert, move, walk_to_responded


@pytest.fixture
async def produce(system):
    producer = await raw_producer(system.broker.bootstrap)

    async def _send(*envelopes) -> None:
        for e in envelopes:
            await producer.send_and_wait(Topic.ALERTS, e.to_bytes(), key=e.key)

    yield _send
    await producer.stop()


async def opened(client, program: str, customers: list[str]) -> dict[str, str]:
    """customer -> case id, once all their cases are open."""

    async def _all():
        items = (await client.get("/v1/cases", params={"program": program, "limit": 500})).json()["items"]
        found = {c["customer_id"]: c["case_id"] for c in items}
        return found if set(customers) <= set(found) else None

    return await poll(_all, timeout=60, what=f"cases of {customers}")


def hours(case: dict, field: str) -> float:
    return (datetime.fromisoformat(case[field]) - datetime.fromisoformat(case["opened_at"])) / timedelta(hours=1)


def percentile(values: list[float], fraction: float) -> float:
    """percentile_cont, the textbook way (statistics' inclusive method is the same interpolation)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[round(fraction * 10) - 1]


async def test_times_shares_slas_backlog_and_causes(system, produce, uid):
    program = f"kpi-{uid}"
    c1, c2, c3, c4, c5, ctl = (f"{n}-{uid}" for n in ("C1", "C2", "C3", "C4", "C5", "CTL"))
    async with system.client("casework", "manager") as manager:
        # Default SLA (48 h, 14 days) for the first three cases and the control one...
        await produce(
            *[alert(f"A-{c}", c, program=program) for c in (c1, c2, c3)],
            alert(f"A-{ctl}", ctl, program=program, held_out=True),
        )
        ids = await opened(manager, program, [c1, c2, c3, ctl])
        # ... then an SLA due at once: the next two cases are late from the start.
        r = await manager.put(f"/v1/programs/{program}/sla", json={"first_contact_hours": 0, "close_days": 0})
        assert r.status_code == 200, r.text
        await produce(*[alert(f"A-{c}", c, program=program) for c in (c4, c5)])
        ids |= await opened(manager, program, [c4, c5])

        await walk_to_responded(manager, ids[c1])  # cause "double charge", owner billing
        r = await manager.post(f"/v1/cases/{ids[c1]}/confirmation", json={"solved": True, "current_feeling": 9})
        assert r.status_code == 200, r.text
        await move(manager, ids[c2], "contacted", cause="  Double Charge ", owner="billing")
        await move(manager, ids[c4], "contacted", cause="nobody called back", owner="support")
        cases = {c: (await manager.get(f"/v1/cases/{ids[c]}")).json() for c in (c1, c2, c4)}

        r = await manager.get("/v1/kpis", params={"program": program})
        assert r.status_code == 200, r.text
        k = r.json()
    assert (k["program"], k["cases"], k["control_cases"]) == (program, 5, 1)
    first = sorted(hours(cases[c], "first_contact_at") for c in (c1, c2, c4))
    assert k["time_to_first_contact_hours"]["count"] == 3
    for p in ("p50", "p90"):
        assert k["time_to_first_contact_hours"][p] == pytest.approx(percentile(first, int(p[1:]) / 100), abs=1e-5)
    close = hours(cases[c1], "closed_at")
    assert k["time_to_close_hours"] == {
        "count": 1,
        "p50": pytest.approx(close, abs=1e-5),
        "p90": pytest.approx(close, abs=1e-5),
    }
    assert k["confirmed"] == {"closed": 1, "by_survey": 0, "by_agent": 1, "share": pytest.approx(0.2)}
    # First contact: c1, c2 in time; c4 contacted late, c5 still open past due; c3 still in time.
    # Close: c1 in time; c4 and c5 still being worked past due; c2 and c3 still in time.
    assert k["sla"] == {
        "first_contact": {"met": 2, "missed": 2, "compliance": 0.5},
        "close": {"met": 1, "missed": 2, "compliance": pytest.approx(1 / 3)},
    }
    assert k["backlog"] == {
        "total": 4,
        "by_status": {"open": 2, "contacted": 2, "analysing": 0, "responded": 0, "unreachable": 0},
        "by_owner": [
            {"owner": "(unassigned)", "cases": 2},
            {"owner": "billing", "cases": 1},
            {"owner": "support", "cases": 1},
        ],
    }
    assert [(c["cause"].lower(), c["cases"]) for c in k["top_causes"]] == [
        ("double charge", 2),
        ("nobody called back", 1),
    ]


async def test_the_period_counts_cases_by_when_they_opened(system, produce, uid):
    program = f"kpi-{uid}"
    await produce(alert(f"A-{uid}", f"C-{uid}", program=program))
    async with system.client("casework", "agent") as agent:
        await opened(agent, program, [f"C-{uid}"])
        today = utcnow().date()
        inside = (
            await agent.get("/v1/kpis", params={"program": program, "from": today.isoformat(), "to": today.isoformat()})
        ).json()
        assert inside["cases"] == 1 and inside["backlog"]["by_status"]["open"] == 1
        assert inside["from"].startswith(today.isoformat()) and inside["to"].startswith(
            (today + timedelta(days=1)).isoformat()
        )  # `to` is inclusive: the period ends after that day
        later = (
            await agent.get("/v1/kpis", params={"program": program, "from": (today + timedelta(days=1)).isoformat()})
        ).json()
        assert later["cases"] == 0 and later["backlog"]["total"] == 0
        assert later["time_to_first_contact_hours"] == {"count": 0, "p50": None, "p90": None}
        assert later["confirmed"]["share"] is None and later["sla"]["first_contact"]["compliance"] is None
        for params, field in (({"from": "yesterday"}, "from"), ({"from": "2026-03-02", "to": "2026-03-01"}, "to")):
            r = await agent.get("/v1/kpis", params=params)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in r.json()["errors"]] == [field]
    async with system.client("casework", "ingest") as crm:
        assert (await crm.get("/v1/kpis")).status_code == 403
