"""Alerts through its boundary: score events in on Kafka, alerts out on Kafka, HTTP and signed pushes.

Score events are produced straight onto `lazo.scores.v1` (the service's real input), so these
tests do not depend on the scoring service.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.contracts.scores import ScoreComputed
from shared.events import Envelope, EventType, Topic
from services.alerts.domain.signing import verify_signature
from tests.support import poll, raw_producer

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RAISED, HELD_OUT = EventType.ALERT_RAISED, EventType.ALERT_HELD_OUT
SECRET = "contact-center-shared-secret"


def score(
    rid: str,
    customer: str,
    program: str,
    iec: float,
    *,
    comment: str | None = None,
    previous_iec: float | None = None,
    at: datetime = T0,
    event_id: str | None = None,
) -> Envelope:
    segment = "nunca_mas" if iec < 5 else "funcional" if iec < 7 else "pasivo" if iec < 9 else "wow"
    data = ScoreComputed(
        response_id=rid,
        customer_id=customer,
        customer={"email": "ana@example.com", "name": "Ana"},
        program=program,
        touchpoint="contact_center",
        submitted_at=at,
        iec=iec,
        segment=segment,
        previous_iec=previous_iec,
        comment=comment,
    )
    return Envelope.new(
        id=event_id or f"score:{rid}",
        type=EventType.SCORE_COMPUTED,
        source="/lazo/scoring",
        subject=customer,
        data=data,
    )


@pytest.fixture
async def produce(system):
    producer = await raw_producer(system.broker.bootstrap)

    async def _send(*envelopes: Envelope) -> None:
        futures = [await producer.send(Topic.SCORES, value=e.to_bytes(), key=e.key) for e in envelopes]
        for f in futures:
            await f

    yield _send
    await producer.stop()


async def alerts(client, **params) -> dict:
    r = await client.get("/v1/alerts", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def wait_alerts(client, count: int, timeout: float = 60, **params) -> list[dict]:
    """Poll until the filter finds at least `count` alerts; returns them (newest first)."""

    async def _check():
        page = await alerts(client, limit=500, **params)
        return page["items"] if page["total"] >= count else None

    return await poll(_check, timeout=timeout, interval=0.2, what=f"{count} alerts {params}")


class Endpoint:
    """A contact center's webhook on 127.0.0.1: 500 to the first `fail_first` requests, then 200."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    failing = len(outer.requests) <= outer.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/lazo/events"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Endpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def event_ids(self) -> set[str]:
        return {json.loads(body)["id"] for _, body in list(self.requests)}


async def test_rules_have_defaults_and_are_validated(system, uid):
    path = f"/v1/programs/rules-{uid}/alert-rules"
    async with system.client("alerts", "agent") as agent, system.client("alerts", "manager") as manager:
        r = await agent.get(path)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "program": f"rules-{uid}",
            "threshold": 6,
            "comment_selects": True,
            "drop_points": None,
            "cooldown_days": 7,
            "control_share": 0.0,
            "emotions": [],
            "causes": [],
            "contradiction_selects": True,
            "updated_at": None,
            "updated_by": None,
        }
        assert (await agent.put(path, json={"threshold": 5})).status_code == 403
        r = await manager.put(path, json={"threshold": 5, "drop_points": 2.5, "cooldown_days": 0})
        assert r.status_code == 200, r.text
        body = (await agent.get(path)).json()
        assert (body["threshold"], body["drop_points"], body["cooldown_days"], body["control_share"]) == (5, 2.5, 0, 0)
        assert body["updated_by"].startswith("manager:") and body["updated_at"]
        for field, bad in {
            "control_share": 1.5,
            "threshold": 0,
            "drop_points": -1,
            "cooldown_days": "soon",
            "comment_selects": "perhaps",
            "bogus": 1,
        }.items():
            r = await manager.put(path, json={field: bad})
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert [e["field"] for e in r.json()["errors"]] == [field], r.json()
        r = await manager.put("/v1/programs/not%20a%20name/alert-rules", json={})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "program"
        assert (await agent.get(path)).json()["threshold"] == 5  # rejected PUTs changed nothing
    async with system.client("alerts", None) as anon, system.client("alerts", "ingest") as ingest:
        assert (await anon.get(path)).status_code == 401
        assert (await ingest.get(path)).status_code == 403
        assert (await ingest.get("/v1/alerts")).status_code == 403


