"""A customer erased on request: `DELETE /v1/customers/{id}` (scoring) -> `lazo.erasures.v1` -> every
service erases its copy and says so; the APIs then show that customer's scores, alerts and cases
without any email, name, comment or note, and asking again is harmless."""

from __future__ import annotations

import json

from shared.events import EventType, Topic
from tests.security.support import case_of, detractor, failing_subscription, own_program
from tests.support import poll
from tests.test_webhooks import WHSEC, body_of, create_source, formbricks_headers, load

SERVICES = {"ingest", "scoring", "alerts", "casework"}


async def quarantine_a_payload_naming(system, uid: str, program: str, customer: str, email: str,
                                      comment: str) -> str:
    """A signed Formbricks delivery its mapping cannot read: held in ingest's quarantine, as sent."""
    source = f"fbe-{uid}"
    mapping = {"customer_id": "contact.userId", "comment": "txt9c3",
               "answers": {"experience": "exp8q1", "worth": "wrt4k7", "recommend": "nps2m5"}}
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "formbricks", source, {"secret": WHSEC}, mapping, program=program)
    payload = load("formbricks_response_finished.json")
    payload["data"]["id"] = f"resp-erase-{uid}"
    payload["data"]["contact"]["userId"] = customer
    payload["data"]["contactAttributes"] = {"userId": customer, "email": email}
    payload["data"]["data"]["txt9c3"] = comment
    payload["data"]["data"]["exp8q1"] = 99  # outside the programme's scale: the mapping cannot use it
    body = body_of(payload)
    async with system.client("ingest", None) as platform:
        r = await platform.post(f"/v1/webhooks/formbricks/{program}?source={source}", content=body,
                                headers=formbricks_headers(body))
    assert r.status_code == 200 and r.json()["status"] == "quarantined", r.text
    return r.json()["quarantine_id"]


async def erase(system, erasures, customer: str) -> dict[str, dict]:
    """Ask, and wait for every service's answer: {service: what it erased}."""
    async with system.client("scoring", "agent") as agent:
        assert (await agent.delete(f"/v1/customers/{customer}")).status_code == 403  # admins only
    async with system.client("scoring", "admin") as admin:
        r = await admin.delete(f"/v1/customers/{customer}")
    assert r.status_code == 202, r.text
    assert r.json()["customer_id"] == customer and r.json()["status"] == "requested"
    erasure_id = r.json()["erasure_id"]
    answers = await erasures.wait_for(EventType.CUSTOMER_ERASED, count=len(SERVICES), timeout=90,
                                      erasure_id=erasure_id)
    assert {a.data["service"] for a in answers} == SERVICES and {a.subject for a in answers} == {customer}
    return {a.data["service"]: a.data["erased"] for a in answers}


async def test_a_customer_is_erased_in_every_service_and_again_harmlessly(system, tap, uid):
    email, name, comment = f"erase.{uid}@example.com", f"Eulalia Borrable {uid}", f"borradme {uid} por favor"
    secrets = (email, name, comment)
    customer = f"C-erase-{uid}"
    program = await own_program(system, f"er-{uid}")
    subscription = await failing_subscription(system, program)
    erasures = await tap(Topic.ERASURES)

    # The customer's data everywhere: a score with a comment, an alert (and its push), a case with a
    # note, a quarantined webhook.
    async with system.client("ingest", "ingest") as ingest:
        r = await ingest.post("/v1/responses", json=detractor(f"r-erase-{uid}", program, customer,
                                                              email=email, name=name, comment=comment))
        assert r.status_code == 202, r.text
    case = await case_of(system, customer)
    assert case["customer"] == {"email": email, "name": name}
    async with system.client("casework", "agent") as casework:
        r = await casework.post(f"/v1/cases/{case['case_id']}/transitions",
                                json={"to": "contacted", "cause": "billing", "note": f"Spoke to {name}"})
        assert r.status_code == 200, r.text
    held = await quarantine_a_payload_naming(system, uid, program, customer, email, comment)
    async with system.client("alerts", "manager") as alerts:
        async def pushed():
            r = await alerts.get(f"/v1/subscriptions/{subscription}/deliveries")
            return r.json()["items"]

        await poll(pushed, timeout=60, what="the alert's delivery")
        [alert] = (await alerts.get("/v1/alerts", params={"customer_id": customer})).json()["items"]
        assert alert["comment"] == comment and alert["customer"]["email"] == email

    erased = await erase(system, erasures, customer)
    assert erased["scoring"] == {"comments": 1}
    assert erased["alerts"] == {"alerts": 1, "attached_responses": 0, "deliveries": 1}
    assert erased["casework"] == {"cases": 1, "notes": 2}  # the agent's, and the opening one quoting the comment
    assert erased["ingest"] == {"quarantined_payloads": 1}

    async def everything_about(customer: str) -> str:
        """What the APIs say about the customer, as one text."""
        async with (system.client("scoring", "agent") as scoring, system.client("alerts", "agent") as alerts,
                    system.client("casework", "agent") as casework, system.client("ingest", "admin") as ingest):
            seen = [(await scoring.get(f"/v1/customers/{customer}")).json(),
                    (await scoring.get(f"/v1/responses/r-erase-{uid}")).json(),
                    (await alerts.get("/v1/alerts", params={"customer_id": customer})).json(),
                    (await casework.get("/v1/cases", params={"customer_id": customer})).json(),
                    (await casework.get(f"/v1/cases/{case['case_id']}")).json()]
            r = await ingest.get(f"/v1/quarantine/{held}")
            assert r.status_code == 404, r.text  # deleted: a replay would bring the data back
            return json.dumps(seen, ensure_ascii=False)

    after = await everything_about(customer)
    assert not [s for s in secrets if s in after], after
    # What is not personal stays: the scores, the alert, the case and its work.
    async with system.client("scoring", "agent") as scoring, system.client("casework", "agent") as casework:
        history = (await scoring.get(f"/v1/customers/{customer}")).json()["history"]
        assert [h["response_id"] for h in history] == [f"r-erase-{uid}"] and history[0]["iec"] == 2
        detail = (await casework.get(f"/v1/cases/{case['case_id']}")).json()
        assert detail["status"] == "contacted" and detail["cause"] == "billing"
        assert detail["customer"] == {"email": None, "name": None}
        assert all(entry["note"] is None for entry in detail["timeline"])

    # Again: harmless, nothing left to erase, nothing else changed.
    again = await erase(system, erasures, customer)
    assert all(not any(counts.values()) for counts in again.values()), again
    assert await everything_about(customer) == after
    async with system.client("alerts", "manager") as alerts:
        assert (await alerts.delete(f"/v1/subscriptions/{subscription}")).status_code == 204


async def test_erasing_an_unknown_customer_is_accepted_and_answered(system, tap, uid):
    erasures = await tap(Topic.ERASURES)
    erased = await erase(system, erasures, f"C-nobody-{uid}")
    assert all(not any(counts.values()) for counts in erased.values()), erased
