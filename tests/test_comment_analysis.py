"""Comment analysis end to end: a response's comment is analysed as it is scored, and the analysis
travels with the score event, the alert event and GET /v1/responses/{id}; alert rules select on it."""

from __future__ import annotations

import httpx

from shared.events import EventType, Topic
from tests.support import poll

WOW = {"experience": 10, "worth": 9, "recommend": 10}
NUNCA_MAS = {"experience": 2, "worth": 3, "recommend": 1}


def response(rid: str, customer: str, answers: dict, comment: str | None, **over) -> dict:
    return {
        "response_id": rid,
        "customer": {"id": customer, "email": "ana@example.com", "name": "Ana"},
        "touchpoint": "contact_center",
        "answers": answers,
        "comment": comment,
        **over,
    }


async def post(system, *bodies: dict) -> None:
    async with system.client("ingest", "ingest") as c:
        for body in bodies:
            r = await c.post("/v1/responses", json=body)
            assert r.status_code == 202, r.text


async def scored(system, rid: str) -> dict:
    async with system.client("scoring", "agent") as c:

        async def _get():
            r = await c.get(f"/v1/responses/{rid}")
            return r.status_code == 200 and r.json()

        return await poll(_get, timeout=60, what=f"response {rid} scored")


async def program(system, name: str) -> None:
    """A programme of the test's own (its alert rules and taxonomy are the test's), known to ingest."""
    async with system.client("scoring", "admin") as admin:
        r = await admin.put(
            f"/v1/programs/{name}",
            json={
                "questions": [
                    {"key": "experience"},
                    {"key": "worth"},
                    {"key": "recommend", "scale": {"min": 0, "max": 10}},
                ]
            },
        )
        assert r.status_code in (200, 201), r.text
    probe = response(f"probe-{name}", "C-probe", WOW, None, program=name)

    async def accepted(c: httpx.AsyncClient):
        return (await c.post("/v1/responses", json=probe)).status_code == 202

    async with system.client("ingest", "ingest") as c:
        await poll(lambda: accepted(c), timeout=60, what="ingest knows the programme")


async def test_a_spanish_comment_is_analysed_and_travels_with_the_score_and_the_alert(system, tap, uid):
    scores, alerts = await tap(Topic.SCORES), await tap(Topic.ALERTS)
    comment = "La factura llegó mal y nadie me devolvió la llamada, estoy harto"
    await post(
        system,
        response(f"ca1-{uid}", f"C-ca-{uid}", NUNCA_MAS, comment),
        response(f"ca2-{uid}", f"C-ca2-{uid}", WOW, None),
    )

    body = await scored(system, f"ca1-{uid}")
    analysis = body["comment_analysis"]
    assert analysis["language"] == "es" and analysis["polarity"] == "negative"
    assert analysis["emotion"] in ("rechazo", "decadencia") and -1 <= analysis["sentiment"] < 0
    causes = {c["key"]: c for c in analysis["causes"]}
    assert {"billing", "responsiveness"} <= causes.keys()
    assert causes["billing"]["polarity"] == "negative" and causes["billing"]["evidence"] in comment
    assert analysis["analyzer"].startswith("lazo-lexicon ")
    assert (await scored(system, f"ca2-{uid}"))["comment_analysis"] is None  # no comment, no analysis

    [event] = await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"ca1-{uid}")
    assert event.data["comment_analysis"] == analysis
    [quiet] = await scores.wait_for(EventType.SCORE_COMPUTED, response_id=f"ca2-{uid}")
    assert quiet.data["comment_analysis"] is None
    [alert] = await alerts.wait_for(EventType.ALERT_RAISED, response_id=f"ca1-{uid}")
    assert alert.data["comment_analysis"] == analysis
    async with system.client("alerts", "agent") as c:
        [listed] = (await c.get("/v1/alerts", params={"customer_id": f"C-ca-{uid}"})).json()["items"]
    assert listed["comment_analysis"] == analysis


