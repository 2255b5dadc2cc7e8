"""The ops dashboard, driven in headless Chromium against the running system.

Responses go in through ingest; the page (served by casework) must show the same figures the
API gives, follow new responses without a reload, and work a case — in English and in Spanish
(the browser's language chooses). In Spanish nothing on screen may be English: no text, placeholder,
title or label equal to an English catalogue entry, nor to what the same page showed in English.
Screenshots land in the test's tmp_path (and in $LAZO_E2E_ARTIFACTS when set, for CI to keep).

Needs Debian's chromium at /usr/bin/chromium and Playwright's Python client: `make browser`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from services.casework.api.dashboard import CATALOGUES, LANGUAGES
from tests.harness import KEYS
from tests.support import poll

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WAIT_MS = 45_000  # Playwright's assertions retry until this deadline; nothing here sleeps

try:
    from playwright.async_api import async_playwright, expect
except ImportError:  # pragma: no cover - the skip below says what to do
    async_playwright = None

MISSING = (
    f"no {CHROMIUM}: run `make browser`"
    if not os.access(CHROMIUM, os.X_OK)
    else "Playwright's Python client is missing: run `make browser`"
    if async_playwright is None
    else None
)

# Skipped on a machine without the browser; in CI (where .ci/run installs it) that is a failure.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true", reason=MISSING or ""),
]


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


CATALOGUE = {lang: json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES}
# The browser's language on first visit (navigator.languages): a regional Spanish picks Spanish.
LOCALES = {"en": "en-GB", "es": "es-MX"}
# Words the page shows the same in both languages, on purpose: the product, the method's acronyms
# and names (segments, emotional states), units, the language switch. Anything else in Spanish
# mode that the English page shows too is untranslated.
SAME_IN_BOTH = {
    "Lazo",
    "IEC",
    "NPS",
    "BAI",
    "SLA",
    "CSV",
    "CI",
    "IC",
    "p50",
    "p90",
    "h",
    "d",
    "ES",
    "EN",
    "English",
    "Español",
    "Nunca",
    "Más",
    "Funcional",
    "Pasivo",
    "WoW",
    "Rechazo",
    "Decadencia",
    "Indiferencia",
    "Disfrutable",
    "Éxtasis",
    "builtin",
    "Control",
    "control",
    "Error",
}


def say(lang: str, key: str, count: int | None = None, **params) -> str:
    """The page's t(key, params) in Python (plural forms: English and Spanish share the rule)."""
    entry = CATALOGUE[lang][key]
    if isinstance(entry, dict):
        entry = entry["one" if count == 1 else "other"]
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), entry)


def decimal(lang: str, text: str) -> str:
    return text.replace(".", ",") if lang == "es" else text


def response(rid: str, customer: str, program: str, answers: dict, touchpoint: str, comment: str | None) -> dict:
    name = f"Cliente {customer.rsplit('-', 1)[-1]}"
    return {
        "response_id": rid,
        "program": program,
        "touchpoint": touchpoint,
        "answers": answers,
        "comment": comment,
        "customer": {"id": customer, "email": f"{customer.lower()}@example.com", "name": name},
    }


