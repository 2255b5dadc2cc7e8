"""SurveyMonkey and Qualtrics: the webhook names the response, ingest acknowledges and fetches the
answers from the platform's API. The APIs are a local HTTP server serving their documented formats;
the fetch code is the real one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from shared.events import EventType, Topic
from tests.support import poll
from tests.test_webhooks import create_source, load, quarantined


class PlatformApi:
    """SurveyMonkey's `/v3/...` and Qualtrics' `/API/v3/...` for the responses the test puts here."""

    def __init__(self):
        self.documents: dict[str, object] = {}  # path -> JSON body
        self.tokens: dict[str, str] = {}  # path prefix -> the token it wants in its auth header
        self.failures: dict[str, list[int]] = {}  # path -> statuses to answer first, one per request
        self.requests: list[tuple[str, dict]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                headers = {k.lower(): v for k, v in self.headers.items()}
                api.requests.append((self.path, headers))
                status, body = api.answer(self.path, headers)
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, headers: dict) -> tuple[int, object]:
        queued = self.failures.get(path)
        if queued:
            return queued.pop(0), {"error": {"message": "try again"}}
        if path.startswith("/API/"):
            if headers.get("x-api-token") != self.tokens.get("qualtrics"):
                return 401, {"meta": {"httpStatus": "401 - Unauthorized", "error": {"errorMessage": "bad token"}}}
        elif headers.get("authorization") != f"Bearer {self.tokens.get('surveymonkey')}":
            return 401, {"error": {"id": "1011", "name": "Authorization Error", "http_status_code": 401}}
        if path not in self.documents:
            return 404, {"error": {"http_status_code": 404, "name": "Resource Not Found"}}
        return 200, self.documents[path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = PlatformApi()
    yield server
    server.close()


SM_MAPPING = {
    "customer_id": "custom_variables.customer_id",
    "touchpoint": "custom_variables.touchpoint",
    "email": "contact.email",
    "name": "contact.first_name",
    "comment": "667461693",
    "answers": {
        "experience": "667461690",
        "worth": "667461691",
        "recommend": {"field": "667461692", "scale": {"min": 0, "max": 10}},
    },
}
SM_TYPE = "application/vnd.surveymonkey.response.v1+json"


def sm_event(uid: str, n: int = 1, event_type: str = "response_completed") -> dict:
    event = load("surveymonkey_response_completed.json")
    event.update(event_type=event_type, object_id=f"9{n}{uid}", event_id=f"ev-{n}-{uid}")
    event["resources"].update(respondent_id=f"9{n}{uid}", survey_id=f"S{uid}")
    return event


def sm_serve(api: PlatformApi, uid: str, n: int = 1) -> str:
    """Put a response (and the survey) on the fake API; returns the response id."""
    rid = f"9{n}{uid}"
    details = load("surveymonkey_response_details.json")
    details.update(id=rid, survey_id=f"S{uid}")
    details["custom_variables"]["customer_id"] = f"C-{uid}"
    api.documents[f"/v3/surveys/S{uid}/responses/{rid}/details"] = details
    api.documents[f"/v3/surveys/S{uid}/details"] = {**load("surveymonkey_survey_details.json"), "id": f"S{uid}"}
    return rid


def sm_headers(client_id: str, client_secret: str, body: bytes) -> dict[str, str]:
    sig = hmac.new(f"{client_id}&{client_secret}".encode(), body, hashlib.sha1).digest()
    return {"content-type": SM_TYPE, "Sm-Apikey": client_id, "Sm-Signature": base64.b64encode(sig).decode()}


async def test_surveymonkey_acknowledges_then_fetches_the_answers(system, tap, api, uid):
    t = await tap(Topic.RESPONSES)
    creds = {"client_id": f"cid-{uid}", "client_secret": f"csecret-{uid}", "access_token": f"token-{uid}"}
    api.tokens["surveymonkey"] = creds["access_token"]
    async with system.client("ingest", "admin") as admin:
        src = await create_source(admin, "surveymonkey", f"sm-{uid}", creds, SM_MAPPING, api_base_url=api.url)
        assert set(src["credentials"]) == set(creds) and creds["access_token"] not in json.dumps(src)
    rid = sm_serve(api, uid)
    api.failures[f"/v3/surveys/S{uid}/responses/{rid}/details"] = [503]  # a hiccup: retried with backoff
    body = json.dumps(sm_event(uid)).encode()
    url = f"/v1/webhooks/surveymonkey/default?source=sm-{uid}"
    async with system.client("ingest", None) as platform:
        assert (await platform.head(url)).status_code == 200  # SurveyMonkey checks the URL first
        assert (await platform.post(url, content=body, headers={"content-type": SM_TYPE})).status_code == 401
        bad = sm_headers(creds["client_id"], "wrong-secret", body)
        assert (await platform.post(url, content=body, headers=bad)).status_code == 401
        tampered = body.replace(rid.encode(), b"1")
        signed = sm_headers(creds["client_id"], creds["client_secret"], body)
        r = await platform.post(url, content=tampered, headers=signed)
        assert r.status_code == 401
        r = await platform.post(url, content=body, headers=signed)
        assert r.status_code == 202 and r.json() == {"status": "fetching"}, r.text
        updated = json.dumps(sm_event(uid, 2, "response_updated")).encode()
        r = await platform.post(
            url, content=updated, headers=sm_headers(creds["client_id"], creds["client_secret"], updated)
        )
        assert r.status_code == 200 and r.json()["status"] == "ignored"

    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"sm-{uid}:{rid}", timeout=60)
    assert event.data["answers"] == {"experience": 3, "worth": 5, "recommend": 3.7}
    assert (event.data["customer"]["id"], event.data["customer"]["email"], event.data["touchpoint"]) == (
        f"C-{uid}",
        "ana@example.com",
        "support",
    )
    assert event.data["comment"] == "Tardaron una semana en contestar"
    fetched = [h for p, h in api.requests if p == f"/v3/surveys/S{uid}/responses/{rid}/details"]
    assert len(fetched) == 2 and all(h["authorization"] == f"Bearer token-{uid}" for h in fetched)


async def test_surveymonkey_mapping_error_is_replayed_from_the_fetched_response(system, tap, api, uid):
    t = await tap(Topic.RESPONSES)
    creds = {"client_id": f"cid-{uid}", "client_secret": f"csecret-q-{uid}", "access_token": f"token-q-{uid}"}
    api.tokens["surveymonkey"] = creds["access_token"]
    broken = {**SM_MAPPING, "customer_id": "custom_variables.client"}
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "surveymonkey", f"smq-{uid}", creds, broken, api_base_url=api.url)
        rid = sm_serve(api, uid)
        body = json.dumps(sm_event(uid)).encode()
        r = await admin.post(
            f"/v1/webhooks/surveymonkey/default?source=smq-{uid}",
            content=body,
            headers=sm_headers(creds["client_id"], creds["client_secret"], body),
        )
        assert r.status_code == 202
        [held] = await poll(lambda: quarantined(admin, f"smq-{uid}"), timeout=60, what="the quarantined response")
        assert held["stage"] == "mapping" and held["errors"][0]["field"] == "customer.id"
        document = (await admin.get(f"/v1/quarantine/{held['id']}")).json()["document"]
        assert set(document) == {"event", "response", "survey"}  # the fetched answers are kept

        # The dry run takes the fetched documents, as kept in quarantine.
        r = await admin.post(f"/v1/sources/smq-{uid}:dry-run", json=document)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "custom_variables.client"
        r = await admin.put(
            f"/v1/sources/smq-{uid}", json={"platform": "surveymonkey", "mapping": SM_MAPPING, "api_base_url": api.url}
        )
        assert r.status_code == 200, r.text
        fetches = len(api.requests)
        r = await admin.post(f"/v1/quarantine/{held['id']}:replay")
        assert r.status_code == 200 and r.json()["response_id"] == f"smq-{uid}:{rid}", r.text
        assert len(api.requests) == fetches  # replayed from what was kept, not fetched again
    await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"smq-{uid}:{rid}")


QUALTRICS_MAPPING = {
    "customer_id": "customer_id",
    "touchpoint": "touchpoint",
    "email": "RecipientEmail",
    "name": "RecipientFirstName",
    "comment": "QID4_TEXT",
    "answers": {"experience": "QID1", "worth": "QID2", "recommend": {"field": "QID3", "scale": {"min": 0, "max": 10}}},
}


def qualtrics_body(uid: str, shared_key: str, *, tamper: bool = False) -> bytes:
    event = load("qualtrics_completed_response.json")
    event["MSG"].update(ResponseID=f"R_{uid}", SurveyID=f"SV_{uid}")
    event["Topic"] = f"fedex.surveyengine.completedResponse.SV_{uid}"
    msg = json.dumps(event["MSG"], separators=(",", ":"))
    mac = hmac.new(shared_key.encode(), msg.encode(), hashlib.sha512).hexdigest()
    if tamper:
        msg = msg.replace(f"R_{uid}", "R_other")
    return urlencode({"Topic": event["Topic"], "MSG": msg, "HMAC": mac}).encode()


def qualtrics_serve(api: PlatformApi, uid: str) -> None:
    response = load("qualtrics_response.json")
    response["result"]["responseId"] = f"R_{uid}"
    response["result"]["values"]["customer_id"] = f"C-{uid}"
    api.documents[f"/API/v3/surveys/SV_{uid}/responses/R_{uid}"] = response


async def test_qualtrics_event_subscription_fetches_the_response(system, tap, api, uid):
    t = await tap(Topic.RESPONSES)
    creds = {"shared_key": f"shared-key-{uid}", "api_token": f"qtoken-{uid}"}
    api.tokens["qualtrics"] = creds["api_token"]
    qualtrics_serve(api, uid)
    async with system.client("ingest", "admin") as admin:
        missing = await admin.post(
            "/v1/sources", json={"platform": "qualtrics", "credentials": creds, "mapping": QUALTRICS_MAPPING}
        )
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "api_base_url"
        await create_source(admin, "qualtrics", f"qx-{uid}", creds, QUALTRICS_MAPPING, api_base_url=api.url)
    url = f"/v1/webhooks/qualtrics/default?source=qx-{uid}"
    form = {"content-type": "application/x-www-form-urlencoded"}
    async with system.client("ingest", None) as platform:
        r = await platform.post(url, content=qualtrics_body(uid, creds["shared_key"], tamper=True), headers=form)
        assert r.status_code == 401
        r = await platform.post(url, content=qualtrics_body(uid, "not-the-key"), headers=form)
        assert r.status_code == 401
        r = await platform.post(url, content=b"Topic=x&MSG=%7B%7D", headers=form)  # unsigned
        assert r.status_code == 401
        r = await platform.post(url, content=qualtrics_body(uid, creds["shared_key"]), headers=form)
        assert r.status_code == 202 and r.json()["status"] == "fetching", r.text
    [event] = await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"qx-{uid}:R_{uid}", timeout=60)
    assert event.data["answers"] == {"experience": 2, "worth": 4, "recommend": 3.7}
    assert (event.data["customer"]["id"], event.data["touchpoint"]) == (f"C-{uid}", "contact_center")
    assert [h["x-api-token"] for p, h in api.requests if p == f"/API/v3/surveys/SV_{uid}/responses/R_{uid}"] == [
        f"qtoken-{uid}"
    ]


async def test_a_refused_fetch_is_quarantined_and_replayed_once_the_token_is_fixed(system, tap, api, uid):
    t = await tap(Topic.RESPONSES)
    creds = {"shared_key": f"shared-key-{uid}", "api_token": "expired-api-token"}
    api.tokens["qualtrics"] = f"fresh-{uid}"
    qualtrics_serve(api, uid)
    async with system.client("ingest", "admin") as admin:
        await create_source(admin, "qualtrics", f"qy-{uid}", creds, QUALTRICS_MAPPING, api_base_url=api.url)
        r = await admin.post(
            f"/v1/webhooks/qualtrics/default?source=qy-{uid}",
            content=qualtrics_body(uid, creds["shared_key"]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 202
        # A 401 is not retried: the webhook waits in quarantine for the fixed token.
        [held] = await poll(lambda: quarantined(admin, f"qy-{uid}"), timeout=60, what="the refused fetch")
        assert held["stage"] == "fetch" and "HTTP 401" in held["reason"] and held["delivery_key"] == f"R_{uid}"
        r = await admin.put(
            f"/v1/sources/qy-{uid}",
            json={
                "platform": "qualtrics",
                "mapping": QUALTRICS_MAPPING,
                "api_base_url": api.url,
                "credentials": {"shared_key": creds["shared_key"], "api_token": f"fresh-{uid}"},
            },
        )
        assert r.status_code == 200 and "fresh" not in r.text
        r = await admin.post(f"/v1/quarantine/{held['id']}:replay")
        assert r.status_code == 202 and r.json()["status"] == "fetching", r.text
        assert (await admin.post(f"/v1/quarantine/{held['id']}:replay")).status_code == 409
        await t.wait_for(EventType.RESPONSE_RECEIVED, response_id=f"qy-{uid}:R_{uid}", timeout=60)

        async def replayed():
            return await quarantined(admin, f"qy-{uid}", "replayed")

        [done] = await poll(replayed, timeout=30, what="the quarantine entry marked replayed")
        assert done["response_id"] == f"qy-{uid}:R_{uid}" and done["replayed_by"].startswith("admin:")
