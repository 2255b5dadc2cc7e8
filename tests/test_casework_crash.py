"""Casework killed (SIGKILL) mid-stream: every alert ends in exactly one case, nothing is lost,
and no case event id is ever published with two different contents (the outbox republishes
the very bytes it stored)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from shared.events import EventType, Topic, decode
from tests.support import poll, raw_producer
from tests.test_casework import alert

CUSTOMERS = 20
ROUNDS = 3  # alerts per customer: the first opens the case, the others join its timeline


@pytest.mark.slow
async def test_a_killed_casework_loses_and_doubles_nothing(system, tap, uid):
    t = await tap(Topic.CASES)
    customers = [f"K{i}-{uid}" for i in range(CUSTOMERS)]
    alerts = [alert(f"A{r}.{i}-{uid}", c) for r in range(ROUNDS) for i, c in enumerate(customers)]
    producer = await raw_producer(system.broker.bootstrap)
    casework = system["casework"]
    try:
        for e in alerts[:CUSTOMERS]:
            await producer.send_and_wait(Topic.ALERTS, e.to_bytes(), key=e.key)

        async def rest() -> None:
            for e in alerts[CUSTOMERS:]:
                await producer.send_and_wait(Topic.ALERTS, e.to_bytes(), key=e.key)

        sending = asyncio.create_task(rest())
        casework.kill()  # while it works through the first round and the rest is still arriving
        await sending
        casework.start().wait_ready(timeout=120)
        # A redelivered event after the restart, then a fresh alert behind it on the same partition.
        first, sentinel = alerts[0], alert(f"S-{uid}", customers[0])
        for e in (first, sentinel):
            await producer.send_and_wait(Topic.ALERTS, e.to_bytes(), key=e.key)
    finally:
        await producer.stop()

    def complete(case: dict) -> bool:
        return len(case["alerts"]) == ROUNDS + (case["customer_id"] == customers[0])

    async with system.client("casework", "agent") as c:

        async def all_taken():
            cases = {}
            for customer in customers:
                page = (await c.get("/v1/cases", params={"customer_id": customer})).json()
                if page.get("total") != 1:
                    return None
                cases[customer] = (await c.get(f"/v1/cases/{page['items'][0]['case_id']}")).json()
            return cases if all(complete(case) for case in cases.values()) else None

        cases = await poll(all_taken, timeout=180, interval=0.5, what="every alert in its customer's case")

    taken = [a["alert_id"] for case in cases.values() for a in case["alerts"]]
    expected = [e.data["alert_id"] for e in alerts] + [f"S-{uid}"]
    assert sorted(taken) == sorted(expected)  # each alert in exactly one case, none lost
    for customer, case in cases.items():
        kinds = [e["type"] for e in case["timeline"]]
        assert kinds.count("opened") == 1 and kinds.count("alert_added") == len(case["alerts"]) - 1, customer
        assert [e["seq"] for e in case["timeline"]] == list(range(1, len(kinds) + 1))

    ours = {case["case_id"] for case in cases.values()}
    for case_id in ours:
        await t.wait_for(EventType.CASE_OPENED, case_id=case_id, timeout=60)
    contents: dict[str, set[bytes]] = defaultdict(set)
    for record in t.records:
        event = decode(record.value)
        if event.data.get("case_id") in ours:
            contents[event.id].add(record.value)
    assert all(len(values) == 1 for values in contents.values()), "an event id published with two contents"
    opened = {e.id for e in t.matching(EventType.CASE_OPENED) if e.data["case_id"] in ours}
    assert opened == {f"{case_id}:1" for case_id in ours}
