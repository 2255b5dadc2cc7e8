"""A customer erased on request: `DELETE /v1/customers/{id}` (or `POST /v1/erasures`) on scoring ->
`lazo.erasures.v1` -> every service erases its copy and says so (`GET /v1/erasures/{id}`).

Afterwards no API finds the customer by their id, what stays for the figures (scores, alerts,
cases, outcomes) carries a pseudonym and no email, name, comment, cause or note, events about the
customer that arrive later (in flight at erasure time, or retried) are erased on arrival, and
asking again is harmless."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import date, timedelta
from urllib.parse import quote

from shared.contracts.alerts import AlertRaised
from shared.contracts.outcomes import OutcomeRecorded
from shared.contracts.responses import Customer, ResponseReceived
from shared.contracts.scores import CustomerContact, ScoreComputed
from shared.events import Envelope, EventType, Topic, utcnow
from shared.settings import SERVICES as ALL_SERVICES
from tests.security.support import case_of, detractor, failing_subscription, own_program
from tests.support import poll, raw_producer
from tests.test_webhooks import WHSEC, body_of, create_source, formbricks_headers, load

SERVICES = set(ALL_SERVICES)


async def quarantine_a_payload_naming(
    system, source: str, program: str, customer: str, email: str, comment: str
) -> dict:
    """A signed Formbricks delivery its mapping cannot read: held in ingest's quarantine."""
    mapping = {
        "customer_id": "contact.userId",
        "comment": "txt9c3",
        "answers": {"experience": "exp8q1", "worth": "wrt4k7", "recommend": "nps2m5"},
    }
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "formbricks", source, {"secret": WHSEC}, mapping, program=program)
    payload = load("formbricks_response_finished.json")
    payload["data"]["id"] = f"resp-{source}"
    payload["data"]["contact"]["userId"] = customer
    payload["data"]["contactAttributes"] = {"userId": customer, "email": email}
    payload["data"]["data"]["txt9c3"] = comment
    payload["data"]["data"]["exp8q1"] = 99  # outside the programme's scale: the mapping cannot use it
    body = body_of(payload)
    async with system.client("ingest", None) as platform:
        r = await platform.post(
            f"/v1/webhooks/formbricks/{program}?source={source}", content=body, headers=formbricks_headers(body)
        )
    assert r.status_code == 200 and r.json()["status"] == "quarantined", r.text
    return r.json()


async def erase(system, erasures, customer: str, *, form: str = "path") -> dict[str, dict]:
    """Ask (the id URL-encoded in the path, or in a JSON body), and wait for every service's
    answer and for the request's progress to say so: {service: what it erased}."""
    path = f"/v1/customers/{quote(customer, safe='')}"
    async with system.client("scoring", "agent") as agent:
        assert (await agent.delete(path)).status_code == 403  # admins only
        assert (await agent.post("/v1/erasures", json={"customer_id": customer})).status_code == 403
    async with system.client("scoring", "admin") as admin:
        if form == "path":
            r = await admin.delete(path)
        else:
            r = await admin.post("/v1/erasures", json={"customer_id": customer})
        assert r.status_code == 202, r.text
        assert r.json()["customer_id"] == customer and r.json()["status"] == "requested"
        erasure_id = r.json()["erasure_id"]
        answers = await erasures.wait_for(
            EventType.CUSTOMER_ERASED, count=len(SERVICES), timeout=90, erasure_id=erasure_id
        )
        assert {a.data["service"] for a in answers} == SERVICES and {a.subject for a in answers} == {customer}

        async def completed():
            r = await admin.get(f"/v1/erasures/{erasure_id}")
            assert r.status_code == 200, r.text
            return r.json()["status"] == "completed" and r.json()

        progress = await poll(completed, timeout=30, what=f"erasure {erasure_id} completed")
        assert set(progress["services"]) == SERVICES and progress["pending"] == []
        assert customer not in json.dumps(progress, ensure_ascii=False)  # the request keeps no id
    erased = {a.data["service"]: a.data["erased"] for a in answers}
    assert {s: p["erased"] for s, p in progress["services"].items()} == erased
    return erased


