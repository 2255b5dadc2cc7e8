"""Personal data never reaches the logs.

A customer with a distinctive email, name and comment goes through the whole loop (response,
score, alert, case with an agent's note), with a push delivery that fails, invalid requests
that echo the data back to the caller (422), and events carrying it that every consumer
dead-letters. Then every service's log is searched for those strings.
"""

from __future__ import annotations

from pathlib import Path

from shared.events import Envelope, EventType, Topic, utcnow
from tests.security.support import case_of, detractor, failing_subscription, own_program
from tests.support import poll, raw_producer


def service_logs(system) -> list[Path]:
    # Every process any test started in the system's folder (replicas, dedicated ingests), not the broker's.
    return [p for p in system.workdir.glob("*.log") if p.name != "broker.log"]


async def test_personal_data_never_appears_in_any_service_log(system, tap, uid):
    email, name, comment = f"pii.{uid}@leak.example", f"Zebedeo Quiroga {uid}", f"mi secreto {uid} la factura"
    program = await own_program(system, f"pii-{uid}")
    subscription = await failing_subscription(system, program)
    customer = f"C-pii-{uid}"
    deadletters = await tap(Topic.DEADLETTER)

    async with system.client("ingest", "ingest") as ingest:
        r = await ingest.post(
            "/v1/responses", json=detractor(f"r-pii-{uid}", program, customer, email=email, name=name, comment=comment)
        )
        assert r.status_code == 202, r.text
        # Invalid, with the data in it: a 422 names the fields, and nothing is logged.
        bad = detractor(f"r-pii-bad-{uid}", program, customer, email=email, name=name, comment=comment)
        bad["answers"]["worth"] = 11
        assert (await ingest.post("/v1/responses", json=bad)).status_code == 422
        bad["customer"]["email"] = f"{email} not an email"
        assert (await ingest.post("/v1/responses", json=bad)).status_code == 422

    # The loop: a case, worked by an agent who writes what the customer said.
    case = await case_of(system, customer)
    async with system.client("casework", "agent") as casework:
        r = await casework.post(
            f"/v1/cases/{case['case_id']}/transitions",
            json={"to": "contacted", "cause": "billing", "note": f"{name} says: {comment}"},
        )
        assert r.status_code == 200, r.text
        r = await casework.post(f"/v1/cases/{case['case_id']}/transitions", json={"to": "nowhere", "note": comment})
        assert r.status_code == 422

    # Events with the data that no consumer can read (one field of the wrong type each; the fields
    # other tests read from these topics are there): every consumer dead-letters them.
    contact = {"id": customer, "email": email, "name": name}
    poison = {
        Topic.RESPONSES: (
            EventType.RESPONSE_RECEIVED,
            {"response_id": f"poison-r-{uid}", "customer": contact, "comment": comment, "answers": "lots"},
        ),
        Topic.SCORES: (
            EventType.SCORE_COMPUTED,
            {
                "response_id": f"poison-s-{uid}",
                "customer_id": customer,
                "customer": contact,
                "comment": comment,
                "iec": "low",
            },
        ),
        Topic.ALERTS: (
            EventType.ALERT_RAISED,
            {
                "alert_id": f"poison-a-{uid}",
                "response_id": f"poison-a-{uid}",
                "customer_id": customer,
                "customer": contact,
                "program": program,
                "reasons": ["comment"],
                "comment": comment,
                "iec": "low",
            },
        ),
        Topic.ERASURES: (
            EventType.CUSTOMER_ERASURE_REQUESTED,
            {
                "erasure_id": f"poison-e-{uid}",
                "customer_id": customer,
                "requested_by": name,
                "requested_at": f"when {comment}",
            },
        ),
    }
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for topic, (type_, data) in poison.items():
            event = Envelope.new(
                id=f"poison-{topic}-{uid}", type=type_, source="/test", subject=customer, data=data, time=utcnow()
            )
            await producer.send_and_wait(topic, event.to_bytes(), key=customer.encode())
    finally:
        await producer.stop()

    def dead_lettered() -> set[str]:
        return {
            e.data["original"].get("id")
            for e in deadletters.matching(EventType.DEADLETTERED)
            if isinstance(e.data.get("original"), dict)
        }

    expected = {f"poison-{topic}-{uid}" for topic in poison}
    await poll(lambda: expected <= dead_lettered(), timeout=60, what="every poison event dead-lettered")

    # The push failed and was recorded (its error is kept, not logged with the body).
    async with system.client("alerts", "manager") as alerts:

        async def attempted():
            r = await alerts.get(f"/v1/subscriptions/{subscription}/deliveries")
            items = r.json()["items"]
            return items and items[0]["attempts"] and items[0]["attempts"][0]["error"]

        await poll(attempted, timeout=60, what="a failed delivery attempt")
        assert (await alerts.delete(f"/v1/subscriptions/{subscription}")).status_code == 204

    logs = {path.name: path.read_text(errors="replace") for path in service_logs(system)}
    assert {"ingest.log", "scoring.log", "alerts.log", "casework.log"} <= set(logs)
    for file, text in logs.items():
        for secret in (email, name, comment, uid + "@leak"):
            assert secret not in text, f"{secret!r} is in {file}"
    # The logs did record these events (the search looked where the data would have been).
    assert f"dead-lettered {Topic.RESPONSES}" in logs["scoring.log"]
