"""Alerts in Slack and Teams through the alerts service: chat subscriptions, the messages local
receivers get (checked against each platform's documented shape), retries and the delivery log."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.events import Topic
from tests.chat_shapes import check_slack, check_teams, slack_texts, teams_texts
from tests.security.test_erasure import erase
from tests.support import poll, raw_producer
from tests.test_alerts import score


class Receiver:
    """A chat platform's webhook on 127.0.0.1: 500 to the first `fail_first` POSTs, then `status`."""

    def __init__(self, path: str, *, status: int = 200, fail_first: int = 0):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    failing = len(outer.requests) <= fail_first
                self.send_response(500 if failing else status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    # Slack answers 200 "ok"; a Teams workflow 202 Accepted.
    slack = Receiver("/services/T0001/B0001/sekret", fail_first=1)
    teams = Receiver("/workflows/abc/triggers/manual/paths/invoke", status=202)
    yield slack, teams
    slack.close()
    teams.close()


async def test_slack_and_teams_get_their_messages_with_retries_and_a_delivery_log(system, tap, receivers, uid):
    slack, teams = receivers
    program = f"chat-{uid}"
    async with system.client("alerts", "manager") as m:
        subs = {}
        # The Slack channel reads English, the Teams one Spanish (each subscription says).
        for fmt, receiver, language in (("slack", slack, "en"), ("teams", teams, "es")):
            r = await m.post(
                "/v1/subscriptions",
                json={
                    "url": receiver.url,
                    "format": fmt,
                    "language": language,
                    "event_types": ["lazo.alert.raised"],
                    "programs": [program],
                },
            )
            assert r.status_code == 201, r.text
            sub = r.json()
            # The webhook URL is the credential: shown by its origin only.
            assert sub["format"] == fmt and "sekret" not in sub["url"] and "workflows" not in sub["url"]
            assert sub["language"] == language
            subs[fmt] = sub["id"]
        producer = await raw_producer(system.broker.bootstrap)
        try:
            event = score(f"r-{uid}", f"C-{uid}", program, 2.0, comment="Nadie me devolvió la llamada <!channel>")
            # As scoring's analyzer describes the comment: the alert carries it to the chat message.
            event.data["comment_analysis"] = {
                "language": "es",
                "sentiment": -0.7,
                "polarity": "negative",
                "emotion": "rechazo",
                "causes": [
                    {"key": "responsiveness", "evidence": "nadie me devolvió la llamada", "polarity": "negative"}
                ],
                "keyphrases": ["llamada"],
                "analyzer": "test/1",
            }
            await (await producer.send(Topic.SCORES, value=event.to_bytes(), key=event.key))
        finally:
            await producer.stop()

        async def delivered(sub_id: str):
            page = (await m.get(f"/v1/subscriptions/{sub_id}/deliveries")).json()
            return page["items"] if page["items"] and page["items"][0]["status"] == "delivered" else None

        slack_log = await poll(lambda: delivered(subs["slack"]), timeout=60, interval=0.2, what="slack delivered")
        teams_log = await poll(lambda: delivered(subs["teams"]), timeout=60, interval=0.2, what="teams delivered")
        alert = (await m.get("/v1/alerts", params={"customer_id": f"C-{uid}"})).json()["items"][0]

    # The first Slack POST failed (500) and was retried; both attempts are in the log.
    assert [a["status_code"] for a in slack_log[0]["attempts"]] == [500, 200]
    assert [a["status_code"] for a in teams_log[0]["attempts"]] == [202]
    link = f"{system.url('casework')}/dashboard/#alert={alert['alert_id']}"

    path, headers, body = slack.requests[-1]
    assert path == "/services/T0001/B0001/sekret" and headers["content-type"] == "application/json"
    message = json.loads(body)
    check_slack(message)
    texts = "\n".join(slack_texts(message))
    for part in (
        "Ana (C-",
        "IEC 2.0",
        "Nunca Más",
        "Nadie me devolvió la llamada <!channel>",
        "at or below the programme's threshold",
        "Emotion: Rechazo",
        "Causes: responsiveness",
        "“nadie me devolvió la llamada”",
        "Open the case",
    ):
        assert part in texts, part
    assert message["blocks"][-2]["elements"][0]["url"] == link
    assert "lazo-signature" not in headers  # no secret was given: Slack does not check one

    _, headers, body = teams.requests[-1]
    assert headers["content-type"] == "application/json"
    card = check_teams(json.loads(body))
    assert any(f"C-{uid}" in t for t in teams_texts(card))
    assert {"Segmento: Nunca Más", "Emoción: Rechazo", "Causas: responsiveness"} <= set(teams_texts(card))
    assert card["actions"][0]["url"] == link and card["actions"][0]["title"] == "Abrir el caso"

    # The link resolves: casework finds the case that took the alert (the dashboard asks the same).
    async with system.client("casework", "agent") as casework:

        async def case_of_alert():
            return (await casework.get("/v1/cases", params={"alert_id": alert["alert_id"]})).json()["items"]

        [case] = await poll(case_of_alert, timeout=60, what="the case of the alert")
        assert case["customer_id"] == f"C-{uid}"

    # Erasing the customer replaces both stored messages whole: their text is the customer's data.
    erased = await erase(system, await tap(Topic.ERASURES), f"C-{uid}")
    assert erased["alerts"]["deliveries"] == 2


async def test_chat_subscriptions_are_refused_off_their_platforms(system, uid):
    async with system.client("alerts", "manager") as m:
        cases = [
            ({"url": "https://example.com/services/T/B/x", "format": "slack"}, "url", "hooks.slack.com"),
            ({"url": "https://hooks.slack.com/services/T/B/x", "format": "teams"}, "url", "Teams workflow"),
            ({"url": "http://127.0.0.1:9/not-a-webhook", "format": "slack"}, "url", "/services/"),
            (
                {
                    "url": "https://hooks.slack.com/services/T/B/x",
                    "format": "slack",
                    "event_types": ["lazo.alert.held_out"],
                },
                "event_types",
                "lazo.alert.raised only",
            ),
            ({"url": "https://cc.example.com/lazo"}, "secret", "required for format cloudevents"),
            ({"url": "https://hooks.slack.com/services/T/B/x", "format": "email"}, "format", ""),
        ]
        for body, field, words in cases:
            r = await m.post("/v1/subscriptions", json={"event_types": ["lazo.alert.raised"], **body})
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            errors = r.json()["errors"]
            assert [e["field"] for e in errors] == [field] and words in errors[0]["message"], errors
    async with system.client("alerts", "agent") as agent:
        r = await agent.post(
            "/v1/subscriptions",
            json={
                "url": "https://hooks.slack.com/services/T/B/x",
                "format": "slack",
                "event_types": ["lazo.alert.raised"],
            },
        )
        assert r.status_code == 403
