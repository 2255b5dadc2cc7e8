"""Nothing halts, nothing is lost: what the broker can never take is set aside and the rows behind it
go on; a stuck outbox turns /readyz 503; dead letters are listed, read, replayed and discarded over
HTTP, per service.

A system of its own (broker, ingest, scoring) whose scoring takes events of at most 8 KiB
(LAZO_MAX_EVENT_BYTES), so that a response with a long comment — accepted by ingest — makes a
`lazo.score.computed` the broker would refuse, and whose outbox counts as stuck after 2 s.
"""

from __future__ import annotations

import asyncio
import base64

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.events import EventType, Topic
from tests.faults.refuse_writes import refused_insert
from tests.harness import System
from tests.support import Tap, poll, raw_producer

LIMIT = 8 * 1024
STUCK_AFTER_S = 2
ANSWERS = {"experience": 3, "worth": 4, "recommend": 5}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    env = {"LAZO_MAX_EVENT_BYTES": str(LIMIT), "LAZO_OUTBOX_STUCK_AFTER_S": str(STUCK_AFTER_S)}
    sys_ = System(tmp_path_factory.mktemp("deadletters"), services=("ingest", "scoring"), service_env={"scoring": env})
    yield sys_
    sys_.close()


@pytest.fixture
async def taps(small):
    opened: list[Tap] = []

    async def _open(*topics: str) -> Tap:
        opened.append(t := await Tap(small.broker.bootstrap, *topics).start())
        return t

    yield _open
    for t in opened:
        await t.stop()


def response(rid: str, customer: str, comment: str, email: str = "ana@example.com") -> dict:
    return {
        "response_id": rid,
        "customer": {"id": customer, "email": email, "name": "Ana"},
        "touchpoint": "web",
        "answers": ANSWERS,
        "comment": comment,
    }


def too_large_comment(email: str) -> str:
    """A comment ingest accepts whose score event is over LIMIT: 2 bytes a character."""
    return f"Escribidme a {email} " + "ñ" * (LIMIT // 2 + 200)


async def post(system, *bodies: dict) -> None:
    async with system.client("ingest", "ingest") as c:
        for body in bodies:
            r = await c.post("/v1/responses", json=body)
            assert r.status_code == 202, r.text


async def metric(client, name: str, **labels: str) -> float:
    text = (await client.get("/metrics")).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def letter_of(client, event_id: str, **filters: str) -> dict:
    """The dead letter of an event, once listed."""

    async def _find():
        r = await client.get("/v1/dead-letters", params={"limit": 500, **filters})
        assert r.status_code == 200, r.text
        return next((i for i in r.json()["items"] if i["event_id"] == event_id), None)

    return await poll(_find, timeout=60, what=f"a dead letter of {event_id}")


def logs(system) -> str:
    return "\n".join(p.log_path.read_text(errors="replace") for p in system.services.values())


async def test_an_event_the_broker_can_never_take_is_set_aside_and_the_rows_behind_it_go_on(small, taps, uid):
    scores, dead = await taps(Topic.SCORES), await taps(Topic.DEADLETTER)
    email = f"big.{uid}@example.com"
    customer, other = f"C-{uid}", f"D-{uid}"
    async with small.client("scoring", "admin") as scoring:
        before = await metric(
            scoring,
            "lazo_outbox_set_aside_total",
            service="scoring",
            topic=Topic.SCORES,
            error="MessageSizeTooLargeError",
        )
        await post(
            small,
            response(f"big-{uid}", customer, too_large_comment(email), email),
            response(f"after-{uid}", customer, "La web no funciona"),
            response(f"other-{uid}", other, "Todo bien"),
        )

        # The rows behind it, of the same customer and of another, are published.
        await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"after-{uid}", timeout=60)
        await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"other-{uid}", timeout=60)
        assert not scores.matching(response_id=f"big-{uid}")
        assert (await scoring.get(f"/v1/responses/big-{uid}")).json()["status"] == "scored"  # nothing lost

        # Listed over HTTP, without the event; read one, with it.
        item = await letter_of(
            scoring, f"score:big-{uid}", kind="outbox", status="pending", type=EventType.SCORE_COMPUTED
        )
        assert item["topic"] == Topic.SCORES and item["error_class"] == "MessageSizeTooLargeError"
        assert item["size"] > LIMIT and str(LIMIT) in item["error"] and item["replay_attempts"] == 0
        assert "original" not in item and email not in str(item)
        detail = (await scoring.get(f"/v1/dead-letters/{item['id']}")).json()
        assert detail["original"]["id"] == f"score:big-{uid}" and detail["key"] == customer
        assert detail["original"]["data"]["comment"] == too_large_comment(email)

        # Its dead-letter event fits the broker: without the original, which the table keeps.
        [event] = await dead.wait_for(EventType.DEADLETTERED, dead_letter_id=item["id"], timeout=60)
        assert event.data["original_omitted"] is True and event.data["original"] is None
        assert event.data["original_bytes"] == item["size"] and event.data["kind"] == "outbox"

        # The metric moved; /readyz stays ready (nothing is stuck) and shows it.
        assert (
            await metric(
                scoring,
                "lazo_outbox_set_aside_total",
                service="scoring",
                topic=Topic.SCORES,
                error="MessageSizeTooLargeError",
            )
            >= before + 1
        )

        async def shown():
            r = await scoring.get("/readyz")
            body = r.json()
            return (
                r.status_code == 200
                and body["details"]["outbox"]["set_aside"] >= 1
                and (body["details"]["dead_letters"]["pending"] or 0) >= 1
                and body
            )

        body = await poll(shown, timeout=30, what="/readyz showing the set-aside row")
        assert body["checks"]["outbox"] is True and body["failing"] == []

        # Replayed while the limit stands, it fails again and stays pending with the error.
        r = await scoring.post(f"/v1/dead-letters/{item['id']}/replay")
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert r.json()["error_class"] == "MessageSizeTooLargeError"
        again = (await scoring.get(f"/v1/dead-letters/{item['id']}")).json()
        assert again["status"] == "pending" and again["replay_attempts"] == 1
    assert email not in logs(small)  # ids and sizes in the logs, never the event


