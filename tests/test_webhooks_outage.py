"""A broker outage does not lose, nor delay the acknowledgement of, a correctly signed webhook: it is
committed to ingest's outbox and published once the broker is back."""

from __future__ import annotations

import pytest

from shared.events import EventType, Topic
from tests.test_webhooks import TYPEFORM_MAPPING, body_of, create_source, typeform_headers, typeform_payload


@pytest.mark.slow
async def test_webhooks_are_acknowledged_during_a_broker_outage_and_published_after(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    secret = f"tf-out-{uid}"
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "typeform", f"tfo-{uid}", {"secret": secret}, TYPEFORM_MAPPING)
    body = body_of(typeform_payload(uid, f"C-{uid}"))
    async with system.client("ingest", None) as platform:
        system.broker.pause()
        try:
            r = await platform.post(
                f"/v1/webhooks/typeform/default?source=tfo-{uid}",
                content=body,
                headers=typeform_headers(secret, body),
                timeout=30,
            )
            assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
        finally:
            system.broker.resume()
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tfo-{uid}:tok-{uid}", timeout=90)