async def findable(system, customer: str) -> dict:
    """What each list or lookup by customer id answers after an erasure."""
    async with (
        system.client("scoring", "agent") as scoring,
        system.client("alerts", "agent") as alerts,
        system.client("casework", "agent") as casework,
    ):
        return {
            "customer": (await scoring.get(f"/v1/customers/{quote(customer, safe='')}")).status_code,
            "alerts": (await alerts.get("/v1/alerts", params={"customer_id": customer})).json()["items"],
            "cases": (await casework.get("/v1/cases", params={"customer_id": customer})).json()["items"],
            "outcomes": (await casework.get("/v1/outcomes", params={"customer_id": customer})).json()["items"],
        }


NOT_FINDABLE = {"customer": 404, "alerts": [], "cases": [], "outcomes": []}


async def test_a_customer_is_erased_in_every_service_and_again_harmlessly(system, tap, uid):
    email, name, comment = f"erase.{uid}@example.com", f"Eulalia Borrable {uid}", f"borradme {uid} por favor"
    cause, note = f"factura doble de Eulalia {uid}", f"Spoke to {name}: {comment}"
    secrets = (email, name, comment, cause, note)
    customer = f"C-erase-{uid}"
    program = await own_program(system, f"er-{uid}")
    subscription = await failing_subscription(system, program)
    erasures = await tap(Topic.ERASURES)

    # The customer's data everywhere: a score with a comment, an alert (and its push), a case with a
    # cause and a note, a renewal outcome, a quarantined webhook.
    async with system.client("ingest", "ingest") as ingest:
        r = await ingest.post(
            "/v1/responses",
            json=detractor(f"r-erase-{uid}", program, customer, email=email, name=name, comment=comment),
        )
        assert r.status_code == 202, r.text
    case = await case_of(system, customer)
    assert case["customer"] == {"email": email, "name": name}
    async with system.client("casework", "agent") as casework, system.client("casework", "ingest") as crm:
        r = await casework.post(
            f"/v1/cases/{case['case_id']}/transitions", json={"to": "contacted", "cause": cause, "note": note}
        )
        assert r.status_code == 200, r.text
        r = await crm.post(
            "/v1/outcomes",
            json={
                "customer_id": customer,
                "program": program,
                "renewed": True,
                "date": date.today().isoformat(),
                "revenue": 120.0,
            },
        )
        assert r.status_code == 202, r.text

        async def outcome_stored():
            r = await casework.get("/v1/outcomes", params={"customer_id": customer})
            return r.json()["items"]

        await poll(outcome_stored, what="the outcome stored")
    held = (await quarantine_a_payload_naming(system, f"fbe-{uid}", program, customer, email, comment))["quarantine_id"]
    async with system.client("alerts", "manager") as alerts:

        async def pushed():
            r = await alerts.get(f"/v1/subscriptions/{subscription}/deliveries")
            return r.json()["items"]

        await poll(pushed, timeout=60, what="the alert's delivery")
        [alert] = (await alerts.get("/v1/alerts", params={"customer_id": customer})).json()["items"]
        assert alert["comment"] == comment and alert["customer"]["email"] == email

    erased = await erase(system, erasures, customer)
    assert erased["scoring"] == {"responses": 1, "comments": 1, "outbox_events": 0, "dead_letters": 0}
    assert erased["alerts"]["alerts"] == 1 and erased["alerts"]["deliveries"] == 1
    assert erased["alerts"]["cancelled_deliveries"] == 1  # still retrying its failing endpoint
    # The agent's note and the opening one quoting the comment; the cause on the case and in its entry.
    assert {k: erased["casework"][k] for k in ("cases", "notes", "causes", "outcomes")} == {
        "cases": 1,
        "notes": 2,
        "causes": 1,
        "outcomes": 1,
    }
    assert erased["ingest"]["quarantined_payloads"] == 1

    async def everything_about(customer: str) -> str:
        """What the APIs say about the customer and their records, as one text."""
        async with (
            system.client("scoring", "agent") as scoring,
            system.client("alerts", "agent") as alerts,
            system.client("casework", "agent") as casework,
            system.client("ingest", "admin") as ingest,
        ):
            seen = [
                await findable(system, customer),
                (await scoring.get(f"/v1/responses/r-erase-{uid}")).json(),
                (await alerts.get(f"/v1/alerts/{alert['alert_id']}")).json(),
                (await casework.get(f"/v1/cases/{case['case_id']}")).json(),
            ]
            r = await ingest.get(f"/v1/quarantine/{held}")
            assert r.status_code == 404, r.text  # deleted: a replay would bring the data back
            return json.dumps(seen, ensure_ascii=False)

    after = await everything_about(customer)
    assert not [s for s in (*secrets, customer) if s in after], after
    assert await findable(system, customer) == NOT_FINDABLE
    # What is not personal stays, under a pseudonym: the score, the alert, the case and its work,
    # the outcome (under the case's pseudonym: the experiment still puts it in the case's arm).
    async with (
        system.client("scoring", "agent") as scoring,
        system.client("alerts", "agent") as alerts,
        system.client("casework", "agent") as casework,
        system.client("alerts", "manager") as manager,
    ):
        response = (await scoring.get(f"/v1/responses/r-erase-{uid}")).json()
        assert response["iec"] == 2 and response["status"] == "scored" and response["customer_id"] != customer
        kept_alert = (await alerts.get(f"/v1/alerts/{alert['alert_id']}")).json()
        assert kept_alert["customer_id"] not in (customer, response["customer_id"])
        assert kept_alert["customer"] == {"email": None, "name": None} and kept_alert["comment"] is None
        assert kept_alert["iec"] == alert["iec"] and kept_alert["segment"] == alert["segment"]
        detail = (await casework.get(f"/v1/cases/{case['case_id']}")).json()
        assert detail["status"] == "contacted" and detail["cause"] is None
        assert detail["customer_id"] not in (customer, response["customer_id"], kept_alert["customer_id"])
        assert detail["customer"] == {"email": None, "name": None}
        assert all(entry["note"] is None and entry.get("cause") is None for entry in detail["timeline"])
        [outcome] = (await casework.get("/v1/outcomes", params={"customer_id": detail["customer_id"]})).json()["items"]
        assert outcome["renewed"] is True and outcome["revenue"] == 120.0
        [delivery] = (await manager.get(f"/v1/subscriptions/{subscription}/deliveries")).json()["items"]
        assert delivery["status"] == "cancelled"

    # Again: harmless, nothing left to erase, nothing else changed.
    again = await erase(system, erasures, customer)
    assert all(not any(counts.values()) for counts in again.values()), again
    assert await everything_about(customer) == after
    async with system.client("alerts", "manager") as alerts:
        assert (await alerts.delete(f"/v1/subscriptions/{subscription}")).status_code == 204


