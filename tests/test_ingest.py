"""Ingest through its HTTP door, with the real broker behind it."""

from __future__ import annotations

from shared.events import EventType, Topic


def response(rid: str, customer: str = "C-1", **over):
    body = {
        "response_id": rid,
        "customer": {"id": customer, "email": "ana@example.com", "name": "Ana"},
        "touchpoint": "contact_center",
        "answers": {"experience": 3, "worth": 4, "recommend": 5},
        "comment": "Nadie me devolvió la llamada",
    }
    body.update(over)
    return body


async def test_accepted_response_is_on_the_broker_keyed_by_customer(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    async with system.client("ingest", "ingest") as c:
        r = await c.post("/v1/responses", json=response(f"r-{uid}", f"C-{uid}"))
    assert r.status_code == 202, r.text
    assert r.json() == {"response_id": f"r-{uid}", "status": "accepted"}
    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"r-{uid}")
    assert event.subject == f"C-{uid}"
    assert event.data["answers"] == {"experience": 3, "worth": 4, "recommend": 5}
    assert event.data["program"] == "default"
    record = next(rec for rec in t.records if rec.value and f"r-{uid}".encode() in rec.value)
    assert record.key == f"C-{uid}".encode()


async def test_invalid_bodies_are_problem_json_naming_the_field(system, uid):
    async with system.client("ingest", "ingest") as c:
        cases = {
            "customer.id": response(f"r-{uid}", customer=None) | {"customer": {"email": "a@b.c"}},
            "answers.worth": response(f"r-{uid}", answers={"experience": 3, "worth": 11, "recommend": 5}),
            "comment": response(f"r-{uid}", comment="x" * 5001),
            "program": response(f"r-{uid}", program="no-such-programme"),
            "response_id": {k: v for k, v in response(f"r-{uid}").items() if k != "response_id"},
        }
        for field, body in cases.items():
            r = await c.post("/v1/responses", json=body)
            assert r.status_code == 422, (field, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())


async def test_keys_and_roles(system, uid):
    body = response(f"r-{uid}")
    async with system.client("ingest", None) as anon:
        r = await anon.post("/v1/responses", json=body)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        r = await anon.post("/v1/responses", json=body, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    async with system.client("ingest", "agent") as agent:
        r = await agent.post("/v1/responses", json=body)
        assert r.status_code == 403 and r.json()["status"] == 403
    async with system.client("ingest", "admin") as admin:
        assert (await admin.post("/v1/responses", json=body)).status_code == 202
    async with system.client("ingest", None) as anon:
        r = await anon.post("/v1/responses", json=body, headers={"X-API-Key": "test-ingest-key"})
        assert r.status_code == 202


async def test_batch_accepts_the_valid_items_and_reports_each(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    items = [response(f"b{i}-{uid}", f"C-{uid}") for i in range(5)]
    items[2]["answers"] = {"experience": 0, "worth": 4, "recommend": 5}
    async with system.client("ingest", "ingest") as c:
        r = await c.post("/v1/responses:batch", json={"responses": items})
        assert r.status_code == 202, r.text
        body = r.json()
        assert (body["accepted"], body["rejected"]) == (4, 1)
        assert body["results"][2]["status"] == "rejected"
        assert body["results"][2]["errors"][0]["field"] == "responses[2].answers.experience"
        for i in (0, 1, 3, 4):
            await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"b{i}-{uid}")
        assert not t.matching(EventType.RESPONSE_RECEIVED, response_id=f"b2-{uid}")
        too_many = {"responses": [response(f"x{i}-{uid}") for i in range(1001)]}
        r = await c.post("/v1/responses:batch", json=too_many)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "responses"


async def test_ops_routes(system):
    import httpx

    for name in system.services:
        async with httpx.AsyncClient(base_url=system.url(name)) as c:
            assert (await c.get("/healthz")).json() == {"status": "ok"}
            ready = await c.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            assert "lazo_http_requests_total" in (await c.get("/metrics")).text
            assert (await c.get("/openapi.json")).status_code == 200


async def test_problems_answer_in_the_language_the_request_asks_for(system):
    async with system.client("ingest", "ingest") as ingest:
        spanish = await ingest.post(
            "/v1/responses", json={"program": "default"}, headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
        )
        english = await ingest.post("/v1/responses", json={"program": "default"})
    assert spanish.status_code == english.status_code == 422
    assert spanish.headers["content-language"] == "es" and english.headers["content-language"] == "en"
    assert spanish.json()["title"] == "Entrada no válida" and english.json()["title"] == "Invalid input"
    assert "campo obligatorio" in spanish.json()["detail"] and "Field required" in english.json()["detail"]
    # The fields are named as the API spells them, whatever the language.
    assert [e["field"] for e in spanish.json()["errors"]] == [e["field"] for e in english.json()["errors"]]
    async with system.client("scoring", None) as anonymous:
        r = await anonymous.get("/v1/programs", headers={"Accept-Language": "es"})
    assert r.status_code == 401 and r.json()["title"] == "No autorizado" and "falta la clave" in r.json()["detail"]