async def test_a_poisoned_consumer_is_dead_lettered_then_replayed_once_the_cause_is_gone(small, taps, uid):
    scores, dead = await taps(Topic.SCORES), await taps(Topic.DEADLETTER)
    customer, email = f"P-{uid}", f"poison.{uid}@example.com"
    comment = f"Llamadme al 600 {uid[:6]}"
    async with small.client("scoring", "admin") as scoring:
        async with refused_insert(small, "scoring", "responses", "response_id", f"poison-{uid}") as remove:
            await post(
                small,
                response(f"poison-{uid}", customer, comment, email),
                response(f"next-{uid}", customer, "Otra vez"),
            )
            await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"next-{uid}", timeout=60)  # moved on

            item = await letter_of(scoring, f"poison-{uid}", kind="consumer", status="pending")
            assert item["consumer_group"] == "scoring" and item["topic"] == Topic.RESPONSES
            assert item["event_type"] == EventType.RESPONSE_RECEIVED
            assert isinstance(item["partition"], int) and isinstance(item["offset"], int)
            assert email not in item["error"] and comment not in item["error"]
            detail = (await scoring.get(f"/v1/dead-letters/{item['id']}")).json()
            assert detail["original"]["data"]["customer"]["email"] == email and detail["key"] == customer
            [event] = await dead.wait_for(EventType.DEADLETTERED, dead_letter_id=item["id"], timeout=60)
            assert event.data["original"]["id"] == f"poison-{uid}" and event.data["consumer_group"] == "scoring"
            assert (await scoring.get(f"/v1/responses/poison-{uid}")).status_code == 404

            # The cause is still there: the replay fails, and says so.
            r = await scoring.post(f"/v1/dead-letters/{item['id']}/replay")
            assert r.status_code == 422, r.text
            pending = (await scoring.get(f"/v1/dead-letters/{item['id']}")).json()
            assert pending["status"] == "pending" and pending["replay_attempts"] == 1
            await remove()

            # The cause gone, it is applied, once however often it is replayed.
            for _ in range(2):
                r = await scoring.post(f"/v1/dead-letters/{item['id']}/replay")
                assert r.status_code == 200, r.text
                assert r.json()["status"] == "replayed" and r.json()["resolved_by"].startswith("admin:")
        assert (await scoring.get(f"/v1/responses/poison-{uid}")).json()["status"] == "scored"
        await post(small, response(f"last-{uid}", customer, "Y otra"))  # behind any republication
        await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"last-{uid}", timeout=60)
        assert len(scores.matching(EventType.SCORE_COMPUTED, response_id=f"poison-{uid}")) == 1
        history = (await scoring.get(f"/v1/customers/{customer}")).json()["history"]
        assert sorted(h["response_id"] for h in history) == sorted([f"poison-{uid}", f"next-{uid}", f"last-{uid}"])
        replayed = (await scoring.get("/v1/dead-letters", params={"status": "replayed", "kind": "consumer"})).json()
        assert item["id"] in [i["id"] for i in replayed["items"]]
    assert email not in logs(small) and comment not in logs(small)