async def test_each_rule_fires_and_reasons_list_every_one(system, tap, produce, uid):
    program = f"rules-{uid}"
    t = await tap(Topic.ALERTS)
    c = lambda n: f"C{n}-{uid}"  # noqa: E731
    async with system.client("alerts", "manager") as m:
        assert (await m.put(f"/v1/programs/{program}/alert-rules", json={"drop_points": 2})).status_code == 200
    await produce(
        score(f"r1-{uid}", c(1), program, 6.0),  # at the threshold
        score(f"r2-{uid}", c(2), program, 9.3, comment="Nadie me devolvió la llamada"),
        score(f"r3-{uid}", c(3), program, 7.5, previous_iec=10.0),  # dropped 2.5 points
        score(f"r4-{uid}", c(4), program, 3.0, comment="Fatal", previous_iec=9.0),  # all three
        score(f"r5-{uid}", c(5), program, 6.5, comment="   ", previous_iec=7.0),  # nothing fires
        Envelope.new(
            id=f"rej:{uid}",
            type=EventType.SCORE_REJECTED,
            source="/lazo/scoring",
            subject=c(6),
            data={
                "response_id": f"r6-{uid}",
                "customer_id": c(6),
                "program": program,
                "submitted_at": T0.isoformat(),
                "reason": "missing answers: worth",
            },
        ),
        Envelope.new(
            id=f"odd:{uid}",
            type="lazo.score.recomputed",
            source="/elsewhere",
            subject=c(6),
            data={"response_id": f"r6x-{uid}", "customer_id": c(6), "iec": 1},
        ),
        # behind the ignored ones on the same key (partition): once these are in, those were read
        score(f"r5b-{uid}", c(5), program, 2.0, at=T0 + timedelta(days=30)),
        score(f"r6b-{uid}", c(6), program, 2.0),
    )
    async with system.client("alerts", "agent") as agent:
        items = await wait_alerts(agent, 6, program=program)
        assert {a["response_id"]: a["reasons"] for a in items} == {
            f"r1-{uid}": ["iec_at_or_below_threshold"],
            f"r2-{uid}": ["comment"],
            f"r3-{uid}": ["iec_drop"],
            f"r4-{uid}": ["iec_at_or_below_threshold", "comment", "iec_drop"],
            f"r5b-{uid}": ["iec_at_or_below_threshold"],
            f"r6b-{uid}": ["iec_at_or_below_threshold"],
        }
        four = next(a for a in items if a["response_id"] == f"r4-{uid}")
        assert four["customer"] == {"email": "ana@example.com", "name": "Ana"} and four["previous_iec"] == 9.0
        assert four["comment"] == "Fatal" and four["touchpoint"] == "contact_center" and not four["control_group"]
        assert four["attached_responses"] == []

        [event] = await t.wait_for(RAISED, response_id=f"r4-{uid}")
        assert event.id == f"alert:{four['alert_id']}" and event.subject == c(4)
        assert event.data["alert_id"] == four["alert_id"] and event.data["reasons"] == four["reasons"]
        assert event.data["customer"] == four["customer"] and event.data["segment"] == "nunca_mas"
        record = next(rec for rec in t.records if rec.value and four["alert_id"].encode() in rec.value)
        assert record.key == c(4).encode()

        # filters
        drops = await alerts(agent, program=program, reason="iec_drop")
        assert {a["response_id"] for a in drops["items"]} == {f"r3-{uid}", f"r4-{uid}"} and drops["total"] == 2
        assert (await alerts(agent, program=program, customer_id=c(2)))["items"][0]["response_id"] == f"r2-{uid}"
        assert (await alerts(agent, program=program, **{"from": "2000-01-01", "to": "2100-01-01"}))["total"] == 6
        assert (await alerts(agent, program=program, **{"from": "2100-01-01T00:00:00Z"}))["total"] == 0
        page = await alerts(agent, program=program, limit=2, offset=1)
        assert len(page["items"]) == 2 and page["total"] == 6
        raised = [a["raised_at"] for a in (await alerts(agent, program=program))["items"]]
        assert raised == sorted(raised, reverse=True)
        for params, field in (
            ({"reason": "bad_mood"}, "reason"),
            ({"from": "yesterday"}, "from"),
            ({"limit": 0}, "limit"),
        ):
            r = await agent.get("/v1/alerts", params=params)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
        assert (await agent.get(f"/v1/alerts/{four['alert_id']}")).json()["response_id"] == f"r4-{uid}"
        assert (await agent.get("/v1/alerts/no-such-alert")).status_code == 404
    assert not t.matching(response_id=f"r5-{uid}") and not t.matching(customer_id=c(6), response_id=f"r6-{uid}")


