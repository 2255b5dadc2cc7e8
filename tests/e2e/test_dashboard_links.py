"""A Slack or Teams alert's "Open the case" link (`/dashboard/#alert=<alert_id>`) opens that case in
the dashboard, in headless Chromium; an alert no case has taken yet says so and opens once one does."""

from __future__ import annotations

from tests.e2e.test_dashboard import WAIT_MS, browser, expect, pytestmark  # noqa: F401  (fixture, marks)
from tests.harness import KEYS
from tests.support import poll, raw_producer
from tests.test_alerts import score
from shared.events import Topic


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