def nps_text(score: float | None) -> str:
    """The page's NPS (and BAI): whole points, signed."""
    return "—" if score is None else f"{score:+.0f}" if score > 0 else f"{score:.0f}"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_dashboard_shows_the_api_figures_follows_new_responses_and_works_a_case(
    system, browser, shots, uid, lang
):
    program = f"e2e-{uid}"
    async with (
        system.client("scoring", "admin") as scoring,
        system.client("ingest", "ingest") as ingest,
        system.client("casework", "manager") as casework,
    ):
        # A programme of its own, so the figures on the page are this test's only.
        questions = [{"key": k} for k in ("experience", "worth", "recommend")]
        r = await scoring.put(f"/v1/programs/{program}", json={"questions": questions})
        assert r.status_code in (200, 201), r.text

        async def post(body: dict) -> bool:
            r = await ingest.post("/v1/responses", json=body)
            assert r.status_code in (202, 422), r.text
            return r.status_code == 202  # 422 until ingest has learnt the new programme

        # Three detractors with comments: IECs 4, 2.33 and 1.67, mean 2.67 (no rounding tie).
        detractors = [
            ((3, 4, 5), "contact_center", "Nadie me devolvió la llamada"),
            ((2, 2, 3), "billing", "Me cobraron dos veces"),
            ((1, 2, 2), "web", "La web no funciona"),
        ]
        customers = [f"C-{uid}-{i}" for i in range(1, 4)]
        for i, ((e, w, rec), touchpoint, comment) in enumerate(detractors):
            body = response(
                f"r-{uid}-{i + 1}",
                customers[i],
                program,
                {"experience": e, "worth": w, "recommend": rec},
                touchpoint,
                comment,
            )
            await poll(lambda: post(body), timeout=60, what=f"ingest to accept programme {program}")

        kpis = await poll(lambda: _kpis(scoring, program, 3), timeout=60, what="3 scored responses")
        cases = await poll(lambda: _cases(casework, program, 3), timeout=90, what="3 cases")

        page = await browser.new_page(viewport={"width": 1366, "height": 900}, locale=LOCALES[lang])
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        await page.goto(f"{system.url('casework')}/dashboard/")
        # First visit: the browser's language, before any key is asked for.
        await expect(page.locator("html")).to_have_attribute("lang", lang, timeout=WAIT_MS)
        await expect(page.get_by_test_id("key-submit")).to_have_text(say(lang, "key.open"), timeout=WAIT_MS)

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
        await expect(page.get_by_test_id("kpi-iec")).to_have_text(
            decimal(lang, f"{kpis['iec']['mean']:.1f}"), timeout=WAIT_MS
        )
        await expect(page.get_by_test_id("kpi-nps")).to_have_text(nps_text(kpis["nps"]["score"]), timeout=WAIT_MS)
        if isinstance(kpis.get("bai"), dict):  # BAI arrived with scoring's extended KPIs
            await expect(page.get_by_test_id("kpi-bai")).to_have_text(nps_text(kpis["bai"]["score"]), timeout=WAIT_MS)
        await expect(page.locator('#mix-list [data-segment="nunca_mas"] b')).to_have_text(
            str(kpis["segments"]["nunca_mas"]), timeout=WAIT_MS
        )
        await expect(page.locator("#cases-body tr")).to_have_count(3, timeout=WAIT_MS)
        await expect(page.locator("#tp-bars .hbar")).to_have_count(3, timeout=WAIT_MS)
        await expect(page.locator("#trend-chart canvas").first).to_be_visible(timeout=WAIT_MS)

        # What the comments say: the emotion mix, the causes and the drivers are the API's.
        said = (await scoring.get("/v1/kpis/comments", params={"program": program})).json()
        assert said["analysed"] == 3
        for emotion, n in said["emotions"].items():
            await expect(page.locator(f'#emotion-list [data-emotion="{emotion}"] b')).to_have_text(
                str(n), timeout=WAIT_MS
            )
        for cause in said["causes"]:
            await expect(page.locator(f'#cause-list [data-cause="{cause["key"]}"] b')).to_have_text(
                str(cause["mentions"]), timeout=WAIT_MS
            )
        await expect(page.get_by_test_id("comments-card")).to_contain_text(
            say(lang, "comments.analysed", 3, n=3), timeout=WAIT_MS
        )
        # Every comment here names a cause: no emerging theme (the API agrees).
        assert (await scoring.get("/v1/kpis/themes", params={"program": program})).json()["themes"] == []
        await expect(page.get_by_test_id("themes")).to_have_text(say(lang, "themes.none"), timeout=WAIT_MS)

        # Live: a new response shows up without a reload (a happy customer: no alert, no case).
        happy = {"experience": 9, "worth": 9, "recommend": 10}
        body = response(f"r-{uid}-4", f"C-{uid}-4", program, happy, "web", None)
        assert await post(body)
        kpis = await poll(lambda: _kpis(scoring, program, 4), timeout=60, what="the 4th response scored")
        await expect(page.get_by_test_id("kpi-count")).to_have_text("4", timeout=WAIT_MS)
        await expect(page.get_by_test_id("kpi-iec")).to_have_text(
            decimal(lang, f"{kpis['iec']['mean']:.1f}"), timeout=WAIT_MS
        )
        await page.screenshot(path=shots / f"dashboard-desktop-{lang}.png", full_page=True)

        # Work a case from the page: open it, record the first contact with its cause.
        case = next(c for c in cases["items"] if c["customer_id"] == customers[0])
        await page.locator(f'#cases-body tr[data-case-id="{case["case_id"]}"]').click()
        panel = page.get_by_test_id("case-panel")
        await expect(panel).to_be_visible(timeout=WAIT_MS)
        await expect(panel.get_by_test_id("case-status")).to_have_text(say(lang, "status.open"), timeout=WAIT_MS)
        # The comment, with the words that made the suggestion marked; the agent confirms it.
        await expect(panel.get_by_test_id("case-comment").locator('mark[data-cause="responsiveness"]')).to_have_text(
            "devolvió la llamada", timeout=WAIT_MS
        )
        # Contacted without a cause: the API's problem, in the page's language (Accept-Language).
        await panel.locator('button[data-action="contacted"]').click()
        refused = {
            "en": "records the cause found with the customer",
            "es": "registra la causa encontrada con el cliente",
        }
        await expect(panel.get_by_test_id("action-error")).to_contain_text(refused[lang], timeout=WAIT_MS)
        await panel.get_by_test_id("suggested-causes").locator('[data-cause="responsiveness"]').click()
        cause = f"Factura duplicada {uid}"
        await panel.get_by_test_id("cause-input").fill(cause)
        await panel.locator('button[data-action="contacted"]').click()
        await expect(panel.get_by_test_id("case-status")).to_have_text(say(lang, "status.contacted"), timeout=WAIT_MS)
        await expect(panel.get_by_test_id("timeline")).to_contain_text(cause, timeout=WAIT_MS)
        await page.screenshot(path=shots / f"case-panel-{lang}.png")

        moved = (await casework.get(f"/v1/cases/{case['case_id']}")).json()
        assert moved["status"] == "contacted" and moved["cause"] == cause
        assert (moved["cause_key"], moved["suggestion_kept"]) == ("responsiveness", True)
        last = moved["timeline"][-1]
        assert (last["from"], last["to"], last["cause"]) == ("open", "contacted", cause)
        assert last["by"].startswith("manager:")
        # The agent kept the analysis's suggestion: the case KPIs say so (read every few ticks).
        await expect(page.get_by_test_id("suggestion-kept")).to_contain_text(
            f"({say(lang, 'common.nOfTotal', n=1, total=1)})", timeout=WAIT_MS
        )
        # The queue follows: the row shows the new state.
        row = page.locator(f'#cases-body tr[data-case-id="{case["case_id"]}"]')
        await expect(row.get_by_test_id("status")).to_have_text(say(lang, "status.contacted"), timeout=WAIT_MS)

        if lang == "es":
            # Everything on screen (the case panel open over the dashboard) is Spanish...
            spanish = await on_screen(page)
            assert len(spanish) > 80, spanish
            assert untranslated(spanish) == [], untranslated(spanish)
            # ...and the switch to English (in the top bar, under the panel) sticks: redrawn at once,
            # kept across a reload.
            await page.locator("#panel-close").click()
            await page.get_by_test_id("lang-en").click()
            await expect(page.locator("html")).to_have_attribute("lang", "en", timeout=WAIT_MS)
            await expect(row.get_by_test_id("status")).to_have_text(say("en", "status.contacted"), timeout=WAIT_MS)
            await row.click()
            await expect(panel.get_by_test_id("case-status")).to_have_text(
                say("en", "status.contacted"), timeout=WAIT_MS
            )
            await expect(page.get_by_test_id("comments-card")).to_contain_text(
                say("en", "comments.analysed", 3, n=3), timeout=WAIT_MS
            )
            await expect(page.get_by_test_id("kpi-iec")).to_have_text(f"{kpis['iec']['mean']:.1f}", timeout=WAIT_MS)
            # Whatever both languages show alike is data (names, ids, figures) or on the list above.
            both = sorted(t for t in set(spanish) & set(await on_screen(page)) if not neutral(t))
            assert both == [], both
            assert await page.evaluate("localStorage.getItem('lazo.lang')") == "en"
            await page.reload()
            await expect(page.locator("html")).to_have_attribute("lang", "en", timeout=WAIT_MS)
            await expect(page.get_by_test_id("lang-en")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
            await expect(page.locator("#trend-title")).to_have_text(say("en", "trend.title"), timeout=WAIT_MS)
            # Back to Spanish (its longer words must fit the phone too): everything is redrawn.
            await page.get_by_test_id("lang-es").click()
            await expect(page.locator("#kpi-count-note")).to_have_text(
                say("es", "kpi.scoredResponses"), timeout=WAIT_MS
            )
            left: list[str] = ["(not looked at yet)"]

            async def all_spanish() -> bool:
                left[:] = untranslated(await on_screen(page))
                return not left

            try:
                await poll(all_spanish, timeout=WAIT_MS / 1000, interval=0.5, what="the page redrawn in Spanish")
            except AssertionError:
                raise AssertionError(f"still English after the switch back: {left}") from None

        # A phone: one column, nothing wider than the screen.
        if await page.locator("#panel").is_visible():
            await page.locator("#panel-close").click()
        await page.set_viewport_size({"width": 390, "height": 844})
        await expect(page.get_by_test_id("kpi-count")).to_have_text("4", timeout=WAIT_MS)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen: {await too_wide(page, 390)}"
        await page.screenshot(path=shots / f"dashboard-phone-{lang}.png", full_page=True)

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
    page = await browser.new_page(locale="en-US")
    await page.goto(f"{system.url('casework')}/dashboard/")
    await page.get_by_test_id("key-input").fill("not-a-key")
    await page.get_by_test_id("key-submit").click()
    await expect(page.locator("#key-error")).to_have_text("That key is not valid.", timeout=WAIT_MS)
    await expect(page.locator("#main")).to_be_hidden()
    # The key gate has its own ES | EN (the top bar is behind it).
    await page.get_by_test_id("gate-lang-es").click()
    await expect(page.get_by_test_id("key-submit")).to_have_text(say("es", "key.open"), timeout=WAIT_MS)
    await page.get_by_test_id("key-submit").click()
    await expect(page.locator("#key-error")).to_have_text(say("es", "key.invalid"), timeout=WAIT_MS)
    await page.close()


# Every text a person reads on screen: text nodes, placeholders, titles, labels, the select's
# options, the tab's title. Data is marked translate="no" (customer names, comments, ids) and skipped.
ON_SCREEN = """() => {
  const out = [document.title];
  const shown = (el) => el && !el.closest('[translate="no"]') && (el.tagName === "OPTION"
    ? shown(el.closest("select")) : el.checkVisibility({ visibilityProperty: true }));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const tag = n.parentElement && n.parentElement.tagName;
    if (tag !== "SCRIPT" && tag !== "STYLE" && shown(n.parentElement)) out.push(n.textContent);
  }
  for (const el of document.querySelectorAll("[placeholder],[title],[aria-label],[alt]")) {
    if (!shown(el)) continue;
    for (const a of ["placeholder", "title", "aria-label", "alt"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  for (const o of document.querySelectorAll("option")) if (shown(o)) out.push(o.textContent);
  return out.map((t) => t.replace(/\\s+/g, " ").trim()).filter((t) => /\\p{L}/u.test(t));
}"""


async def on_screen(page) -> list[str]:
    return await page.evaluate(ON_SCREEN)


def neutral(text: str) -> bool:
    """Nothing but figures, punctuation and the words both languages share (SAME_IN_BOTH)."""
    return all(word in SAME_IN_BOTH for word in re.findall(r"[^\W\d_]+", text))


def _patterns(lang: str, key: str) -> list[re.Pattern]:
    entry = CATALOGUE[lang][key]
    return [
        re.compile(".+".join(re.escape(part) for part in re.split(r"\{\w+\}", text)))
        for text in (entry.values() if isinstance(entry, dict) else [entry])
    ]


def untranslated(texts: list[str]) -> list[str]:
    """What reads as the English catalogue: an entry as it is, or an entry's template filled in
    (and not the Spanish one: "{n} + {control} control" and "{n} + {control} de control" share a
    word). Text joined with " · " is looked at part by part too."""
    keys = [k for k, v in CATALOGUE["en"].items() if v != CATALOGUE["es"][k]]
    english = {k: _patterns("en", k) for k in keys}
    spanish = {k: _patterns("es", k) for k in keys}

    def english_only(text: str) -> bool:
        return any(
            any(p.fullmatch(text) for p in english[k]) and not any(p.fullmatch(text) for p in spanish[k]) for k in keys
        )

    return sorted(
        {t for t in texts for part in {t, *t.split(" · ")} if not neutral(part) and english_only(part.strip())}
    )


async def too_wide(page, width: int) -> list[str]:
    return await page.evaluate(
        """(w) => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > w + 0.5 && el.checkVisibility())
      .slice(0, 8).map((el) => `${el.tagName}#${el.id}.${el.className}: ${el.textContent.slice(0, 60)}`)""",
        width,
    )


async def _kpis(client, program: str, count: int) -> dict | None:
    body = (await client.get("/v1/kpis", params={"program": program})).json()
    return body if body.get("count") == count else None


async def _cases(client, program: str, count: int) -> dict | None:
    body = (await client.get("/v1/cases", params={"program": program})).json()
    return body if body.get("total") == count else None
