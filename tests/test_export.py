"""Exports through the running system: responses in through ingest, scored and exported by scoring,
the alerts they raised exported by alerts, and the cases they opened (with their timelines) by
casework, as CSV and NDJSON; each export in the audit trail."""

from __future__ import annotations

import csv
import io
import json

from tests.support import poll


async def _own_program(system, program: str) -> None:
    async with system.client("scoring", "admin") as scoring:
        r = await scoring.put(
            f"/v1/programs/{program}", json={"questions": [{"key": k} for k in ("experience", "worth", "recommend")]}
        )
        assert r.status_code in (200, 201), r.text


async def test_a_manager_exports_a_programmes_period_as_csv_and_ndjson(system, uid):
    program = f"exp-{uid}"
    await _own_program(system, program)
    responses = [
        (f"r-exp-{uid}-1", "2026-10-31T23:00:00Z", (9, 9, 10), None),  # the day before the period
        (f"r-exp-{uid}-2", "2026-11-01T08:00:00Z", (3, 4, 5), "Nadie me devolvió la llamada"),
        (f"r-exp-{uid}-3", "2026-11-02T12:30:00Z", (2, 2, 3), '=HYPERLINK("http://evil.example","clic")'),
    ]
    async with system.client("ingest", "ingest") as ingest:
        for rid, at, (e, w, rec), comment in responses:
            body = {
                "response_id": rid,
                "program": program,
                "submitted_at": at,
                "touchpoint": "web",
                "customer": {"id": f"C-{rid}"},
                "comment": comment,
                "answers": {"experience": e, "worth": w, "recommend": rec},
            }

            async def accepted(body=body):
                r = await ingest.post("/v1/responses", json=body)
                assert r.status_code in (202, 422), r.text
                return r.status_code == 202  # 422 until ingest has learnt the new programme

            await poll(accepted, timeout=60, what=f"ingest to accept programme {program}")
    async with system.client("scoring", "manager") as manager:

        async def scored():
            got = [await manager.get(f"/v1/responses/{rid}") for rid, *_ in responses]
            return all(r.status_code == 200 and r.json()["status"] == "scored" for r in got)

        await poll(scored, timeout=60, what="the responses scored")
        params = {"program": program, "from": "2026-11-01", "to": "2026-11-30"}

        r = await manager.get("/v1/exports/responses", params=params)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert (
            r.headers["content-disposition"]
            == f'attachment; filename="lazo-responses-{program}-2026-11-01-2026-11-30.csv"'
        )
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [row["response_id"] for row in rows] == [responses[1][0], responses[2][0]]  # oldest first
        assert rows[0]["iec"] == "4.0" and rows[0]["segment"] == "nunca_mas" and rows[0]["status"] == "scored"
        assert rows[0]["comment"] == "Nadie me devolvió la llamada" and rows[0]["emotion"]  # analysed
        assert rows[1]["comment"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it

        r = await manager.get("/v1/exports/responses", params={**params, "format": "ndjson", "to": None})
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
        records = [json.loads(line) for line in r.text.splitlines()]
        assert [x["response_id"] for x in records] == [responses[1][0], responses[2][0]]
        assert records[0]["answers"] == {"experience": 3, "worth": 4, "recommend": 5}
        assert records[0]["comment_analysis"]["emotion"] == rows[0]["emotion"]
        assert records[1]["comment"].startswith("=HYPERLINK")  # NDJSON carries the text as written

        everything = await manager.get("/v1/exports/responses", params={"program": program, "format": "ndjson"})
        assert len(everything.text.splitlines()) == 3  # no period: the whole programme, streamed

        for bad, field in (
            ({"from": "yesterday"}, "from"),
            ({"format": "xlsx"}, "format"),
            ({"program": "no such/programme"}, "program"),
        ):
            r = await manager.get("/v1/exports/responses", params=bad)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    async with system.client("scoring", "agent") as agent, system.client("scoring", None) as anonymous:
        assert (await agent.get("/v1/exports/responses")).status_code == 403
        assert (await anonymous.get("/v1/exports/responses")).status_code == 401

    # The two detractors with comments opened cases; an agent works one; the month's cases export.
    async with system.client("casework", "agent") as agent, system.client("casework", "manager") as manager:

        async def two_cases():
            body = (await agent.get("/v1/cases", params={"program": program})).json()
            return body["total"] == 2 and body["items"]

        cases = await poll(two_cases, timeout=60, what="the two cases")
        worked = cases[0]["case_id"]
        r = await agent.post(
            f"/v1/cases/{worked}/transitions",
            json={"to": "contacted", "cause": "no call back", "note": "llamada 1", "owner": "web"},
        )
        assert r.status_code == 200, r.text
        today = r.json()["opened_at"][:10]
        assert (await agent.get("/v1/exports/cases")).status_code == 403
        r = await manager.get("/v1/exports/cases", params={"program": program, "from": today, "to": today})
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8", r.text
        assert r.headers["content-disposition"] == f'attachment; filename="lazo-cases-{program}-{today}-{today}.csv"'
        rows = {row["case_id"]: row for row in csv.DictReader(io.StringIO(r.text))}
        assert set(rows) == {c["case_id"] for c in cases}
        assert rows[worked]["status"] == "contacted" and rows[worked]["owner"] == "web"
        timeline = json.loads(rows[worked]["timeline"])
        assert [t["kind"] for t in timeline][:1] == ["opened"] and timeline[-1]["note"] == "llamada 1"
        r = await manager.get("/v1/exports/cases", params={"program": program, "format": "ndjson"})
        records = {x["case_id"]: x for x in map(json.loads, r.text.splitlines())}
        assert records[worked]["timeline"][-1]["to_status"] == "contacted"

    # A renewal outcome the CRM reports, as casework exports it.
    async with system.client("casework", "ingest") as crm, system.client("casework", "manager") as manager:
        r = await crm.post(
            "/v1/outcomes",
            json={
                "customer_id": f"C-{responses[1][0]}",
                "program": program,
                "renewed": False,
                "date": "2026-11-15",
                "revenue": 0,
            },
        )
        assert r.status_code == 202, r.text

        async def outcomes():
            r = await manager.get(
                "/v1/exports/outcomes",
                params={"program": program, "from": "2026-11-01", "to": "2026-11-30", "format": "ndjson"},
            )
            assert r.status_code == 200, r.text
            return [json.loads(line) for line in r.text.splitlines()]

        [outcome] = await poll(outcomes, timeout=60, what="the outcome exported")
        assert (outcome["date"], outcome["renewed"], outcome["customer_id"]) == (
            "2026-11-15",
            False,
            f"C-{responses[1][0]}",
        )

    # The alerts those detractors raised, as alerts exports them.
    async with system.client("alerts", "manager") as manager, system.client("alerts", "agent") as agent:
        assert (await agent.get("/v1/exports/alerts")).status_code == 403
        r = await manager.get("/v1/exports/alerts", params={"program": program})
        assert (
            r.status_code == 200
            and r.headers["content-disposition"] == f'attachment; filename="lazo-alerts-{program}.csv"'
        ), r.text
        alerts = list(csv.DictReader(io.StringIO(r.text)))
        assert sorted(a["response_id"] for a in alerts) == [responses[1][0], responses[2][0]]
        assert all("iec_at_or_below_threshold" in a["reasons"].split(";") for a in alerts)
        assert {a["control_group"] for a in alerts} == {"false"}
        r = await manager.get("/v1/exports/alerts", params={"program": program, "format": "ndjson"})
        assert [x["reasons"] for x in map(json.loads, r.text.splitlines())][0][0] == "iec_at_or_below_threshold"

    # Each export is an audited read of personal data: who exported, which route, with what status.
    async with system.client("casework", "admin") as admin:

        async def audited():
            items = (await admin.get("/v1/audit", params={"kind": "read", "limit": 500})).json()["items"]
            routes = {(i["service"], i["route"], i["status"]) for i in items if i["role"] == "manager"}
            return {
                ("scoring", "/v1/exports/responses", 200),
                ("casework", "/v1/exports/cases", 200),
                ("alerts", "/v1/exports/alerts", 200),
            } <= routes

        await poll(audited, timeout=60, what="the exports in the audit trail")
