"""Contact-center endpoints that hang, answer 500 or are gone, beside one that works.

Invariant: a bad endpoint never holds up the pipeline. Every detractor response sent gets its
`lazo.alert.raised` and its case (`lazo.case.opened`), and the healthy endpoint receives every
alert, while the hung endpoint holds each request until the delivery timeout, the failing one
answers 500 and the gone one refuses connections. Their deliveries stay pending, are retried, and
show each attempt's error in `GET /v1/subscriptions/{id}/deliveries`.

This proves non-blocking by completion, not by timing: with a hung endpoint holding requests
the pipeline still finishes. That latency does not change is measured by `make bench`.
"""

from __future__ import annotations

import pytest

from shared.events import EventType, Topic
from ops.embedded_broker import free_port
from tests.faults.endpoints import HungEndpoint
from tests.faults.ledger import post_batches, response
from tests.support import poll
from tests.test_alerts import SECRET, Endpoint

N = 8  # detractor responses, one customer each (two rounds of the hung endpoint's 4 delivery slots)
RAISED = EventType.ALERT_RAISED
QUESTIONS = {"questions": [{"key": k} for k in ("experience", "worth", "recommend")]}


@pytest.mark.slow
async def test_bad_contact_centers_do_not_hold_up_alerts_or_cases_and_their_retries_show(system, tap, uid):
    program, tp = f"cc-{uid}", f"cc-{uid}"
    bodies = [response(f"cc{i}-{uid}", f"C{i}-{uid}", tp, detractor=True, program=program) for i in range(N)]
    sent = {b["response_id"] for b in bodies}
    t = await tap(Topic.ALERTS, Topic.CASES)

    async with system.client("scoring", "admin") as admin:
        assert (await admin.put(f"/v1/programs/{program}", json=QUESTIONS)).status_code == 201

    with Endpoint() as healthy, Endpoint(fail_first=10**9) as failing, HungEndpoint() as hung:
        gone = f"http://127.0.0.1:{free_port()}/lazo/events"
        async with system.client("alerts", "manager") as m, system.client("ingest", "ingest") as c:
            subs: dict[str, str] = {}
            try:
                for name, url in {
                    "healthy": healthy.url,
                    "failing": failing.url,
                    "hung": hung.url,
                    "gone": gone,
                }.items():
                    r = await m.post(
                        "/v1/subscriptions",
                        json={"url": url, "secret": SECRET, "event_types": [RAISED], "programs": [program]},
                    )
                    assert r.status_code == 201, r.text
                    subs[name] = r.json()["id"]

                async def known() -> bool:  # ingest learns the new programme from its topic
                    r = await c.post("/v1/responses", json=bodies[0])
                    assert r.status_code in (202, 422), r.text
                    return r.status_code == 202

                await poll(known, timeout=60, interval=0.2, what="ingest to know the programme")
                await post_batches(c, bodies[1:], size=4)

                # Every response sent: one alert raised, one case opened for it.
                raised = await t.wait_for(RAISED, count=N, timeout=120, program=program)
                assert {e.data["response_id"] for e in raised} == sent and len({e.id for e in raised}) == N
                alert_ids = {e.data["alert_id"] for e in raised}
                opened = await poll(
                    lambda: (
                        len(o := {e.data["alert_id"]: e for e in t.matching(EventType.CASE_OPENED, program=program)})
                        >= N
                        and o
                    ),
                    timeout=120,
                    what=f"{N} cases opened",
                )
                assert set(opened) == alert_ids and len({e.data["case_id"] for e in opened.values()}) == N

                # The healthy contact center got every alert, delivered at the first attempt.
                event_ids = {e.id for e in raised}
                await poll(lambda: event_ids <= healthy.event_ids(), timeout=120, what="every alert pushed")

                async def all_delivered():
                    page = await _deliveries(m, subs["healthy"])
                    done = page["total"] == N and {d["status"] for d in page["items"]} == {"delivered"}
                    return done and page["items"]

                good = await poll(all_delivered, timeout=60, interval=0.2, what="healthy deliveries recorded")
                assert {d["event_id"] for d in good} == event_ids and {d["attempt_count"] for d in good} == {1}

                # The bad ones: a delivery per alert, none delivered, retried with each error kept.
                async def retried(name: str, all_retried: bool):
                    page = await _deliveries(m, subs[name])
                    items = page["items"]
                    counts = [d["attempt_count"] for d in items]
                    enough = all(n >= 2 for n in counts) if all_retried else max(counts, default=0) >= 2
                    return page["total"] == N and enough and items

                failing_items = await poll(
                    lambda: retried("failing", True),
                    timeout=120,
                    interval=0.5,
                    what="every delivery to the failing endpoint retried",
                )
                gone_items = await poll(
                    lambda: retried("gone", True),
                    timeout=120,
                    interval=0.5,
                    what="every delivery to the gone endpoint retried",
                )
                hung_items = await poll(
                    lambda: retried("hung", False),
                    timeout=120,
                    interval=0.5,
                    what="a delivery to the hung endpoint retried",
                )
            finally:
                for sub in subs.values():
                    assert (await m.delete(f"/v1/subscriptions/{sub}")).status_code == 204

    for name, items in {"failing": failing_items, "gone": gone_items, "hung": hung_items}.items():
        assert {d["event_id"] for d in items} == event_ids, name
        assert {d["status"] for d in items} == {"pending"} and not any(d["delivered_at"] for d in items), name
        for d in items:
            assert len(d["attempts"]) == d["attempt_count"]
            for a in d["attempts"]:
                assert a["next_attempt_at"] and a["error"], (name, a)
                if name == "failing":
                    assert (a["status_code"], a["error"]) == (500, "HTTP 500")
                elif name == "gone":
                    assert a["status_code"] is None and "Connect" in a["error"], a
                else:
                    assert a["status_code"] is None and "Timeout" in a["error"], a
    assert len(failing.requests) >= 2 * N and hung.accepted >= 2


async def _deliveries(client, sub: str) -> dict:
    r = await client.get(f"/v1/subscriptions/{sub}/deliveries", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()
