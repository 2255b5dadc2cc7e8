"""Comment analysis end to end: a response's comment is analysed as it is scored, and the analysis
travels with the score event, the alert event and GET /v1/responses/{id}; alert rules select on it."""

from __future__ import annotations

import httpx

from shared.events import EventType, Topic
from tests.support import poll

WOW = {"experience": 10, "worth": 9, "recommend": 10}
NUNCA_MAS = {"experience": 2, "worth": 3, "recommend": 1}


def response(rid: str, customer: str, answers: dict, comment: str | None, **over) -> dict:
    return {"response_id": rid, "customer": {"id": customer, "email": "ana@example.com", "name": "Ana"},
            "touchpoint": "contact_center", "answers": answers, "comment": comment, **over}


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
        r = await admin.put(f"/v1/programs/{name}", json={"questions": [
            {"key": "experience"}, {"key": "worth"}, {"key": "recommend", "scale": {"min": 0, "max": 10}}]})
        assert r.status_code in (200, 201), r.text
    probe = response(f"probe-{name}", "C-probe", WOW, None, program=name)

    async def accepted(c: httpx.AsyncClient):
        return (await c.post("/v1/responses", json=probe)).status_code == 202

    async with system.client("ingest", "ingest") as c:
        await poll(lambda: accepted(c), timeout=60, what="ingest knows the programme")


async def test_a_spanish_comment_is_analysed_and_travels_with_the_score_and_the_alert(system, tap, uid):
    scores, alerts = await tap(Topic.SCORES), await tap(Topic.ALERTS)
    comment = "La factura llegó mal y nadie me devolvió la llamada, estoy harto"
    await post(system, response(f"ca1-{uid}", f"C-ca-{uid}", NUNCA_MAS, comment),
               response(f"ca2-{uid}", f"C-ca2-{uid}", WOW, None))

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
        r = await manager.put(f"/v1/programs/{name}/alert-rules",
                              json={"threshold": 1, "comment_selects": False, "emotions": ["extasis"],
                                    "cooldown_days": 0})
        assert r.status_code == 200 and r.json()["emotions"] == ["extasis"], r.text
        bad = await manager.put(f"/v1/programs/{name}/alert-rules", json={"emotions": ["furia"]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("emotions"), bad.text
    alerts = await tap(Topic.ALERTS)
    await post(system,
               response(f"e1-{uid}", f"C-e1-{uid}", WOW, "¡Me encanta! El mejor servicio, se lo digo a todo el mundo",
                        program=name),
               response(f"e2-{uid}", f"C-e2-{uid}", WOW, "Lo detesto, es una estafa, me voy a la competencia",
                        program=name),
               response(f"e3-{uid}", f"C-e3-{uid}", WOW, "Todo correcto", program=name))
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