async def test_a_malformed_score_is_dead_lettered_and_the_stream_goes_on(system, tap, produce, uid):
    customer = f"C-{uid}"
    t = await tap(Topic.DEADLETTER)
    bad = Envelope.new(
        id=f"score:bad-{uid}",
        type=EventType.SCORE_COMPUTED,
        source="/lazo/scoring",
        subject=customer,
        data={"response_id": f"bad-{uid}", "customer_id": customer, "iec": "very low"},
    )
    await produce(bad, score(f"r1-{uid}", customer, f"dl-{uid}", 2.0))  # the good one behind it, same key
    async with system.client("alerts", "agent") as agent:
        [alert] = await wait_alerts(agent, 1, customer_id=customer)
    assert alert["response_id"] == f"r1-{uid}"
    [dead] = await t.wait_for(
        EventType.DEADLETTERED, consumer_group="alerts", topic=Topic.SCORES, original=json.loads(bad.to_bytes())
    )
    assert "ScoreComputed" in dead.data["error"]


async def test_cooldown_attaches_later_responses_to_the_alert(system, tap, produce, uid):
    program, customer = f"cool-{uid}", f"C-{uid}"
    t = await tap(Topic.ALERTS)
    await produce(
        score(f"r1-{uid}", customer, program, 3.0),
        score(f"r2-{uid}", customer, program, 4.0, comment="Sigue sin funcionar", at=T0 + timedelta(days=2)),
        score(f"r3-{uid}", customer, program, 9.5, at=T0 + timedelta(days=3)),  # not selected: not attached
        score(f"r4-{uid}", customer, program, 2.0, at=T0 + timedelta(days=8)),  # a new episode
        score(f"r5-{uid}", customer, program, 1.0, at=T0 + timedelta(days=10)),
    )
    async with system.client("alerts", "agent") as agent:

        async def _settled():
            page = await alerts(agent, customer_id=customer)
            return page["items"] if page["total"] == 2 and page["items"][0]["attached_responses"] else None

        newest, first = await poll(_settled, timeout=60, interval=0.2, what="two alerts, the newest with attachments")
    assert (first["response_id"], newest["response_id"]) == (f"r1-{uid}", f"r4-{uid}")
    [attached] = first["attached_responses"]
    assert attached["response_id"] == f"r2-{uid}" and attached["reasons"] == ["iec_at_or_below_threshold", "comment"]
    assert attached["comment"] == "Sigue sin funcionar" and attached["iec"] == 4.0
    assert [a["response_id"] for a in newest["attached_responses"]] == [f"r5-{uid}"]
    await t.wait_for(RAISED, response_id=f"r4-{uid}")
    assert {e.data["response_id"] for e in t.matching(customer_id=customer)} == {f"r1-{uid}", f"r4-{uid}"}


