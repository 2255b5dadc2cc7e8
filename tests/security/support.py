"""Helpers of the security tests: a programme of the test's own, and a customer in trouble."""

from __future__ import annotations

from tests.support import poll

QUESTIONS = [{"key": k, "scale": {"min": 1, "max": 10}} for k in ("experience", "worth", "recommend")]
# The discard port: nothing listens there, so every push to it fails (connection refused).
NOWHERE = "http://127.0.0.1:9/lazo"


async def own_program(system, name: str) -> str:
    """Create a programme in scoring and wait until ingest accepts responses to it: alerts and
    deliveries of the test stay apart from everyone else's."""
    async with system.client("scoring") as scoring, system.client("ingest", "ingest") as ingest:
        r = await scoring.put(f"/v1/programs/{name}", json={"questions": QUESTIONS})
        assert r.status_code in (200, 201), r.text

        async def known() -> bool:
            r = await ingest.post("/v1/responses", json={"response_id": f"{name}-probe", "program": name,
                                                         "customer": {"id": f"{name}-probe"},
                                                         "answers": {"experience": 9, "worth": 9, "recommend": 9}})
            return r.status_code == 202

        await poll(known, timeout=60, what=f"ingest to know programme {name}")
    return name


async def failing_subscription(system, program: str) -> str:
    async with system.client("alerts", "manager") as alerts:
        r = await alerts.post("/v1/subscriptions", json={"url": NOWHERE, "secret": "s" * 32,
                                                         "event_types": ["lazo.alert.raised"], "programs": [program]})
        assert r.status_code == 201, r.text
        return r.json()["id"]


def detractor(response_id: str, program: str, customer: str, *, email: str, name: str, comment: str) -> dict:
    """A response that raises an alert (IEC 2, and a comment)."""
    return {"response_id": response_id, "program": program, "touchpoint": "web",
            "customer": {"id": customer, "email": email, "name": name},
            "answers": {"experience": 2, "worth": 2, "recommend": 2}, "comment": comment}


async def case_of(system, customer: str) -> dict:
    async with system.client("casework", "agent") as casework:
        async def found():
            r = await casework.get("/v1/cases", params={"customer_id": customer})
            return r.status_code == 200 and r.json()["items"]

        [case] = await poll(found, timeout=60, what=f"a case for {customer}")
        return case
