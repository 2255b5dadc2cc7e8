"""The dashboard's plumbing without a browser: the page and its config are served by casework,
and the other services answer the dashboard's origin (CORS), and only that origin."""

from __future__ import annotations

from shared.settings import SERVICES


async def test_casework_serves_the_page_and_the_services_urls(system):
    async with system.client("casework", None) as anon:  # the page holds no data: no key needed
        r = await anon.get("/dashboard/")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'src="app.js"' in r.text
        for name in ("app.js", "style.css", "uplot-1.6.32.iife.min.js"):
            assert (await anon.get(f"/dashboard/{name}")).status_code == 200, name
        assert (await anon.get("/dashboard/NOTICE.md")).status_code == 404  # only the page's own files
        config = (await anon.get("/dashboard/config.json")).json()
    assert config == {"services": {name: system.url(name) for name in SERVICES}}


async def test_the_other_services_answer_the_dashboard_origin_only(system):
    origin = system.url("casework")
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    for name in ("ingest", "scoring", "alerts"):
        async with system.client(name, None) as anon:
            r = await anon.options("/v1/kpis", headers={"Origin": origin, **preflight})
            assert r.status_code == 200, (name, r.text)
            assert r.headers["access-control-allow-origin"] == origin
            assert "authorization" in r.headers["access-control-allow-headers"].lower()
            r = await anon.options("/v1/kpis", headers={"Origin": "http://elsewhere.example", **preflight})
            assert r.status_code == 400 and "access-control-allow-origin" not in r.headers, name
    async with system.client("scoring", "agent") as agent:
        r = await agent.get("/v1/kpis", headers={"Origin": origin})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin


async def test_the_dead_letter_counts_the_page_shows_come_from_every_service(system):
    origin = system.url("casework")
    async with system.client("casework", None) as anon:
        assert 'id="dead-letters"' in (await anon.get("/dashboard/")).text
        assert "/v1/dead-letters" in (await anon.get("/dashboard/app.js")).text
    for name in SERVICES:
        async with system.client(name, "admin") as admin:
            r = await admin.get(
                "/v1/dead-letters", params={"status": "pending", "limit": 1}, headers={"Origin": origin}
            )
            assert r.status_code == 200 and isinstance(r.json()["total"], int), (name, r.text)
            assert r.headers["access-control-allow-origin"] == origin
        async with system.client(name, "manager") as manager:  # an admin's read: the page says so
            assert (await manager.get("/v1/dead-letters", headers={"Origin": origin})).status_code == 403


async def test_casework_serves_the_dashboards_catalogues_and_nothing_else_from_their_folder(system):
    async with system.client("casework", None) as anon:
        for lang in ("en", "es"):
            r = await anon.get(f"/dashboard/i18n/{lang}.json")
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), lang
            assert r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
            assert r.json()["key.open"]
        assert (await anon.get("/dashboard/i18n/es.json")).json()["key.open"] == "Abrir el panel"
        for name in ("fr.json", "..%2Fapp.js", "en.json.bak"):
            assert (await anon.get(f"/dashboard/i18n/{name}")).status_code == 404, name
