"""Each service's API docs (`/docs`) in headless Chromium: Swagger UI renders the service's own
OpenAPI document from files the service serves itself; nothing is loaded from anywhere else and
the page's Content-Security-Policy is not violated."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from shared.settings import SERVICES
from tests.e2e.test_dashboard import WAIT_MS, browser, expect, pytestmark  # noqa: F401  (fixture, marks)


@pytest.mark.parametrize("service", SERVICES)
async def test_the_docs_render_from_the_service_alone(system, browser, service):  # noqa: F811
    origin = system.url(service)
    page = await browser.new_page()
    requested: list[str] = []
    violations: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{origin}/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text(f"Lazo {service}", timeout=WAIT_MS)
    await expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT_MS)
    elsewhere = [
        u
        for u in requested
        if not u.startswith("data:") and urlsplit(u)._replace(path="", query="", fragment="").geturl() != origin
    ]
    assert elsewhere == [], elsewhere
    assert violations == [], violations
    await page.close()
