"""The ops dashboard, driven in headless Chromium against the running system.

Responses go in through ingest; the page (served by casework) must show the same figures the
API gives, follow new responses without a reload, and work a case. Screenshots land in the
test's tmp_path (and in $LAZO_E2E_ARTIFACTS when set, for CI to keep).

Needs Debian's chromium at /usr/bin/chromium and Playwright's Python client: `make browser`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.harness import KEYS
from tests.support import poll

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 45_000  # Playwright's assertions retry until this deadline; nothing here sleeps

try:
    from playwright.async_api import async_playwright, expect
except ImportError:  # pragma: no cover - the skip below says what to do
    async_playwright = None

MISSING = (f"no {CHROMIUM}: run `make browser`" if not os.access(CHROMIUM, os.X_OK)
           else "Playwright's Python client is missing: run `make browser`" if async_playwright is None else None)

# Skipped on a machine without the browser; in CI (where .ci/run installs it) that is a failure.
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true",
                                                  reason=MISSING or "")]


@pytest.fixture
async def browser():
    if MISSING:
        pytest.fail(f"{MISSING} (CI=true: the browser must be there)")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go; copied to $LAZO_E2E_ARTIFACTS at the end when CI asks for them."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    if target := os.environ.get("LAZO_E2E_ARTIFACTS"):
        shutil.copytree(folder, Path(target), dirs_exist_ok=True)


def response(rid: str, customer: str, program: str, answers: dict, touchpoint: str, comment: str | None) -> dict:
    name = f"Cliente {customer.rsplit('-', 1)[-1]}"
    return {"response_id": rid, "program": program, "touchpoint": touchpoint, "answers": answers, "comment": comment,
            "customer": {"id": customer, "email": f"{customer.lower()}@example.com", "name": name}}


def nps_text(score: float | None) -> str:
    """The page's NPS (and BAI): whole points, signed."""
    return "—" if score is None else f"{score:+.0f}" if score > 0 else f"{score:.0f}"


