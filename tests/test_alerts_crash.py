"""Alerts killed mid-stream: no alert lost or doubled, no push lost, once it is back."""

from __future__ import annotations

from collections import defaultdict

import pytest

from shared.events import EventType, Topic
from tests import test_alerts
from tests.support import poll
from tests.test_alerts import SECRET, Endpoint, alerts, score

produce = test_alerts.produce  # the same fixture

PER_PHASE = 150


@pytest.mark.slow
async def test_sigkill_mid_stream_loses_and_doubles_nothing(system, tap, produce, uid):
    program = f"crash-{uid}"
    t = await tap(Topic.ALERTS)
    expected = {f"r{i}-{uid}" for i in range(2 * PER_PHASE)}
    with Endpoint() as endpoint:
        async with system.client("alerts", "manager") as m:
            r = await m.post(
                "/v1/subscriptions",
                json={
                    "url": endpoint.url,
                    "secret": SECRET,
                    "event_types": [EventType.ALERT_RAISED],
                    "programs": [program],
                },
            )
            assert r.status_code == 201, r.text
            sub = r.json()["id"]
        try:
            await produce(*(score(f"r{i}-{uid}", f"C{i}-{uid}", program, 3.0) for i in range(PER_PHASE)))
            async with system.client("alerts", "agent") as agent:
                await poll(lambda: _total(agent, program), timeout=60, interval=0.05, what="first alerts")
            system["alerts"].kill()
            # the stream goes on while alerts is down
            await produce(*(score(f"r{i}-{uid}", f"C{i}-{uid}", program, 3.0) for i in range(PER_PHASE, 2 * PER_PHASE)))
            system["alerts"].start().wait_ready()

            async with system.client("alerts", "agent") as agent:
                await poll(
                    lambda: _total(agent, program, 2 * PER_PHASE),
                    timeout=120,
                    interval=0.5,
                    what="every alert after the restart",
                )
                page = await alerts(agent, program=program, limit=500)
            assert page["total"] == 2 * PER_PHASE
            assert {a["response_id"] for a in page["items"]} == expected  # one alert per selected response

            events = await t.wait_for(EventType.ALERT_RAISED, count=2 * PER_PHASE, timeout=60, program=program)
            ids_per_response = defaultdict(set)
            for e in events:
                ids_per_response[e.data["response_id"]].add((e.id, e.data["alert_id"]))
            assert set(ids_per_response) == expected
            assert all(len(ids) == 1 for ids in ids_per_response.values())  # re-sent maybe, never re-raised
            alert_event_ids = {f"alert:{a['alert_id']}" for a in page["items"]}
            assert {e.id for e in events} == alert_event_ids

            # every push was made at least once (receivers dedupe on the CloudEvent id)
            await poll(
                lambda: endpoint.event_ids() >= alert_event_ids, timeout=90, interval=0.5, what="every alert pushed"
            )
            async with system.client("alerts", "manager") as m:

                async def _all_delivered():
                    page = (
                        await m.get(f"/v1/subscriptions/{sub}/deliveries", params={"status": "delivered", "limit": 1})
                    ).json()
                    return page["total"] == 2 * PER_PHASE

                await poll(_all_delivered, timeout=60, interval=0.5, what="every delivery marked delivered")
        finally:
            async with system.client("alerts", "manager") as m:
                await m.delete(f"/v1/subscriptions/{sub}")


async def _total(client, program: str, at_least: int = 1) -> bool:
    r = await client.get("/v1/alerts", params={"program": program, "limit": 1})
    return r.status_code == 200 and r.json()["total"] >= at_least
