"""The audit trail (issue 14): every read of personal data and every change an administrator or
manager makes, in any service, is recorded — who, when, what, from where — readable by admins
through `GET /v1/audit` on casework and published on `lazo.audit.v1`; the records hold no
personal data."""

from __future__ import annotations

from urllib.parse import quote

from shared.events import EventType, Topic
from tests.support import poll


async def records(system, **params) -> list[dict]:
    async with system.client("casework", "admin") as admin:
        r = await admin.get("/v1/audit", params={"limit": 500, **params})
        assert r.status_code == 200, r.text
        return r.json()["items"]


async def test_reads_of_personal_data_and_changes_are_recorded_without_personal_data(system, uid, tap):
    audit_topic = await tap(Topic.AUDIT)
    customer = f"ana.{uid}@example.com"
    async with system.client("ingest", "ingest") as ingest:
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"audit-{uid}",
                "program": "default",
                "touchpoint": "web",
                "customer": {"id": customer, "email": customer, "name": "Ana Pérez"},
                "answers": {"experience": 9, "worth": 9, "recommend": 9},
            },
        )
        assert r.status_code == 202, r.text
    async with system.client("scoring", "agent") as agent:
        await poll(
            lambda: _found(agent, f"/v1/customers/{quote(customer, safe='')}"),
            timeout=30,
            what="the customer in scoring",
        )
    async with system.client("casework", "manager") as manager:  # a manager changes a programme's SLA
        r = await manager.put(f"/v1/programs/audit-{uid}/sla", json={"first_contact_hours": 8, "close_days": 5})
        assert r.status_code in (200, 201), r.text
    async with system.client("casework", "agent") as agent:  # an agent's list of a customer's cases
        assert (await agent.get("/v1/cases", params={"customer_id": customer})).status_code == 200
        # Not personal data, not a change: not recorded.
        assert (await agent.get(f"/v1/programs/audit-{uid}/sla")).status_code == 200

    async def trail() -> list[dict] | None:
        found = await records(system, customer_id=customer)
        return (
            found if {(r["service"], r["kind"]) for r in found} >= {("scoring", "read"), ("casework", "read")} else None
        )

    about_her = await poll(trail, timeout=30, what="the reads of the customer in the audit trail")
    read = next(r for r in about_her if r["service"] == "scoring")
    assert read["route"] == "/v1/customers/{customer_id:path}" and read["method"] == "GET"
    assert read["actor"].startswith("agent:") and read["role"] == "agent" and read["status"] == 200
    assert read["client"] == "127.0.0.1" and len(read["customer_digests"]) == 1
    change = await poll(
        lambda: _one(
            records(system, kind="change", service="casework"), lambda r: r["resource"].get("program") == f"audit-{uid}"
        ),
        timeout=30,
        what="the SLA change in the audit trail",
    )
    assert change["method"] == "PUT" and change["role"] == "manager" and change["route"] == "/v1/programs/{program}/sla"
    # The agent's read of an SLA (no personal data) left no record.
    assert not [
        r
        for r in await records(system, service="casework", kind="read")
        if r["resource"].get("program") == f"audit-{uid}"
    ]
    # Nothing personal in the trail, nor on the topic a SIEM reads.
    for text in [str(about_her), *(e.to_bytes().decode() for e in audit_topic.events)]:
        assert customer not in text and "Ana" not in text and "P\\u00e9rez" not in text and "Pérez" not in text
    await audit_topic.wait_for(EventType.AUDIT_RECORDED, count=3)


async def test_only_admins_read_the_trail_and_filters_are_checked(system):
    async with system.client("casework", "manager") as manager:
        assert (await manager.get("/v1/audit")).status_code == 403
    async with system.client("casework", "admin") as admin:
        r = await admin.get("/v1/audit", params={"kind": "everything"})
        assert r.status_code == 422 and "kind" in r.text
        r = await admin.get("/v1/audit", params={"from": "yesterday"})
        assert r.status_code == 422 and "from" in r.text


async def _found(client, path: str) -> bool:
    return (await client.get(path)).status_code == 200


async def _one(found, matches):
    return next((r for r in await found if matches(r)), None)