async def test_an_unreadable_event_cannot_be_replayed_and_is_discarded(small, uid):
    producer = await raw_producer(small.broker.bootstrap)
    try:  # one with a key, one with none: a dead letter needs neither to go out
        await producer.send_and_wait(Topic.RESPONSES, value=f"\x00junk {uid}".encode(), key=f"C-{uid}".encode())
        await producer.send_and_wait(Topic.RESPONSES, value=f"not json {uid}".encode(), key=None)
    finally:
        await producer.stop()
    async with small.client("scoring", "admin") as scoring:

        async def mine():
            r = await scoring.get("/v1/dead-letters", params={"kind": "consumer", "limit": 500})
            found = []
            for item in r.json()["items"]:
                if item["event_id"] is None:
                    detail = (await scoring.get(f"/v1/dead-letters/{item['id']}")).json()
                    if uid.encode() in base64.b64decode(detail["original_base64"] or ""):
                        found.append(detail)
            return len(found) == 2 and found

        letters = await poll(mine, timeout=60, what="both unreadable events dead-lettered")
        assert {d["key"] for d in letters} == {f"C-{uid}", None}
        for letter in letters:
            r = await scoring.post(f"/v1/dead-letters/{letter['id']}/replay")
            assert r.status_code == 422 and r.json()["error_class"] == "PermanentError", r.text
            r = await scoring.post(f"/v1/dead-letters/{letter['id']}/discard")
            assert r.status_code == 200 and r.json()["status"] == "discarded", r.text
            assert (await scoring.delete(f"/v1/dead-letters/{letter['id']}")).status_code == 200
            assert (await scoring.post(f"/v1/dead-letters/{letter['id']}/replay")).status_code == 409
        discarded = (await scoring.get("/v1/dead-letters", params={"status": "discarded", "limit": 500})).json()
        assert {d["id"] for d in letters} <= {i["id"] for i in discarded["items"]}
        assert (await scoring.get("/v1/dead-letters/nothing-like-it")).status_code == 404
        assert (await scoring.get("/v1/dead-letters", params={"status": "lost"})).status_code == 422
        ready = (await scoring.get("/readyz")).json()
        assert ready["checks"]["consumer:scoring"] is True  # the partition moved on

        async def caught_up():  # the lag per partition, as the consumer measures it, back to zero
            text = (await scoring.get("/metrics")).text
            lags = [
                s
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "lazo_consumer_lag" and s.labels["group"] == "scoring"
            ]
            return lags and all(s.value == 0 for s in lags) and lags

        lags = await poll(caught_up, timeout=30, what="the scoring group's lag at zero")
        assert {s.labels["topic"] for s in lags} == {Topic.RESPONSES}
        assert (await scoring.get("/readyz")).json()["details"]["consumer:scoring"]["behind"] == 0
    for role, code in ((None, 401), ("agent", 403), ("manager", 403)):
        for service in ("scoring", "ingest"):
            async with small.client(service, role) as c:
                assert (await c.get("/v1/dead-letters")).status_code == code, (service, role)


@pytest.mark.slow
async def test_a_stuck_outbox_turns_readyz_503_naming_it_and_recovers(small, uid):
    questions = [{"key": k} for k in ANSWERS]
    async with small.client("scoring", "admin") as scoring:
        small.broker.pause()
        try:  # the programme is stored and its event waits in the outbox
            r = await scoring.put(f"/v1/programs/stuck-{uid}", json={"questions": questions}, timeout=30)
            assert r.status_code in (200, 201), r.text

            async def stuck():
                r = await scoring.get("/readyz", timeout=30)
                body = r.json()
                return r.status_code == 503 and "outbox" in body["failing"] and body

            body = await poll(stuck, timeout=60, interval=0.5, what="/readyz naming the stuck outbox")
            # The age is shown rounded to 0.1 s.
            assert body["checks"]["outbox"] is False and body["details"]["outbox"]["oldest_age_s"] >= STUCK_AFTER_S
            assert await metric(scoring, "lazo_outbox_oldest_age_seconds", service="scoring") > STUCK_AFTER_S
        finally:
            small.broker.resume()

        async def ready():
            r = await scoring.get("/readyz", timeout=30)
            return r.status_code == 200 and r.json()

        body = await poll(ready, timeout=90, interval=0.5, what="/readyz ready again")
        assert body["details"]["outbox"]["oldest_age_s"] <= STUCK_AFTER_S


@pytest.mark.slow
async def test_a_set_aside_event_is_published_by_a_replay_once_the_limit_is_raised(small, taps, uid):
    scores = await taps(Topic.SCORES)
    email = f"raise.{uid}@example.com"
    async with small.client("scoring", "admin") as scoring:
        await post(small, response(f"big-{uid}", f"C-{uid}", too_large_comment(email), email))
        item = await letter_of(scoring, f"score:big-{uid}", kind="outbox", status="pending")
    proc = small["scoring"]
    proc.env = {**proc.env, "LAZO_MAX_EVENT_BYTES": str(1024 * 1024)}
    await asyncio.to_thread(proc.restart)
    async with small.client("scoring", "admin") as scoring:
        r = await scoring.post(f"/v1/dead-letters/{item['id']}/replay")
        assert r.status_code == 200 and r.json()["status"] == "replayed", r.text
        [event] = await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"big-{uid}", timeout=60)
        assert event.id == f"score:big-{uid}" and event.data["comment"] == too_large_comment(email)
        pending = (await scoring.get("/v1/dead-letters", params={"status": "pending", "kind": "outbox"})).json()
        assert item["id"] not in [i["id"] for i in pending["items"]]
