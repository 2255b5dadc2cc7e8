"""Single sign-on in the dashboard, in headless Chromium: an agent signs in with her company account
at the test's OpenID provider (authorization code with PKCE), and the dashboard then works with the
access token, showing only her team's cases."""

from __future__ import annotations

import pytest

from tests.e2e.test_dashboard import WAIT_MS, browser, expect, pytestmark  # noqa: F401  (fixture, marks)
from tests.harness import KEYS, System
from tests.oidc_provider import OpenIdProvider
from tests.support import poll


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    provider = OpenIdProvider()
    system = System(tmp_path_factory.mktemp("sso"), extra_env=provider.env())
    yield system, provider
    system.close()
    provider.close()


def detractor(rid: str, customer: str, name: str) -> dict:
    return {
        "response_id": rid,
        "customer": {"id": customer, "name": name},
        "touchpoint": "web",
        "answers": {"experience": 2, "worth": 2, "recommend": 3},
        "comment": "Me cobraron dos veces",
    }


async def test_an_agent_signs_in_with_her_company_account_and_sees_her_teams_cases(sso, browser):  # noqa: F811
    system, provider = sso
    async with system.client("ingest", "ingest") as ingest, system.client("casework", "manager") as manager:
        for rid, customer, name in (
            ("r-sso-1", "C-sso-1", "Cliente Facturación"),
            ("r-sso-2", "C-sso-2", "Cliente Web"),
        ):
            assert (await ingest.post("/v1/responses", json=detractor(rid, customer, name))).status_code == 202

        async def two_cases():
            body = (await manager.get("/v1/cases")).json()
            return body["total"] == 2 and {c["customer_id"]: c["case_id"] for c in body["items"]}

        cases = await poll(two_cases, timeout=90, what="two cases")
        r = await manager.post(
            f"/v1/cases/{cases['C-sso-1']}/transitions",
            json={"to": "contacted", "cause": "cobro doble", "owner": "billing"},
        )
        assert r.status_code == 200, r.text

    provider.login_as = {"sub": "ana@cx.example", "lazo_role": "agent", "lazo_teams": ["billing"]}
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{system.url('casework')}/dashboard/")
    await page.get_by_test_id("sso-signin").click()  # to the provider, and back with a code

    await expect(page.locator("#main")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#cases-body tr")).to_have_count(1, timeout=WAIT_MS)
    await expect(page.locator("#cases-body")).to_contain_text("Cliente Facturación")
    token = await page.evaluate("sessionStorage.getItem('lazo.apiKey')")
    assert token.startswith("eyJ") and token.count(".") == 2 and token not in KEYS.values()
    assert await page.evaluate("localStorage.getItem('lazo.apiKey')") is None
    assert "code=" not in page.url and provider.tokens_issued == 1
    assert errors == [], errors
    await page.close()