async def test_rules_select_on_the_comments_emotion_and_on_a_comment_contradicting_the_score(system, tap, uid):
    name = f"emo-{uid}"
    await program(system, name)
    async with system.client("alerts", "manager") as manager:
        # Neither the score nor a comment as such selects anyone here: only what the comment says.
        r = await manager.put(
            f"/v1/programs/{name}/alert-rules",
            json={"threshold": 1, "comment_selects": False, "emotions": ["extasis"], "cooldown_days": 0},
        )
        assert r.status_code == 200 and r.json()["emotions"] == ["extasis"], r.text
        bad = await manager.put(f"/v1/programs/{name}/alert-rules", json={"emotions": ["furia"]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("emotions"), bad.text
    alerts = await tap(Topic.ALERTS)
    await post(
        system,
        response(
            f"e1-{uid}", f"C-e1-{uid}", WOW, "¡Me encanta! El mejor servicio, se lo digo a todo el mundo", program=name
        ),
        response(f"e2-{uid}", f"C-e2-{uid}", WOW, "Lo detesto, es una estafa, me voy a la competencia", program=name),
        response(f"e3-{uid}", f"C-e3-{uid}", WOW, "Todo correcto", program=name),
    )
    [delighted] = await alerts.wait_for(EventType.ALERT_RAISED, response_id=f"e1-{uid}")
    assert delighted.data["reasons"] == ["emotion"] and delighted.data["comment_analysis"]["emotion"] == "extasis"
    [surprise] = await alerts.wait_for(EventType.ALERT_RAISED, response_id=f"e2-{uid}")
    assert surprise.data["reasons"] == ["comment_contradicts_score"]
    assert surprise.data["segment"] == "wow" and surprise.data["comment_analysis"]["emotion"] == "rechazo"
    assert (await scored(system, f"e3-{uid}"))["comment_analysis"]["emotion"] != "extasis"
    # The same customer's next response (same partition, so after it) raises: the plain one did not.
    await post(system, response(f"e4-{uid}", f"C-e3-{uid}", WOW, "Me encanta, una pasada", program=name))
    await alerts.wait_for(EventType.ALERT_RAISED, response_id=f"e4-{uid}")
    async with system.client("alerts", "agent") as c:
        items = (await c.get("/v1/alerts", params={"customer_id": f"C-e3-{uid}"})).json()["items"]
    assert [a["response_id"] for a in items] == [f"e4-{uid}"]


async def test_admins_change_a_programmes_causes_and_reanalyse_its_history(system, uid):
    name = f"tax-{uid}"
    await program(system, name)
    comment = "El envío tardó tres semanas y encima me quitaron los puntos de fidelidad"
    await post(system, response(f"t1-{uid}", f"C-t1-{uid}", NUNCA_MAS, comment, program=name))
    before = (await scored(system, f"t1-{uid}"))["comment_analysis"]
    assert [c["key"] for c in before["causes"]] == ["delivery"]

    path = f"/v1/programs/{name}/taxonomy"
    coverage = {
        "key": "loyalty_points",
        "names": {"es": "Puntos", "en": "Loyalty points"},
        "cues": {"es": ["puntos de fidelidad", "mis puntos"], "en": ["loyalty points", "reward*"]},
    }
    async with system.client("scoring", "admin") as admin, system.client("scoring", "agent") as agent:
        default = (await agent.get(path)).json()
        assert default["version"] == 1 and len(default["causes"]) == 10 and default["updated_by"] is None
        assert (await agent.post(f"{path}/causes", json=coverage)).status_code == 403
        assert (await admin.get(f"/v1/programs/nope-{uid}/taxonomy")).status_code == 404

        r = await admin.post(f"{path}/causes", json=coverage)
        assert r.status_code == 201 and r.json()["version"] == 2, r.text
        assert r.json()["causes"][-1]["key"] == "loyalty_points"
        assert (await admin.post(f"{path}/causes", json=coverage)).status_code == 409
        bad = await admin.post(f"{path}/causes", json=coverage | {"key": "Cobertura!"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "key", bad.text
        bad = await admin.post(f"{path}/causes", json=coverage | {"key": "x2", "cues": {"es": ["a" * 81]}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cues.es[0]", bad.text

        r = await admin.patch(f"{path}/causes/delivery", json={"retired": True})
        assert r.status_code == 200 and r.json()["version"] == 3
        r = await admin.patch(f"{path}/causes/billing", json={"names": {"es": "Cobros", "en": "Charges"}})
        billing = next(c for c in r.json()["causes"] if c["key"] == "billing")
        assert billing["names"] == {"es": "Cobros", "en": "Charges"} and billing["cues"]["es"]  # cues kept
        assert (await admin.patch(f"{path}/causes/nope", json={"retired": True})).status_code == 404
        assert (await admin.patch(f"{path}/causes/billing", json={"key": "x"})).status_code == 422

        # The stored comment is unchanged until re-analysed; new ones use the new taxonomy at once.
        assert (await agent.get(f"/v1/responses/t1-{uid}")).json()["comment_analysis"] == before
        await post(system, response(f"t2-{uid}", f"C-t2-{uid}", NUNCA_MAS, comment, program=name))
        fresh = (await scored(system, f"t2-{uid}"))["comment_analysis"]
        assert [c["key"] for c in fresh["causes"]] == ["loyalty_points"]

        r = await admin.post(f"{path}:reanalyze")
        assert r.status_code == 202 and r.json()["status"] in ("running", "completed"), r.text
        job = r.json()
        assert job["total"] == 2 and r.headers["location"] == f"/v1/reanalyses/{job['job_id']}"

        async def finished():
            body = (await admin.get(r.headers["location"])).json()
            return body["status"] == "completed" and body

        done = await poll(finished, timeout=60, what="re-analysis completed")
        assert done["done"] == done["total"] == 2 and done["finished_at"]
        after = (await agent.get(f"/v1/responses/t1-{uid}")).json()["comment_analysis"]
        assert [c["key"] for c in after["causes"]] == ["loyalty_points"]
        assert after["causes"][0]["evidence"] == "puntos de fidelidad"
        assert (await admin.get("/v1/reanalyses/reanalysis-nope")).status_code == 404


async def test_a_case_shows_the_suggested_causes_and_the_agent_confirms_or_picks_another(system, uid):
    name = f"case-{uid}"
    await program(system, name)
    comment = "La factura llegó mal y nadie me devolvió la llamada"
    await post(
        system,
        response(f"k1-{uid}", f"C-k1-{uid}", NUNCA_MAS, comment, program=name),
        response(f"k2-{uid}", f"C-k2-{uid}", NUNCA_MAS, comment, program=name),
        response(f"k3-{uid}", f"C-k3-{uid}", NUNCA_MAS, None, program=name),
    )
    async with system.client("casework", "agent") as agent:

        async def case_of(customer: str):
            async def found():
                items = (await agent.get("/v1/cases", params={"customer_id": customer})).json()["items"]
                return items and items[0]

            return await poll(found, timeout=60, what=f"case of {customer}")

        first, second, plain = [await case_of(f"C-{k}-{uid}") for k in ("k1", "k2", "k3")]
        suggested = {c["key"]: c for c in first["suggested_causes"]}
        assert {"billing", "responsiveness"} <= suggested.keys()
        assert suggested["billing"]["evidence"] in comment and suggested["billing"]["polarity"] == "negative"
        assert plain["suggested_causes"] == [] and plain["suggestion_kept"] is None

        # Confirming a suggestion: the key stands for the cause; picking another key, with a note.
        r = await agent.post(
            f"/v1/cases/{first['case_id']}/transitions", json={"to": "contacted", "cause_key": "billing"}
        )
        assert r.status_code == 200, r.text
        assert (r.json()["cause"], r.json()["cause_key"], r.json()["suggestion_kept"]) == ("billing", "billing", True)
        r = await agent.post(
            f"/v1/cases/{second['case_id']}/transitions",
            json={"to": "contacted", "cause_key": "price", "cause": "la subida de tarifa"},
        )
        assert (r.json()["cause"], r.json()["suggestion_kept"]) == ("la subida de tarifa", False)
        bad = await agent.post(
            f"/v1/cases/{plain['case_id']}/transitions", json={"to": "contacted", "cause_key": "Not A Key"}
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cause_key", bad.text
        assert (
            await agent.post(
                f"/v1/cases/{plain['case_id']}/transitions", json={"to": "contacted", "cause_key": "billing"}
            )
        ).json()["suggestion_kept"] is None
    async with system.client("casework", "manager") as manager:
        kpis = (await manager.get("/v1/kpis", params={"program": name})).json()
    assert kpis["suggestions"] == {"chosen": 2, "kept": 1, "kept_share": 0.5}


async def test_comment_kpis_emotion_mix_cause_counts_and_drivers(system, uid):
    name = f"kpi-{uid}"
    await program(system, name)
    billing = "La factura llegó mal otra vez, estoy harto"
    await post(
        system,
        response(f"q1-{uid}", f"C-q1-{uid}", NUNCA_MAS, billing, program=name),
        response(f"q2-{uid}", f"C-q2-{uid}", NUNCA_MAS, billing, program=name, touchpoint="web"),
        response(f"q3-{uid}", f"C-q3-{uid}", WOW, "¡Me encanta! Lo mejor", program=name),
        response(f"q4-{uid}", f"C-q4-{uid}", WOW, None, program=name),
    )
    for k in ("q1", "q2", "q3", "q4"):
        await scored(system, f"{k}-{uid}")
    async with system.client("scoring", "agent") as c:
        whole = (await c.get("/v1/kpis/comments", params={"program": name})).json()
        assert whole["analysed"] == 3 and whole["group_by"] is None and whole["groups"] is None
        assert whole["emotions"]["extasis"] == 1 and sum(whole["emotions"].values()) == 3
        assert whole["causes"][0]["key"] == "billing" and whole["causes"][0]["negative"] == 2

        by_segment = (await c.get("/v1/kpis/comments", params={"program": name, "group_by": "segment"})).json()
        groups = {g["group"]: g for g in by_segment["groups"]}
        assert set(groups) == {"nunca_mas", "wow"}
        assert groups["wow"]["emotions"]["extasis"] == 1 and groups["wow"]["causes"] == []
        assert groups["nunca_mas"]["analysed"] == 2 and groups["nunca_mas"]["causes"][0]["mentions"] == 2
        by_touchpoint = (await c.get("/v1/kpis/comments", params={"program": name, "group_by": "touchpoint"})).json()
        assert {g["group"] for g in by_touchpoint["groups"]} == {"contact_center", "web"}
        by_month = (await c.get("/v1/kpis/comments", params={"program": name, "group_by": "month"})).json()
        assert len(by_month["groups"]) == 1 and by_month["groups"][0]["analysed"] == 3
        bad = await c.get("/v1/kpis/comments", params={"group_by": "year"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "group_by"

        view = (await c.get("/v1/kpis/drivers", params={"program": name})).json()

        # Emerging themes: what low-IEC comments no cause covers keep talking about.
        await post(
            system,
            *(
                response(f"th{i}-{uid}", f"C-th{i}-{uid}", NUNCA_MAS, text, program=name)
                for i, text in enumerate(
                    ["El roaming en Portugal fue un desastre", "Otra vez problemas con el roaming en Portugal, fatal"]
                )
            ),
        )
        for i in range(2):
            await scored(system, f"th{i}-{uid}")
        found = (await c.get("/v1/kpis/themes", params={"program": name})).json()
        assert found["comments"] == 2 and found["max_iec"] == 6  # the billing ones are covered by a cause
        assert {"phrase": "roaming", "count": 2, "previous": 0, "rising": True} in found["themes"]
        assert (await c.get("/v1/kpis/themes", params={"max_iec": 11})).status_code == 422
    assert view["analysed"] == 3
    driver = next(d for d in view["drivers"] if d["key"] == "billing")
    assert driver["with"]["count"] == 2 and driver["without"]["count"] == 1
    assert driver["with"]["iec_mean"] < driver["without"]["iec_mean"] and driver["impact"] < 0