async def test_erasing_an_unknown_customer_is_accepted_and_answered(system, tap, uid):
    erasures = await tap(Topic.ERASURES)
    erased = await erase(system, erasures, f"C-nobody-{uid}", form="body")
    assert all(not any(counts.values()) for counts in erased.values()), erased
    async with system.client("scoring", "admin") as admin:
        assert (await admin.get(f"/v1/erasures/erasure-nothing-{uid}")).status_code == 404
        r = await admin.post("/v1/erasures", json={"customer_id": ""})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id", r.text


async def test_a_customer_whose_id_needs_url_encoding_can_be_erased(system, tap, uid):
    """Any id ingest takes: `/`, spaces, `?`, `#`, `%`, non-ASCII; URL-encoded in the path, or in a body."""
    erasures = await tap(Topic.ERASURES)

    async def erased_for_good(customer: str, form: str) -> None:
        email = f"slash.{uuid.uuid4().hex[:8]}@example.com"
        async with system.client("ingest", "ingest") as ingest:
            r = await ingest.post(
                "/v1/responses",
                json=detractor(
                    f"r-{uuid.uuid4().hex}", "default", customer, email=email, name="Barra", comment="barra"
                ),
            )
            assert r.status_code == 202, r.text
        case = await case_of(system, customer)
        async with system.client("scoring", "agent") as scoring:
            r = await scoring.get(f"/v1/customers/{quote(customer, safe='')}")
            assert r.status_code == 200 and r.json()["customer_id"] == customer, r.text

        erased = await erase(system, erasures, customer, form=form)
        assert erased["scoring"]["responses"] == 1 and erased["casework"]["cases"] == 1
        assert await findable(system, customer) == NOT_FINDABLE
        async with system.client("casework", "agent") as casework:
            detail = (await casework.get(f"/v1/cases/{case['case_id']}")).json()
            assert detail["customer"] == {"email": None, "name": None} and detail["customer_id"] != customer

    await asyncio.gather(
        erased_for_good(f"slash/{uid}", "path"),
        erased_for_good(f"a/b/{uid}/", "path"),
        erased_for_good(f"ñandú {uid}?#%/x", "path"),
        erased_for_good(f"body/{uid}?#", "body"),
    )


