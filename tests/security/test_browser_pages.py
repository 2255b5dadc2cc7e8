"""What Lazo serves to browsers (casework's ops dashboard, every service's /docs) runs nothing but
Lazo's own files: a Content-Security-Policy allowing this origin's scripts only, no framing, no
MIME sniffing, no referrer, and the dashboard may call only the services' own origins."""

from __future__ import annotations

import re

from shared.settings import SERVICES

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
URL_ATTR = re.compile(r"""\b(?:src|href)=["']([^"']+)["']""", re.I)


def policy(headers) -> dict[str, set[str]]:
    directives = {}
    for part in headers["content-security-policy"].split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_page_headers(r) -> dict[str, set[str]]:
    assert r.status_code == 200, r.text[:200]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = policy(r.headers)
    assert csp["script-src"] == {"'self'"}, csp  # no inline script, no eval, nothing from elsewhere
    assert csp["frame-ancestors"] == {"'none'"} and csp["default-src"] == {"'none'"}
    assert csp["base-uri"] == {"'none'"}
    return csp


def assert_only_own_files(html: str) -> None:
    for attributes, inline in SCRIPT.findall(html):
        assert "src=" in attributes and not inline.strip(), f"an inline script: {inline[:80]!r}"
    for url in URL_ATTR.findall(html):
        assert not re.match(r"^(?:[a-z]+:)?//", url, re.I), f"a file from elsewhere: {url}"


async def test_the_dashboard_runs_only_its_own_scripts_and_calls_only_the_services(system):
    origins = {system.url(name) for name in SERVICES}
    async with system.client("casework", None) as anon:
        page = await anon.get("/dashboard/")
        csp = assert_page_headers(page)
        assert csp["connect-src"] == {"'self'"} | origins
        assert csp["style-src"] == {"'self'"} and csp["img-src"] <= {"'self'", "data:"}
        assert_only_own_files(page.text)
        assert 'id="key-remember"' in page.text  # the key is remembered only when asked
        for name in ("app.js", "style.css", "uplot-1.6.32.iife.min.js", "config.json"):
            assert_page_headers(await anon.get(f"/dashboard/{name}"))


async def test_every_services_docs_are_served_by_the_service_itself(system):
    for name in SERVICES:
        async with system.client(name, None) as anon:
            page = await anon.get("/docs")
            csp = assert_page_headers(page)
            assert csp["connect-src"] == {"'self'"}
            assert_only_own_files(page.text)
            assets = [u for u in URL_ATTR.findall(page.text) if not u.startswith("data:")]
            assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"} <= set(assets)
            for asset in assets:
                r = await anon.get(asset)
                assert r.status_code == 200 and r.content, (name, asset)
                assert "nosniff" == r.headers["x-content-type-options"]
            bundle = await anon.get("/docs/swagger-ui-bundle.js")
            assert bundle.headers["content-type"].startswith("text/javascript") and b"SwaggerUIBundle" in bundle.content
            assert "validatorUrl: null" in (await anon.get("/docs/init.js")).text  # no third-party badge
            assert (await anon.get("/redoc")).status_code == 404  # its page loaded a CDN script
            assert (await anon.get("/docs/../../etc/passwd")).status_code == 404
            assert (await anon.get("/openapi.json")).status_code == 200
