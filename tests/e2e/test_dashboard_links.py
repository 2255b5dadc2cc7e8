"""The dashboard's ways in and out, in headless Chromium: a Slack or Teams alert's "Open the case"
link (`/dashboard/#alert=<alert_id>`) opens that case (an alert no case has taken yet says so and
opens once one does), and the programme in view downloads as CSV (responses, cases) for managers."""

from __future__ import annotations

from shared.events import Topic
from tests.e2e.test_dashboard import WAIT_MS, browser, expect, pytestmark  # noqa: F401  (fixture, marks)
from tests.harness import KEYS
from tests.support import poll, raw_producer
from tests.test_alerts import score


async def test_a_chat_alerts_link_opens_its_case(system, browser, uid):  # noqa: F811
    customer, program = f"C-link-{uid}", f"link-{uid}"
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{system.url('casework')}/dashboard/#alert=not-taken-{uid}")
    await page.get_by_test_id("key-input").fill(KEYS["agent"])
    await page.get_by_test_id("key-submit").click()
    await expect(page.get_by_test_id("linked-waiting")).to_be_visible(timeout=WAIT_MS)

    producer = await raw_producer(system.broker.bootstrap)
    try:
        event = score(f"r-link-{uid}", customer, program, 2.0, comment="No funciona")
        await (await producer.send(Topic.SCORES, value=event.to_bytes(), key=event.key))
    finally:
        await producer.stop()
    async with system.client("alerts", "agent") as alerts, system.client("casework", "agent") as casework:

        async def alert_id():
            items = (await alerts.get("/v1/alerts", params={"customer_id": customer})).json()["items"]
            return items and items[0]["alert_id"]

        taken = await poll(alert_id, timeout=60, what="the alert")

        async def case():
            items = (await casework.get("/v1/cases", params={"alert_id": taken})).json()["items"]
            return items and items[0]

        opened = await poll(case, timeout=60, what="the case of the alert")
        assert opened["customer_id"] == customer
        other = (await casework.get("/v1/cases", params={"alert_id": f"not-taken-{uid}"})).json()
        assert other["total"] == 0

    await page.evaluate(f"location.hash = '#alert={taken}'")
    await expect(page.locator("#panel-sub")).to_contain_text(opened["case_id"], timeout=WAIT_MS)
    await expect(page.locator("#panel-sub")).to_contain_text(customer)
    assert errors == [], errors
    await page.close()


async def test_the_programme_in_view_downloads_as_csv_for_managers_only(system, browser, uid):  # noqa: F811
    customer, rid = f"C-dl-{uid}", f"r-dl-{uid}"
    async with system.client("ingest", "ingest") as ingest, system.client("casework", "agent") as casework:
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": rid,
                "customer": {"id": customer, "name": "Descarga"},
                "touchpoint": "web",
                "answers": {"experience": 2, "worth": 2, "recommend": 3},
                "comment": "La web no funciona",
            },
        )
        assert r.status_code == 202, r.text

        async def case():
            return (await casework.get("/v1/cases", params={"customer_id": customer})).json()["items"]

        await poll(case, timeout=60, what="the response scored and its case opened")

    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"{system.url('casework')}/dashboard/")
    await page.get_by_test_id("key-input").fill(KEYS["manager"])
    await page.get_by_test_id("key-submit").click()
    for button, wanted, name in (
        ("export-responses", rid, "lazo-responses.csv"),
        ("export-cases", customer, "lazo-cases.csv"),
    ):
        async with page.expect_download(timeout=WAIT_MS) as info:
            await page.get_by_test_id(button).click()
        download = await info.value
        assert download.suggested_filename == name
        text = open(await download.path(), encoding="utf-8").read()
        assert text.startswith(("response_id,", "case_id,")) and wanted in text, text[:300]
    await expect(page.get_by_test_id("export-status")).to_have_text("")
    await context.close()

    page = await browser.new_page()
    await page.goto(f"{system.url('casework')}/dashboard/")
    await page.get_by_test_id("key-input").fill(KEYS["agent"])
    await page.get_by_test_id("key-submit").click()
    await page.get_by_test_id("export-cases").click()
    await expect(page.get_by_test_id("export-status")).to_have_text("Exports need a manager key.", timeout=WAIT_MS)
    await page.close()
