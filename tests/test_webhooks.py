"""Platform webhooks through ingest's HTTP door, with the real broker and database behind it:
sources, each platform's signature (valid, tampered, unsigned, replayed), mapping, quarantine, replay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from shared.events import EventType, Topic
from tests.support import poll

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"
WHSEC = "whsec_" + base64.b64encode(b"lazo-formbricks-test-signing-key").decode()


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def b64_hmac(key: bytes, body: bytes, digest=hashlib.sha256) -> str:
    return base64.b64encode(hmac.new(key, body, digest).digest()).decode()


def typeform_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"Typeform-Signature": "sha256=" + b64_hmac(secret.encode(), body), "content-type": "application/json"}


def tally_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"Tally-Signature": b64_hmac(secret.encode(), body), "content-type": "application/json"}


def formbricks_headers(body: bytes, at: float | None = None, msg_id: str = "msg_2p7Yx") -> dict[str, str]:
    ts = str(int(time.time() if at is None else at))
    signed = f"{msg_id}.{ts}.".encode() + body
    sig = base64.b64encode(hmac.new(base64.b64decode(WHSEC[6:]), signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": f"v1,{sig}",
        "content-type": "application/json",
    }


def typeform_payload(uid: str, customer: str, **hidden: str) -> dict:
    payload = load("typeform_form_response.json")
    payload["event_id"] = f"ev-{uid}"  # Typeform's id of the delivery: one per response here
    payload["form_response"]["token"] = f"tok-{uid}"
    payload["form_response"]["hidden"].update(customer_id=customer, **hidden)
    return payload


TYPEFORM_MAPPING = {
    "customer_id": "hidden.customer_id",
    "email": "hidden.email",
    "name": "hidden.name",
    "case_id": "hidden.case_id",
    "comment": "comment",
    "touchpoint": {"value": "web"},
    "answers": {
        "experience": "experience",
        "worth": "worth",
        "recommend": {"field": "recommend", "scale": {"min": 0, "max": 10}},
    },
}


async def create_source(client, platform: str, source_id: str, credentials: dict, mapping: dict, **extra) -> dict:
    r = await client.post(
        "/v1/sources",
        json={
            "id": source_id,
            "platform": platform,
            "program": "default",
            "credentials": credentials,
            "mapping": mapping,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def quarantined(client, source_id: str, status: str = "held") -> list[dict]:
    r = await client.get("/v1/quarantine", params={"source": source_id, "status": status})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_sources_are_admin_only_and_never_show_their_secrets(system, uid):
    secret = f"typeform-secret-{uid}"
    async with system.client("ingest", "admin") as admin:
        src = await create_source(admin, "typeform", f"tf-{uid}", {"secret": secret}, TYPEFORM_MAPPING, name="Web NPS")
        assert src["credentials"] == ["secret"]
        assert src["webhook_path"] == f"/v1/webhooks/typeform/default?source=tf-{uid}"
        assert secret not in json.dumps(src)
        got = (await admin.get(f"/v1/sources/tf-{uid}")).json()
        listed = (await admin.get("/v1/sources")).json()
        assert got == src and src in listed and secret not in json.dumps(listed)

        again = await admin.post(
            "/v1/sources",
            json={
                "id": f"tf-{uid}",
                "platform": "typeform",
                "credentials": {"secret": secret},
                "mapping": TYPEFORM_MAPPING,
            },
        )
        assert again.status_code == 409
        bad = await admin.post(
            "/v1/sources",
            json={
                "platform": "surveymonkey",
                "program": "nope",
                "credentials": {"client_id": "a"},
                "mapping": TYPEFORM_MAPPING,
            },
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in bad.json()["errors"]}
        assert {"credentials.client_secret", "credentials.access_token", "program"} <= fields
        bad = await admin.post(
            "/v1/sources",
            json={
                "platform": "typeform",
                "credentials": {"secret": "x"},
                "mapping": {"customer_id": {"field": "a", "value": "b"}},
            },
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("mapping.customer_id")

        # Changing the mapping keeps the secret: the old signature still verifies.
        app_mapping = {**TYPEFORM_MAPPING, "touchpoint": {"value": "app"}}
        changed = await admin.put(
            f"/v1/sources/tf-{uid}", json={"platform": "typeform", "program": "default", "mapping": app_mapping}
        )
        assert changed.status_code == 200 and changed.json()["mapping"]["touchpoint"] == {"value": "app"}
        body = body_of(typeform_payload(uid, f"C-{uid}"))
        r = await admin.post(
            f"/v1/webhooks/typeform/default?source=tf-{uid}", content=body, headers=typeform_headers(secret, body)
        )
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text

        assert (
            await admin.put(f"/v1/sources/tf-{uid}", json={"platform": "tally", "mapping": TYPEFORM_MAPPING})
        ).status_code == 422
        assert (await admin.delete(f"/v1/sources/tf-{uid}")).status_code == 204
        assert (await admin.get(f"/v1/sources/tf-{uid}")).status_code == 404
        r = await admin.post(
            f"/v1/webhooks/typeform/default?source=tf-{uid}", content=body, headers=typeform_headers(secret, body)
        )
        assert r.status_code == 404
    async with system.client("ingest", "ingest") as ingestor:
        assert (await ingestor.get("/v1/sources")).status_code == 403
        assert (await ingestor.get("/v1/quarantine")).status_code == 403
    async with system.client("ingest", None) as anon:
        assert (await anon.get("/v1/sources")).status_code == 401


async def test_typeform_valid_tampered_unsigned_and_replayed(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    secret = f"tf-secret-{uid}"
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "typeform", f"tf-{uid}", {"secret": secret}, TYPEFORM_MAPPING)
    url = f"/v1/webhooks/typeform/default?source=tf-{uid}"
    body = body_of(typeform_payload(uid, f"C-{uid}", case_id=f"case-{uid}"))
    async with system.client("ingest", None) as platform:  # webhooks carry no API key
        r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "accepted", "response_id": f"tf-{uid}:tok-{uid}"}
        [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tf-{uid}:tok-{uid}")
        assert event.id == f"tf-{uid}:tok-{uid}" and event.subject == f"C-{uid}"
        data = event.data
        assert data["answers"] == {"experience": 3, "worth": 4, "recommend": 5.5}
        assert data["customer"]["email"] == "ana@example.com" and data["comment"] == "Nadie me devolvió la llamada"
        assert (data["touchpoint"], data["case_id"], data["source"]) == ("web", f"case-{uid}", f"typeform/tf-{uid}")
        assert data["submitted_at"].startswith("2026-11-20T10:00:02")

        tampered = body.replace(b'"number": 3', b'"number": 9')
        for headers, content in [
            (typeform_headers(secret, body), tampered),
            ({}, body),
            (typeform_headers("another-secret", body), body),
        ]:
            r = await platform.post(url, content=content, headers=headers)
            assert r.status_code == 401, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert "signature" in r.json()["detail"].lower()

        # Typeform signs no timestamp: a replay (or Typeform's own retry) is known by its event id,
        # answered 200 "duplicate" (a platform must not retry it) and nothing is published again.
        r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "duplicate" and r.json()["response_id"] == f"tf-{uid}:tok-{uid}"
        # The customer's next response, behind the replay on the same partition: once it is on the
        # topic, anything the replay had published would be there too.
        later = body_of(typeform_payload(f"{uid}-2", f"C-{uid}"))
        r = await platform.post(url, content=later, headers=typeform_headers(secret, later))
        assert r.json() == {"status": "accepted", "response_id": f"tf-{uid}:tok-{uid}-2"}
        await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tf-{uid}:tok-{uid}-2")
        assert len(t.matching(EventType.RESPONSE_RECEIVED, response_id=f"tf-{uid}:tok-{uid}")) == 1
        assert not t.matching(
            EventType.RESPONSE_RECEIVED,
            answers={"experience": 9, "worth": 4, "recommend": 5.5},
            response_id=f"tf-{uid}:tok-{uid}",
        )

        # Without ?source= the programme's only Typeform source is used; with two, the URL must say which.
        async with system.client("ingest", "admin") as admin:
            await create_source(admin, "typeform", f"tf2-{uid}", {"secret": secret}, TYPEFORM_MAPPING)
        r = await platform.post("/v1/webhooks/typeform/default", content=body, headers=typeform_headers(secret, body))
        assert r.status_code == 409 and "?source=" in r.json()["detail"]
        assert (await platform.post(f"/v1/webhooks/nosuch/default?source=tf-{uid}", content=body)).status_code == 404
        assert (
            await platform.post(
                f"/v1/webhooks/typeform/other?source=tf-{uid}", content=body, headers=typeform_headers(secret, body)
            )
        ).status_code == 404
        r = await platform.post(
            url,
            content=body_of({"event_type": "form_partial_response"}),
            headers=typeform_headers(secret, body_of({"event_type": "form_partial_response"})),
        )
        assert r.status_code == 200 and r.json()["status"] == "ignored"


async def test_tally_signed_response(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    secret = f"tally-{uid}"
    mapping = {
        "customer_id": "customer_id",
        "touchpoint": "touchpoint",
        "email": "Email",
        "comment": "Anything else?",
        "answers": {"experience": "question_3E1Bvd", "worth": "question_w4Q6Ek", "recommend": "question_3jZaa3"},
    }
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "tally", f"tally-{uid}", {"secret": secret}, mapping)
    payload = load("tally_form_response.json")
    payload["data"]["responseId"] = f"resp-{uid}"
    payload["data"]["fields"][0]["value"] = f"C-{uid}"
    body = body_of(payload)
    async with system.client("ingest", None) as platform:
        url = f"/v1/webhooks/tally/default?source=tally-{uid}"
        assert (await platform.post(url, content=body)).status_code == 401
        tampered = body.replace(b'"value": 7', b'"value": 1')
        r = await platform.post(url, content=tampered, headers=tally_headers(secret, body))
        assert r.status_code == 401
        r = await platform.post(url, content=body, headers=tally_headers(secret, body))
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tally-{uid}:resp-{uid}")
    assert event.data["answers"] == {"experience": 7, "worth": 8, "recommend": 9}
    assert (event.data["customer"]["id"], event.data["touchpoint"]) == (f"C-{uid}", "billing")


async def test_formbricks_standard_webhooks_with_timestamp_tolerance(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    mapping = {
        "customer_id": "contact.userId",
        "email": "contactAttributes.email",
        "name": "contactAttributes.firstName",
        "touchpoint": "touchpoint",
        "case_id": "case_id",
        "comment": "txt9c3",
        "answers": {"experience": "exp8q1", "worth": "wrt4k7", "recommend": "nps2m5"},
    }
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "formbricks", f"fb-{uid}", {"secret": WHSEC}, mapping)
        bad = await admin.post(
            "/v1/sources", json={"platform": "formbricks", "credentials": {"secret": "plain"}, "mapping": mapping}
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "credentials.secret"
    payload = load("formbricks_response_finished.json")
    payload["data"]["id"] = f"resp-{uid}"
    payload["data"]["contact"]["userId"] = f"C-{uid}"
    body = body_of(payload)
    url = f"/v1/webhooks/formbricks/default?source=fb-{uid}"
    async with system.client("ingest", None) as platform:
        refused = {
            "unsigned": {"content-type": "application/json"},
            "tampered": formbricks_headers(body.replace(b'"exp8q1": 2', b'"exp8q1": 9')),
            "replayed out of tolerance": formbricks_headers(body, at=time.time() - 600),
            "from the future": formbricks_headers(body, at=time.time() + 600),
        }
        for name, headers in refused.items():
            r = await platform.post(url, content=body, headers=headers)
            assert r.status_code == 401, (name, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        r = await platform.post(url, content=body, headers=formbricks_headers(body))
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
        # Formbricks pings a webhook before saving it, before its secret is known to anyone but itself.
        r = await platform.post(f"/v1/webhooks/formbricks/default?source=not-yet-{uid}", json={"event": "testEndpoint"})
        assert r.status_code == 200 and r.json()["status"] == "ignored"
        created = body_of({**payload, "event": "responseCreated"})
        r = await platform.post(url, content=created, headers=formbricks_headers(created))
        assert r.status_code == 200 and r.json()["status"] == "ignored"
    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"fb-{uid}:resp-{uid}")
    assert event.data["answers"] == {"experience": 2, "worth": 3, "recommend": 4}
    assert (event.data["case_id"], event.data["customer"]["name"]) == ("case-77", "Ana")


GOOGLE_MAPPING = {
    "response_id": "response_id",
    "submitted_at": "submitted_at",
    "customer_id": 'answers["Customer number"]',
    "email": "respondent_email",
    "comment": 'answers["Anything else?"]',
    "touchpoint": {"value": "shop"},
    "answers": {
        "experience": 'answers["Do I remember my contacts with the company as positive experiences?"]',
        "worth": 'answers["Is it worth being a customer of the company?"]',
        "recommend": 'answers["Would I recommend the company to a colleague or friend?"]',
    },
}


async def test_generic_json_with_a_token_or_an_hmac(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    async with system.client("ingest", "admin") as admin:
        src = await create_source(admin, "generic", f"gf-{uid}", {"token": f"token-gf-{uid}"}, GOOGLE_MAPPING)
        assert f"token-gf-{uid}" not in json.dumps(src)
        await create_source(admin, "generic", f"gh-{uid}", {"secret": f"hmac-secret-{uid}"}, GOOGLE_MAPPING)
        no_id = await admin.post(
            "/v1/sources",
            json={"platform": "generic", "credentials": {"token": "t" * 16}, "mapping": {"customer_id": "a"}},
        )
        assert no_id.status_code == 422 and no_id.json()["errors"][0]["field"] == "mapping.response_id"
    payload = load("generic_google_forms.json")
    payload["response_id"] = f"g-{uid}"
    payload["answers"]["Customer number"] = f"C-{uid}"
    body = body_of(payload)
    async with system.client("ingest", None) as platform:
        url = f"/v1/webhooks/generic/default?source=gf-{uid}"
        assert (await platform.post(url, content=body, headers={"X-Lazo-Token": "wrong"})).status_code == 401
        assert (await platform.post(url, content=body)).status_code == 401
        r = await platform.post(url, content=body, headers={"X-Lazo-Token": f"token-gf-{uid}"})
        assert r.status_code == 200 and r.json()["response_id"] == f"gf-{uid}:g-{uid}", r.text

        url = f"/v1/webhooks/generic/default?source=gh-{uid}"
        sig = "sha256=" + hmac.new(f"hmac-secret-{uid}".encode(), body, hashlib.sha256).hexdigest()
        assert (await platform.post(url, content=body + b" ", headers={"X-Lazo-Signature": sig})).status_code == 401
        r = await platform.post(url, content=body, headers={"X-Lazo-Signature": sig})
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text

        # Correctly signed but not JSON: kept as received, with the reason.
        junk = b"answers=not-json"
        sig = "sha256=" + hmac.new(f"hmac-secret-{uid}".encode(), junk, hashlib.sha256).hexdigest()
        r = await platform.post(url, content=junk, headers={"X-Lazo-Signature": sig})
        assert r.status_code == 200 and r.json()["status"] == "quarantined"
    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"gf-{uid}:g-{uid}")
    assert event.data["answers"] == {"experience": 6, "worth": 7, "recommend": 8}
    assert event.data["submitted_at"].startswith("2026-11-20T10:02:11")
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"gh-{uid}:g-{uid}")
    async with system.client("ingest", "admin") as admin:
        [held] = await quarantined(admin, f"gh-{uid}")
        assert held["stage"] == "payload" and "not JSON" in held["reason"]
        assert (await admin.get(f"/v1/quarantine/{held['id']}")).json()["document"] == "answers=not-json"
        r = await admin.post(f"/v1/quarantine/{held['id']}:replay")
        assert r.status_code == 422 and "not JSON" in r.json()["detail"]


async def test_mapping_errors_are_quarantined_then_replayed_after_the_fix(system, tap, uid):
    t = await tap(Topic.RESPONSES)
    secret = f"tf-q-secret-{uid}"
    broken = {
        **TYPEFORM_MAPPING,
        "customer_id": "hidden.client_id",
        "answers": {"experience": "channel", "worth": "worth", "recommend": "recommend"},
    }
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "typeform", f"tfq-{uid}", {"secret": secret}, broken)
        payload = typeform_payload(uid, f"C-{uid}")
        body = body_of(payload)
        url = f"/v1/webhooks/typeform/default?source=tfq-{uid}"
        async with system.client("ingest", None) as platform:
            r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
            assert r.status_code == 200, r.text  # kept: the platform must not retry what only a fix can solve
            out = r.json()
            assert out["status"] == "quarantined"
            fields = {e["field"]: e for e in out["errors"]}
            assert fields["customer.id"]["path"] == "hidden.client_id"
            assert fields["answers.experience"]["path"] == "form_response.answers[5]"
            # The platform retries: a duplicate of the same entry, which it leaves as it was.
            r = await platform.post(url, content=body, headers=typeform_headers(secret, body))
            assert r.json()["status"] == "duplicate" and r.json()["quarantine_id"] == out["quarantine_id"]

        [held] = await quarantined(admin, f"tfq-{uid}")
        assert (held["id"], held["stage"], held["deliveries"], held["delivery_key"]) == (
            out["quarantine_id"],
            "mapping",
            1,
            f"tok-{uid}",
        )
        assert "customer.id" in held["reason"]
        one = (await admin.get(f"/v1/quarantine/{held['id']}")).json()
        assert one["document"]["form_response"]["token"] == f"tok-{uid}"

        r = await admin.post(f"/v1/sources/tfq-{uid}:dry-run", json=payload)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert {"customer.id", "answers.experience"} == {e["field"] for e in r.json()["errors"]}
        r = await admin.post(f"/v1/quarantine/{held['id']}:replay")
        assert r.status_code == 422  # still broken: it stays held

        fixed = {
            **TYPEFORM_MAPPING,
            "answers": {"experience": "experience", "worth": "worth", "recommend": "recommend"},
        }
        r = await admin.put(f"/v1/sources/tfq-{uid}", json={"platform": "typeform", "mapping": fixed})
        assert r.status_code == 200, r.text
        r = await admin.post(f"/v1/sources/tfq-{uid}:dry-run", json=payload)
        assert r.status_code == 200, r.text
        assert r.json()["response"]["answers"] == {"experience": 3, "worth": 4, "recommend": 5}
        assert r.json()["response"]["response_id"] == f"tfq-{uid}:tok-{uid}"
        assert not t.matching(EventType.RESPONSE_RECEIVED, response_id=f"tfq-{uid}:tok-{uid}")  # dry: nothing published

        r = await admin.post(f"/v1/quarantine/{held['id']}:replay")
        assert r.status_code == 200 and r.json() == {"status": "accepted", "response_id": f"tfq-{uid}:tok-{uid}"}
        [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"tfq-{uid}:tok-{uid}")
        assert event.data["customer"]["id"] == f"C-{uid}"
        assert (await admin.post(f"/v1/quarantine/{held['id']}:replay")).status_code == 409
        assert await quarantined(admin, f"tfq-{uid}") == []
        [done] = await quarantined(admin, f"tfq-{uid}", "replayed")
        assert done["response_id"] == f"tfq-{uid}:tok-{uid}" and done["replayed_by"].startswith("admin:")
        assert (await admin.post("/v1/quarantine/q-nosuch:replay")).status_code == 404


async def test_answers_outside_the_programmes_scale_are_quarantined(system, uid):
    secret = f"tf-s-secret-{uid}"
    mapping = {**TYPEFORM_MAPPING, "answers": {"experience": "experience", "worth": "worth", "recommend": "recommend"}}
    payload = typeform_payload(uid, f"C-{uid}")
    payload["form_response"]["answers"][2]["number"] = 0  # an NPS 0 on a 1–10 question, with no platform scale
    body = body_of(payload)
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "typeform", f"tfs-{uid}", {"secret": secret}, mapping)
        r = await admin.post(
            f"/v1/webhooks/typeform/default?source=tfs-{uid}", content=body, headers=typeform_headers(secret, body)
        )
        assert r.json()["status"] == "quarantined"
        [err] = r.json()["errors"]
        assert (err["field"], err["path"]) == ("answers.recommend", "recommend") and "scale" in err["message"]

        async def listed():
            return await quarantined(admin, f"tfs-{uid}")

        assert (await poll(listed))[0]["errors"] == [err]


async def test_surveymonkey_subscription_check_and_unknown_routes(system):
    async with system.client("ingest", None) as platform:
        assert (await platform.head("/v1/webhooks/surveymonkey/default")).status_code == 200
        assert (await platform.head("/v1/webhooks/nosuch/default")).status_code == 404
        r = await platform.post("/v1/webhooks/typeform/default?source=no-such-source", content=b"{}")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