async def test_control_group_is_held_out_never_raised(system, tap, produce, uid):
    program = f"ctl-{uid}"
    t = await tap(Topic.ALERTS)
    async with system.client("alerts", "manager") as m:
        r = await m.put(f"/v1/programs/{program}/alert-rules", json={"control_share": 1.0})
        assert r.status_code == 200, r.text
    await produce(*(score(f"r{i}-{uid}", f"C{i}-{uid}", program, 2.0, comment="mal") for i in range(3)))
    held = await t.wait_for(HELD_OUT, count=3, program=program)
    assert {e.data["response_id"] for e in held} == {f"r{i}-{uid}" for i in range(3)}
    assert all(e.data["control_group"] for e in held)
    async with system.client("alerts", "agent") as agent:
        items = await wait_alerts(agent, 3, program=program)
        assert all(a["control_group"] for a in items)
        assert (await alerts(agent, program=program, control_group="false"))["total"] == 0
    assert not t.matching(RAISED, program=program)  # each alert has exactly one event: held out


async def test_duplicated_score_events_raise_one_alert(system, tap, produce, uid):
    program, customer = f"dup-{uid}", f"C-{uid}"
    t = await tap(Topic.ALERTS)
    first = score(f"r1-{uid}", customer, program, 2.0)
    republished = score(f"r1-{uid}", customer, program, 2.0, event_id=f"score:{uid}:again")
    await produce(first, first, republished, first)
    # on the same key behind the duplicates, within the cool-down: attaches once they were all read
    await produce(score(f"r2-{uid}", customer, program, 3.0, at=T0 + timedelta(days=1)))
    async with system.client("alerts", "agent") as agent:

        async def _attached():
            page = await alerts(agent, customer_id=customer)
            return page if page["total"] and page["items"][0]["attached_responses"] else None

        page = await poll(_attached, timeout=60, interval=0.2, what="the follow-up attached")
    assert page["total"] == 1
    [alert] = page["items"]
    assert [a["response_id"] for a in alert["attached_responses"]] == [f"r2-{uid}"]
    events = await t.wait_for(RAISED, customer_id=customer)
    assert {e.id for e in events} == {f"alert:{alert['alert_id']}"}


async def test_push_delivery_is_signed_and_retried_until_it_succeeds(system, produce, uid):
    program = f"push-{uid}"
    with Endpoint(fail_first=2) as endpoint:
        async with system.client("alerts", "manager") as m:
            r = await m.post(
                "/v1/subscriptions",
                json={"url": endpoint.url, "secret": SECRET, "event_types": [RAISED], "programs": [program]},
            )
            assert r.status_code == 201, r.text
            sub = r.json()
            assert "secret" not in sub and r.headers["location"] == f"/v1/subscriptions/{sub['id']}"
            try:
                await produce(score(f"r1-{uid}", f"C-{uid}", program, 2.0))

                async def _delivered():
                    page = (await m.get(f"/v1/subscriptions/{sub['id']}/deliveries")).json()
                    return page["items"] if page["total"] and page["items"][0]["status"] == "delivered" else None

                [delivery] = await poll(_delivered, timeout=60, interval=0.2, what="delivered")
            finally:
                assert (await m.delete(f"/v1/subscriptions/{sub['id']}")).status_code == 204
            assert (await m.get(f"/v1/subscriptions/{sub['id']}/deliveries")).status_code == 404
            assert sub["id"] not in [s["id"] for s in (await m.get("/v1/subscriptions")).json()]

    assert delivery["attempt_count"] == 3 and delivery["event_type"] == RAISED
    first, second, last = delivery["attempts"]
    assert (first["status_code"], second["status_code"], last["status_code"]) == (500, 500, 200)
    assert first["error"] == "HTTP 500" and first["next_attempt_at"] and second["next_attempt_at"]
    assert last["next_attempt_at"] is None and last["error"] is None and delivery["delivered_at"]
    assert datetime.fromisoformat(second["at"]) >= datetime.fromisoformat(first["next_attempt_at"])

    assert len(endpoint.requests) == 3
    bodies = {body for _, body in endpoint.requests}
    assert len(bodies) == 1  # every retry carries the same CloudEvent
    for headers, body in endpoint.requests:
        assert headers["content-type"] == "application/cloudevents+json"
        assert verify_signature(SECRET, body, headers["lazo-signature"])
        assert not verify_signature("not-the-secret-at-all", body, headers["lazo-signature"])
    event = json.loads(bodies.pop())
    assert event["specversion"] == "1.0" and event["type"] == RAISED and event["id"] == delivery["event_id"]
    assert event["data"]["response_id"] == f"r1-{uid}" and event["subject"] == f"C-{uid}"