async def test_a_quarantined_payload_naming_a_non_ascii_customer_is_erased(system, tap, uid):
    erasures = await tap(Topic.ERASURES)

    async def erased_for_good(customer: str, tag: str) -> None:
        email, comment = f"ñ.{tag}.{uid}@ejemplo.es", f"comentario {tag} {uid} — ¡qué mal!"
        held = (await quarantine_a_payload_naming(system, f"fbu{tag}-{uid}", "default", customer, email, comment))[
            "quarantine_id"
        ]
        async with system.client("ingest", "admin") as ingest:
            r = await ingest.get(f"/v1/quarantine/{held}")
            assert r.status_code == 200 and email in json.dumps(r.json(), ensure_ascii=False)

        erased = await erase(system, erasures, customer)
        assert erased["ingest"]["quarantined_payloads"] == 1
        async with system.client("ingest", "admin") as ingest:
            assert (await ingest.get(f"/v1/quarantine/{held}")).status_code == 404

            # A platform delivering it again after the erasure (a retry) does not bring it back.
            again = await quarantine_a_payload_naming(system, f"fbv{tag}-{uid}", "default", customer, email, comment)
            r = await ingest.get(f"/v1/quarantine/{again['quarantine_id']}")
            assert r.status_code == 200, r.text
            kept = json.dumps(r.json(), ensure_ascii=False)
            assert email not in kept and comment not in kept and customer not in kept
            assert r.json()["reason"].startswith("withheld")

    await asyncio.gather(erased_for_good(f"josé.{uid}@example.com", "a"), erased_for_good(f"客户-{uid}", "b"))


def erased_on_arrival(metrics: str, service: str, event_type: str) -> float:
    pattern = (
        rf'^lazo_events_erased_on_arrival_total\{{[^}}]*service="{service}"[^}}]*'
        rf'type="{re.escape(event_type)}"[^}}]*\}} (\S+)$'
    )
    return sum(float(m.group(1)) for m in re.finditer(pattern, metrics, re.M))


