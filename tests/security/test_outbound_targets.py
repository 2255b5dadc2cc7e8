"""Lazo calls only where it should (SSRF), through the public doors.

A system of its own runs with `LAZO_ALLOW_PRIVATE_TARGETS=false` (the production default): inward
and metadata targets are refused at the edge, and a stored target that now resolves inward is
refused at connect time. The shared system (private targets allowed, for its local receivers)
shows that redirects are not followed, long answers are not read, platform API base URLs are
held to the platform's hosts, and a fetched answer that is not the platform's document is never
kept where an admin could read it back.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from shared.events import Topic
from tests.harness import KEYS, System
from tests.security.test_secrets_at_rest import stored_subscription_secret
from tests.support import poll, raw_producer
from tests.test_alerts import RAISED, score
from tests.test_outbound_client import MiB, Server, ok, stream
from tests.test_webhooks import quarantined
from tests.test_webhooks_fetch import QUALTRICS_MAPPING, qualtrics_body

SECRET = "contact-centre-secret-0123456789"


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """ingest and alerts with private targets refused. Before alerts is made strict, one subscription
    is stored for a local receiver by name (`localhost`): the kind of target that passed the edge but
    resolves inward at connect time."""
    receiver = Server(ok)
    system = System(
        tmp_path_factory.mktemp("strict"),
        services=("ingest", "alerts"),
        extra_env={"LAZO_ALLOW_PRIVATE_TARGETS": "false"},
        service_env={"alerts": {"LAZO_ALLOW_PRIVATE_TARGETS": "true"}},
    )
    try:
        program = f"stale-{uuid.uuid4().hex[:8]}"
        r = httpx.post(
            f"{system.url('alerts')}/v1/subscriptions",
            headers={"Authorization": f"Bearer {KEYS['admin']}"},
            json={"url": receiver.url("localhost"), "secret": SECRET, "event_types": [RAISED], "programs": [program]},
            timeout=15,
        )
        assert r.status_code == 201, r.text
        system["alerts"].env["LAZO_ALLOW_PRIVATE_TARGETS"] = "false"
        system["alerts"].restart()
        system.stale = (r.json()["id"], program, receiver)
        yield system
    finally:
        system.close()
        receiver.close()


async def deliveries(client, sub: str) -> list[dict]:
    r = await client.get(f"/v1/subscriptions/{sub}/deliveries", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def produce(system, *envelopes) -> None:
    producer = await raw_producer(system.broker.bootstrap)
    try:
        for e in envelopes:
            await (await producer.send(Topic.SCORES, value=e.to_bytes(), key=e.key))
    finally:
        await producer.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://127.0.0.1:8003/v1/alerts",
        "http://10.0.0.8/hook",
        "http://172.20.1.1/hook",
        "http://192.168.1.20:8080/hook",
        "http://100.64.0.1/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0:8001/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8001/v1/responses",
        "http://api.localhost/hook",
        "http://intranet/hook",
        "http://localtest.me:8003/",  # public DNS answering 127.0.0.1
        "http://127.0.0.1.nip.io/",
    ],
)
async def test_subscribing_an_inward_or_metadata_target_is_refused(strict, url):
    async with strict.client("alerts", "manager") as m:
        r = await m.post("/v1/subscriptions", json={"url": url, "secret": SECRET, "event_types": [RAISED]})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert [e["field"] for e in r.json()["errors"]] == ["url"]
        assert url not in json.dumps((await m.get("/v1/subscriptions")).json())


async def test_an_internet_target_is_accepted_even_when_its_name_does_not_resolve_yet(strict):
    async with strict.client("alerts", "manager") as m:
        r = await m.post(
            "/v1/subscriptions", json={"url": "https://cc.example.com/lazo", "secret": SECRET, "event_types": [RAISED]}
        )
        assert r.status_code == 201, r.text
        assert (await m.delete(f"/v1/subscriptions/{r.json()['id']}")).status_code == 204


async def test_a_stored_target_that_points_inward_is_refused_at_connect_and_nothing_is_sent(strict, uid):
    """(A name whose DNS answer turns inward later is refused the same way: tests/test_outbound_client.py.)"""
    sub, program, receiver = strict.stale
    await produce(strict, score(f"r-{uid}", f"C-{uid}", program, 2.0, comment="nada"))
    async with strict.client("alerts", "manager") as m:

        async def failed():
            items = await deliveries(m, sub)
            return items if items and items[0]["status"] == "failed" else None

        [delivery] = await poll(failed, timeout=60, interval=0.2, what="the delivery to fail")
    [attempt] = delivery["attempts"]  # a refused target is not retried
    assert attempt["status_code"] is None and attempt["next_attempt_at"] is None
    assert attempt["error"].startswith("refused: localhost"), attempt
    assert receiver.requests == []


async def test_a_local_platform_api_is_refused_without_the_setting(strict, uid):
    creds = {"shared_key": f"shared-key-{uid}", "api_token": f"api-token-{uid}"}
    async with strict.client("ingest", "admin") as admin:
        for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://169.254.169.254", "http://10.0.0.1"):
            r = await admin.post(
                "/v1/sources",
                json={"platform": "qualtrics", "credentials": creds, "mapping": QUALTRICS_MAPPING, "api_base_url": url},
            )
            assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["api_base_url"], r.text


# --- on the shared system (private targets allowed for its local receivers) -------------------------


async def subscribed(system, url: str, program: str) -> str:
    async with system.client("alerts", "manager") as m:
        r = await m.post(
            "/v1/subscriptions", json={"url": url, "secret": SECRET, "event_types": [RAISED], "programs": [program]}
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


async def test_a_redirect_is_not_followed(system, uid):
    second = Server(ok)

    def redirect(handler):
        handler.send_response(307)
        handler.send_header("location", second.url())
        handler.send_header("content-length", "0")
        handler.end_headers()

    first = Server(redirect)
    program = f"redirect-{uid}"
    try:
        sub = await subscribed(system, first.url(), program)
        await produce(system, score(f"r-{uid}", f"C-{uid}", program, 2.0))
        async with system.client("alerts", "manager") as m:

            async def attempted():
                items = await deliveries(m, sub)
                return items if items and items[0]["attempts"] else None

            [delivery] = await poll(attempted, timeout=60, interval=0.2, what="a delivery attempt")
            assert (await m.delete(f"/v1/subscriptions/{sub}")).status_code == 204
    finally:
        first.close()
        second.close()
    attempt = delivery["attempts"][0]
    assert attempt["status_code"] == 307 and "redirect" in attempt["error"] and delivery["status"] != "delivered"
    assert first.requests and second.requests == []


async def test_a_48_mib_answer_from_a_contact_centre_is_not_read(system, uid):
    receiver = Server(stream(48 * MiB, declare=False))
    program = f"large-{uid}"
    try:
        sub = await subscribed(system, receiver.url(), program)
        await produce(system, score(f"r-{uid}", f"C-{uid}", program, 2.0))
        async with system.client("alerts", "manager") as m:

            async def delivered():
                items = await deliveries(m, sub)
                return items if items and items[0]["status"] == "delivered" else None

            [delivery] = await poll(delivered, timeout=60, interval=0.2, what="the delivery")
            assert (await m.delete(f"/v1/subscriptions/{sub}")).status_code == 204
        await poll(receiver.finished.is_set, timeout=30, what="the receiver to see the client leave")
    finally:
        receiver.close()
    assert delivery["attempts"][0]["status_code"] == 200
    assert receiver.sent < 48 * MiB  # alerts hung up long before the end


async def test_subscription_urls_with_credentials_and_short_secrets_are_refused(system):
    good = {"url": "https://cc.example.com/hook", "secret": SECRET, "event_types": [RAISED]}
    async with system.client("alerts", "manager") as m:
        for field, bad in [
            ("url", "https://user:pass@cc.example.com/hook"),
            ("url", "https://token@cc.example.com/"),
            ("url", "http://169.254.169.254/latest/meta-data/"),
            ("url", "http://metadata.google.internal/"),
            ("secret", "s" * 15),
        ]:
            r = await m.post("/v1/subscriptions", json={**good, field: bad})
            assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], (bad, r.text)


SM_CREDS = {"client_id": "sm-client", "client_secret": "sm-client-secret-0123", "access_token": "sm-token-0123456789"}


@pytest.mark.parametrize(
    "url",
    [
        "https://api.surveymonkey.com?",  # Lazo's fixed path would become a query string
        "https://api.surveymonkey.com/?next=http://169.254.169.254",
        "https://api.surveymonkey.com#",
        "https://api.surveymonkey.com/v3/surveys/1/..",
        "https://api.surveymonkey.com/anything",
        "https://evil.example.com",
        "https://api.surveymonkey.com.evil.example.com",
        "http://api.surveymonkey.com",
        "https://user:pass@api.surveymonkey.com",
        "http://169.254.169.254",
    ],
)
async def test_a_platform_api_base_url_is_the_platforms_own_origin(system, uid, url):
    body = {
        "platform": "surveymonkey",
        "credentials": SM_CREDS,
        "mapping": {"customer_id": "custom_variables.c"},
        "api_base_url": url,
    }
    async with system.client("ingest", "admin") as admin:
        r = await admin.post("/v1/sources", json=body)
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["api_base_url"], r.text
        r = await admin.post("/v1/sources", json={**body, "id": f"sm-{uid}", "api_base_url": None})
        assert r.status_code == 201, r.text
        r = await admin.put(f"/v1/sources/sm-{uid}", json={k: v for k, v in body.items() if k != "credentials"})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["api_base_url"], r.text


async def test_the_platforms_data_centres_are_accepted(system, uid):
    async with system.client("ingest", "admin") as admin:
        for n, url in enumerate(["https://api.eu.surveymonkey.com/", "https://api.surveymonkey.ca"]):
            r = await admin.post(
                "/v1/sources",
                json={
                    "id": f"smdc{n}-{uid}",
                    "platform": "surveymonkey",
                    "credentials": SM_CREDS,
                    "api_base_url": url,
                    "mapping": {"customer_id": "custom_variables.c"},
                },
            )
            assert r.status_code == 201 and r.json()["api_base_url"] == url.rstrip("/"), r.text
        r = await admin.post(
            "/v1/sources",
            json={
                "id": f"qdc-{uid}",
                "platform": "qualtrics",
                "api_base_url": "https://acme.fra1.qualtrics.com",
                "credentials": {"shared_key": f"shared-key-{uid}", "api_token": f"api-token-{uid}"},
                "mapping": QUALTRICS_MAPPING,
            },
        )
        assert r.status_code == 201, r.text


async def test_short_source_secrets_and_tokens_are_refused(system):
    async with system.client("ingest", "admin") as admin:
        for platform, creds, field in [
            ("typeform", {"secret": "s" * 15}, "credentials.secret"),
            ("generic", {"token": "t" * 8}, "credentials.token"),
            ("qualtrics", {"shared_key": "k" * 15, "api_token": "a" * 40}, "credentials.shared_key"),
        ]:
            r = await admin.post(
                "/v1/sources",
                json={
                    "platform": platform,
                    "credentials": creds,
                    "api_base_url": "https://fra1.qualtrics.com" if platform == "qualtrics" else None,
                    "mapping": {"customer_id": "c", "response_id": "r"},
                },
            )
            assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text
            assert "s" * 15 not in r.text and "k" * 15 not in r.text


async def test_a_fetched_answer_that_is_not_the_platforms_document_is_never_kept(system, uid):
    """The full-read SSRF: whatever a server answers in place of the platform's document cannot be
    read back through the quarantine."""
    marker = f"internal-only-{uid}"

    def foreign(handler):
        raw = json.dumps({"secrets": marker, "Code": "Success", "AccessKeyId": marker}).encode()
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    api = Server(foreign)
    creds = {"shared_key": f"shared-key-{uid}", "api_token": f"api-token-{uid}"}
    try:
        async with system.client("ingest", "admin") as admin:
            r = await admin.post(
                "/v1/sources",
                json={
                    "id": f"qf-{uid}",
                    "platform": "qualtrics",
                    "credentials": creds,
                    "api_base_url": f"http://127.0.0.1:{api.port}",
                    "mapping": QUALTRICS_MAPPING,
                },
            )
            assert r.status_code == 201, r.text
            r = await admin.post(
                f"/v1/webhooks/qualtrics/default?source=qf-{uid}",
                content=qualtrics_body(uid, creds["shared_key"]),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert r.status_code == 202, r.text
            [held] = await poll(lambda: quarantined(admin, f"qf-{uid}"), timeout=60, what="the refused answer")
            one = (await admin.get(f"/v1/quarantine/{held['id']}")).json()
    finally:
        api.close()
    assert api.requests == [f"/API/v3/surveys/SV_{uid}/responses/R_{uid}"]
    assert held["stage"] == "fetch" and "not the platform's document" in held["reason"]
    assert marker not in json.dumps(one) and set(one["document"]) == {"event"}


async def test_a_subscription_secret_is_sealed_at_rest_and_never_returned(system):
    secret = f"plain-{uuid.uuid4().hex}"
    async with system.client("alerts", "manager") as m:
        r = await m.post(
            "/v1/subscriptions",
            json={"url": "https://cc.example.com/sealed", "secret": secret, "event_types": [RAISED]},
        )
        assert r.status_code == 201
        sub = r.json()["id"]
        answers = [
            r.text,
            (await m.get(f"/v1/subscriptions/{sub}")).text,
            (await m.get("/v1/subscriptions")).text,
            (await m.get(f"/v1/subscriptions/{sub}/deliveries")).text,
        ]
        assert all(secret not in a for a in answers)
        stored = await stored_subscription_secret(system, sub)
        assert stored and secret not in stored and stored.startswith("gAAAA")  # a Fernet token
        assert (await m.delete(f"/v1/subscriptions/{sub}")).status_code == 204