async def test_an_unreachable_endpoint_is_retried_with_the_error_recorded(system, produce, uid):
    from ops.embedded_broker import free_port

    program = f"down-{uid}"
    async with system.client("alerts", "manager") as m:
        r = await m.post(
            "/v1/subscriptions",
            json={
                "url": f"http://127.0.0.1:{free_port()}/nobody-home",
                "secret": SECRET,
                "event_types": [RAISED],
                "programs": [program],
            },
        )
        sub = r.json()["id"]
        try:
            await produce(score(f"r1-{uid}", f"C-{uid}", program, 2.0))

            async def _retried():
                page = (await m.get(f"/v1/subscriptions/{sub}/deliveries")).json()
                return page["items"] if page["total"] and page["items"][0]["attempt_count"] >= 2 else None

            [delivery] = await poll(_retried, timeout=60, interval=0.2, what="two failed attempts")
        finally:
            assert (await m.delete(f"/v1/subscriptions/{sub}")).status_code == 204
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    for attempt in delivery["attempts"][:2]:
        assert attempt["status_code"] is None and "Connect" in attempt["error"] and attempt["next_attempt_at"]


async def test_subscriptions_are_validated_and_for_managers(system, uid):
    good = {"url": "https://cc.example.com/hook", "secret": SECRET, "event_types": [RAISED, HELD_OUT]}
    async with system.client("alerts", "agent") as agent:
        assert (await agent.post("/v1/subscriptions", json=good)).status_code == 403
        assert (await agent.get("/v1/subscriptions")).status_code == 403
    async with system.client("alerts", "manager") as m:
        for field, bad in {
            "url": "ftp://cc.example.com",
            "secret": "short",
            "event_types": ["lazo.case.opened"],
            "programs": ["no spaces"],
        }.items():
            r = await m.post("/v1/subscriptions", json={**good, field: bad})
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert r.json()["errors"][0]["field"].split("[")[0].split(".")[0] == field, r.json()
        r = await m.post("/v1/subscriptions", json={**good, "event_types": []})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types"
        r = await m.post("/v1/subscriptions", json={k: v for k, v in good.items() if k != "url"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
        r = await m.post("/v1/subscriptions", json=good)
        assert r.status_code == 201, r.text
        sub = r.json()
        assert sub["event_types"] == [RAISED, HELD_OUT] and sub["programs"] is None
        listed = (await m.get("/v1/subscriptions")).json()
        assert sub["id"] in [s["id"] for s in listed] and all("secret" not in s for s in listed)
        assert (await m.get(f"/v1/subscriptions/{sub['id']}")).json()["url"] == good["url"]
        assert (await m.delete(f"/v1/subscriptions/{sub['id']}")).status_code == 204
        assert (await m.delete(f"/v1/subscriptions/{sub['id']}")).status_code == 404
        assert (await m.get("/v1/subscriptions/sub_missing/deliveries")).status_code == 404