async def test_events_arriving_after_the_erasure_are_erased_on_arrival(system, tap, uid):
    """A response, a score, an alert and an outcome of the customer that were still on their way
    when the erasure was requested (here: published to their topics once every service has erased,
    which is the order that would resurrect them) bring nothing back."""
    customer = f"C-late-{uid}"
    email, name, comment = f"late.{uid}@example.com", f"Tardío Llegado {uid}", f"llego tarde {uid}"
    secrets = (email, name, comment)
    program = await own_program(system, f"late-{uid}")
    erasures = await tap(Topic.ERASURES)
    await erase(system, erasures, customer)

    async def counts() -> dict[tuple[str, str], float]:
        out = {}
        for service, types in (
            ("alerts", [EventType.SCORE_COMPUTED]),
            ("casework", [EventType.ALERT_RAISED, EventType.SCORE_COMPUTED, EventType.OUTCOME_RECORDED]),
        ):
            async with system.client(service, None) as client:
                text = (await client.get("/metrics")).text
            out.update({(service, t): erased_on_arrival(text, service, t) for t in types})
        return out

    before = await counts()
    then = utcnow() - timedelta(minutes=5)  # received before the erasure
    contact = CustomerContact(email=email, name=name)
    alert_id = str(uuid.uuid4())
    late = {
        Topic.RESPONSES: Envelope.new(
            id=f"r-late-{uid}",
            type=EventType.RESPONSE_RECEIVED,
            source="/test",
            subject=customer,
            data=ResponseReceived(
                response_id=f"r-late-{uid}",
                program=program,
                submitted_at=then,
                received_at=then,
                customer=Customer(id=customer, email=email, name=name),
                comment=comment,
                answers={"experience": 2, "worth": 2, "recommend": 2},
            ),
        ),
        Topic.SCORES: Envelope.new(
            id=f"score:r-late-s-{uid}",
            type=EventType.SCORE_COMPUTED,
            source="/test",
            subject=customer,
            data=ScoreComputed(
                response_id=f"r-late-s-{uid}",
                customer_id=customer,
                customer=contact,
                program=program,
                submitted_at=then,
                iec=2.0,
                segment="nunca_mas",
                comment=comment,
            ),
        ),
        Topic.ALERTS: Envelope.new(
            id=f"alert:{alert_id}",
            type=EventType.ALERT_RAISED,
            source="/test",
            subject=customer,
            data=AlertRaised(
                alert_id=alert_id,
                customer_id=customer,
                customer=contact,
                program=program,
                response_id=f"r-late-a-{uid}",
                iec=2.0,
                segment="nunca_mas",
                reasons=["iec_at_or_below_threshold", "comment"],
                comment=comment,
                raised_at=then,
            ),
        ),
        Topic.OUTCOMES: Envelope.new(
            id=f"outcome-late-{uid}",
            type=EventType.OUTCOME_RECORDED,
            source="/test",
            subject=customer,
            data=OutcomeRecorded(
                customer_id=customer, program=program, renewed=False, date=date.today() - timedelta(days=1)
            ),
        ),
    }
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for topic, event in late.items():
            await producer.send_and_wait(topic, event.to_bytes(), key=customer.encode())
    finally:
        await producer.stop()

    # Scoring keeps the response for the KPIs, under a pseudonym, without the comment.
    async with system.client("scoring", "agent") as scoring:

        async def scored():
            r = await scoring.get(f"/v1/responses/r-late-{uid}")
            return r.status_code == 200 and r.json()

        response = await poll(scored, timeout=60, what="the late response stored")
        assert response["customer_id"] != customer and response["iec"] == 2

    # Alerts and casework drop theirs: no alert, no case, no outcome.
    async def all_dropped():
        now = await counts()
        return all(now[k] >= before[k] + 1 for k in before) and now

    await poll(all_dropped, timeout=60, what="alerts and casework to erase the late events on arrival")
    assert await findable(system, customer) == NOT_FINDABLE
    async with system.client("alerts", "agent") as alerts, system.client("casework", "agent") as casework:
        assert (await alerts.get("/v1/alerts", params={"program": program})).json()["items"] == []
        assert (await casework.get("/v1/cases", params={"customer_id": customer})).json()["items"] == []
        seen = json.dumps(
            [
                (await alerts.get("/v1/alerts", params={"program": program})).json(),
                (await casework.get("/v1/kpis", params={"program": program})).json(),
            ],
            ensure_ascii=False,
        )
    assert not [s for s in secrets if s in seen]

    # A response posted through ingest now (a survey still reaching the customer) is kept only as a
    # figure too: the erasure is for good.
    async with system.client("ingest", "ingest") as ingest, system.client("scoring", "agent") as scoring:
        r = await ingest.post(
            "/v1/responses",
            json=detractor(f"r-late-2-{uid}", program, customer, email=email, name=name, comment=comment),
        )
        assert r.status_code == 202, r.text

        async def scored_again():
            r = await scoring.get(f"/v1/responses/r-late-2-{uid}")
            return r.status_code == 200 and r.json()

        assert (await poll(scored_again, timeout=60, what="the new response"))["customer_id"] != customer
        assert (await scoring.get(f"/v1/customers/{customer}")).status_code == 404