async def test_dashboard_shows_the_api_figures_follows_new_responses_and_works_a_case(system, browser, shots, uid):
    program = f"e2e-{uid}"
    async with system.client("scoring", "admin") as scoring, system.client("ingest", "ingest") as ingest, \
            system.client("casework", "manager") as casework:
        # A programme of its own, so the figures on the page are this test's only.
        questions = [{"key": k} for k in ("experience", "worth", "recommend")]
        r = await scoring.put(f"/v1/programs/{program}", json={"questions": questions})
        assert r.status_code in (200, 201), r.text

        async def post(body: dict) -> bool:
            r = await ingest.post("/v1/responses", json=body)
            assert r.status_code in (202, 422), r.text
            return r.status_code == 202  # 422 until ingest has learnt the new programme

        # Three detractors with comments: IECs 4, 2.33 and 1.67, mean 2.67 (no rounding tie).
        detractors = [((3, 4, 5), "contact_center", "Nadie me devolvió la llamada"),
                      ((2, 2, 3), "billing", "Me cobraron dos veces"),
                      ((1, 2, 2), "web", "La web no funciona")]
        customers = [f"C-{uid}-{i}" for i in range(1, 4)]
        for i, ((e, w, rec), touchpoint, comment) in enumerate(detractors):
            body = response(f"r-{uid}-{i + 1}", customers[i], program,
                            {"experience": e, "worth": w, "recommend": rec}, touchpoint, comment)
            await poll(lambda: post(body), timeout=60, what=f"ingest to accept programme {program}")

        kpis = await poll(lambda: _kpis(scoring, program, 3), timeout=60, what="3 scored responses")
        cases = await poll(lambda: _cases(casework, program, 3), timeout=90, what="3 cases")

        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        await page.goto(f"{system.url('casework')}/dashboard/")

        # The key gate: asked once, kept for this browser session only (nothing in localStorage).
        await page.get_by_test_id("key-input").fill(KEYS["manager"])
        await page.get_by_test_id("key-submit").click()
        await expect(page.locator("#keygate")).not_to_be_visible(timeout=WAIT_MS)
        assert await page.evaluate("sessionStorage.getItem('lazo.apiKey')") == KEYS["manager"]
        assert await page.evaluate("localStorage.getItem('lazo.apiKey')") is None
        await expect(page.locator(f'#program option[value="{program}"]')).to_have_count(1, timeout=WAIT_MS)
        await page.select_option("#program", program)

        # The figures are the API's.
        await expect(page.get_by_test_id("kpi-count")).to_have_text("3", timeout=WAIT_MS)
        await expect(page.get_by_test_id("kpi-iec")).to_have_text(f"{kpis['iec']['mean']:.1f}", timeout=WAIT_MS)
        await expect(page.get_by_test_id("kpi-nps")).to_have_text(nps_text(kpis["nps"]["score"]), timeout=WAIT_MS)
        if isinstance(kpis.get("bai"), dict):  # BAI arrived with scoring's extended KPIs
            await expect(page.get_by_test_id("kpi-bai")).to_have_text(nps_text(kpis["bai"]["score"]), timeout=WAIT_MS)
        await expect(page.locator('#mix-list [data-segment="nunca_mas"] b')).to_have_text(
            str(kpis["segments"]["nunca_mas"]), timeout=WAIT_MS)
        await expect(page.locator("#cases-body tr")).to_have_count(3, timeout=WAIT_MS)
        await expect(page.locator("#tp-bars .hbar")).to_have_count(3, timeout=WAIT_MS)
        await expect(page.locator("#trend-chart canvas").first).to_be_visible(timeout=WAIT_MS)

        # What the comments say: the emotion mix, the causes and the drivers are the API's.
        said = (await scoring.get("/v1/kpis/comments", params={"program": program})).json()
        assert said["analysed"] == 3
        for emotion, n in said["emotions"].items():
            await expect(page.locator(f'#emotion-list [data-emotion="{emotion}"] b')).to_have_text(str(n),
                                                                                                  timeout=WAIT_MS)
        for cause in said["causes"]:
            await expect(page.locator(f'#cause-list [data-cause="{cause["key"]}"] b')).to_have_text(
                str(cause["mentions"]), timeout=WAIT_MS)
        await expect(page.get_by_test_id("comments-card")).to_contain_text("3 comments analysed", timeout=WAIT_MS)
        # Every comment here names a cause: no emerging theme (the API agrees).
        assert (await scoring.get("/v1/kpis/themes", params={"program": program})).json()["themes"] == []
        await expect(page.get_by_test_id("themes")).to_have_text("No emerging themes.", timeout=WAIT_MS)

        # Live: a new response shows up without a reload (a happy customer: no alert, no case).
        happy = {"experience": 9, "worth": 9, "recommend": 10}
        body = response(f"r-{uid}-4", f"C-{uid}-4", program, happy, "web", None)
        assert await post(body)
        kpis = await poll(lambda: _kpis(scoring, program, 4), timeout=60, what="the 4th response scored")
        await expect(page.get_by_test_id("kpi-count")).to_have_text("4", timeout=WAIT_MS)
        await expect(page.get_by_test_id("kpi-iec")).to_have_text(f"{kpis['iec']['mean']:.1f}", timeout=WAIT_MS)
        await page.screenshot(path=shots / "dashboard-desktop.png", full_page=True)

        # Work a case from the page: open it, record the first contact with its cause.
        case = next(c for c in cases["items"] if c["customer_id"] == customers[0])
        await page.locator(f'#cases-body tr[data-case-id="{case["case_id"]}"]').click()
        panel = page.get_by_test_id("case-panel")
        await expect(panel).to_be_visible(timeout=WAIT_MS)
        await expect(panel.get_by_test_id("case-status")).to_have_text("Open", timeout=WAIT_MS)
        # The comment, with the words that made the suggestion marked; the agent confirms it.
        await expect(panel.get_by_test_id("case-comment").locator('mark[data-cause="responsiveness"]')).to_have_text(
            "devolvió la llamada", timeout=WAIT_MS)
        await panel.get_by_test_id("suggested-causes").locator('[data-cause="responsiveness"]').click()
        cause = f"Factura duplicada {uid}"
        await panel.get_by_test_id("cause-input").fill(cause)
        await panel.locator('button[data-action="contacted"]').click()
        await expect(panel.get_by_test_id("case-status")).to_have_text("Contacted", timeout=WAIT_MS)
        await expect(panel.get_by_test_id("timeline")).to_contain_text(cause, timeout=WAIT_MS)
        await page.screenshot(path=shots / "case-panel.png")

        moved = (await casework.get(f"/v1/cases/{case['case_id']}")).json()
        assert moved["status"] == "contacted" and moved["cause"] == cause
        assert (moved["cause_key"], moved["suggestion_kept"]) == ("responsiveness", True)
        last = moved["timeline"][-1]
        assert (last["from"], last["to"], last["cause"]) == ("open", "contacted", cause)
        assert last["by"].startswith("manager:")
        # The agent kept the analysis's suggestion: the case KPIs say so (read every few ticks).
        await expect(page.get_by_test_id("suggestion-kept")).to_contain_text("(1 of 1)", timeout=WAIT_MS)
        # The queue follows: the row shows the new state.
        row = page.locator(f'#cases-body tr[data-case-id="{case["case_id"]}"]')
        await expect(row.get_by_test_id("status")).to_have_text("Contacted", timeout=WAIT_MS)

        # A phone: one column, nothing wider than the screen.
        await page.locator("#panel-close").click()
        await page.set_viewport_size({"width": 390, "height": 844})
        await expect(page.get_by_test_id("kpi-count")).to_have_text("4", timeout=WAIT_MS)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
        await page.screenshot(path=shots / "dashboard-phone.png", full_page=True)

        assert errors == [], errors
        await page.close()


async def test_the_key_is_remembered_only_when_asked(system, browser):
    url = f"{system.url('casework')}/dashboard/"
    for remember in (False, True):
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_test_id("key-input").fill(KEYS["agent"])
        if remember:
            await page.get_by_test_id("key-remember").check()
        await page.get_by_test_id("key-submit").click()
        await expect(page.locator("#keygate")).not_to_be_visible(timeout=WAIT_MS)
        stored = await page.evaluate("localStorage.getItem('lazo.apiKey')")
        assert stored == (KEYS["agent"] if remember else None)
        # A new tab is a new browser session: it opens without asking only if the key was remembered.
        again = await context.new_page()
        await again.goto(url)
        if remember:
            await expect(again.locator("#main")).to_be_visible(timeout=WAIT_MS)
        else:
            await expect(again.locator("#keygate")).to_be_visible(timeout=WAIT_MS)
        await context.close()


async def test_a_refused_key_is_asked_again(system, browser):
    page = await browser.new_page()
    await page.goto(f"{system.url('casework')}/dashboard/")
    await page.get_by_test_id("key-input").fill("not-a-key")
    await page.get_by_test_id("key-submit").click()
    await expect(page.locator("#key-error")).to_have_text("That key is not valid.", timeout=WAIT_MS)
    await expect(page.locator("#main")).to_be_hidden()
    await page.close()


async def _kpis(client, program: str, count: int) -> dict | None:
    body = (await client.get("/v1/kpis", params={"program": program})).json()
    return body if body.get("count") == count else None


async def _cases(client, program: str, count: int) -> dict | None:
    body = (await client.get("/v1/cases", params={"program": program})).json()
    return body if body.get("total") == count else None
