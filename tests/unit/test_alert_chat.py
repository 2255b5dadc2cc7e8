"""Chat formats of alerts (services.alerts.domain.chat): the host rules and the messages' shapes."""

from __future__ import annotations

import json

import pytest

from services.alerts.domain import chat
from tests.chat_shapes import check_slack, check_teams, slack_texts, teams_texts

ALERT = {
    "alert_id": "a-1",
    "customer_id": "C-42",
    "customer": {"email": "ana@example.com", "name": "Ana"},
    "program": "default",
    "response_id": "r-1",
    "iec": 2.3333,
    "segment": "nunca_mas",
    "reasons": ["iec_at_or_below_threshold", "comment", "iec_drop"],
    "previous_iec": 8.0,
    "comment": "Nadie me devolvió la llamada",
    "touchpoint": "contact_center",
    "raised_at": "2026-11-20T10:00:01Z",
    "control_group": False,
}
ANALYSIS = {
    "language": "es",
    "sentiment": -0.8,
    "polarity": "negative",
    "emotion": "rechazo",
    "causes": [
        {"key": "responsiveness", "evidence": "nadie me devolvió la llamada", "polarity": "negative"},
        {"key": "staff_attitude", "evidence": None, "polarity": "negative"},
    ],
    "keyphrases": ["llamada"],
    "analyzer": "builtin/1",
}
LINK = "https://lazo.example.com/dashboard/#alert=a-1"


@pytest.mark.parametrize(
    "fmt, url, why",
    [
        ("slack", "https://hooks.slack.com/services/T0/B0/xyz", None),
        ("slack", "http://hooks.slack.com/services/T0/B0/xyz", "https"),
        ("slack", "https://hooks.slack.com.evil.example/services/T0", "hooks.slack.com"),
        ("slack", "https://example.com/services/T0", "hooks.slack.com"),
        ("slack", "https://hooks.slack.com/triggers/T0/1/x", "/services/"),
        (
            "teams",
            "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x",
            None,
        ),
        (
            "teams",
            "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/x",
            None,
        ),
        ("teams", "https://contoso.webhook.office.com/webhookb2/x", None),
        ("teams", "https://logic.azure.com.evil.example/x", "Teams workflow"),
        ("teams", "https://hooks.slack.com/services/T0/B0/x", "Teams workflow"),
        ("teams", "http://prod-1.westeurope.logic.azure.com/workflows/x", "https"),
        ("cloudevents", "https://cc.example.com/lazo", None),
    ],
)
def test_a_chat_subscription_must_be_on_its_platforms_host(fmt, url, why):
    found = chat.host_refusal(fmt, url)
    assert (found is None) if why is None else (why in found), found


def test_loopback_stands_in_for_the_platforms_only_with_the_test_setting():
    assert chat.host_refusal("slack", "http://127.0.0.1:9000/services/T/B/x") is not None
    assert chat.host_refusal("slack", "http://127.0.0.1:9000/services/T/B/x", loopback_for_tests=True) is None
    assert chat.host_refusal("teams", "http://localhost:9000/workflow", loopback_for_tests=True) is None
    # The setting adds loopback; every other host is judged as without it.
    assert chat.host_refusal("slack", "https://example.com/services/T", loopback_for_tests=True) is not None
    assert chat.host_refusal("slack", "http://127.0.0.1:9000/hook", loopback_for_tests=True) is not None


def test_the_slack_message_has_block_kits_shape_and_every_part_of_the_alert():
    message = chat.slack_message({**ALERT, "comment_analysis": ANALYSIS}, LINK)
    check_slack(message)
    text = "\n".join(slack_texts(message))
    for part in (
        "Ana (C-42)",
        "IEC 2.3",
        "Nunca Más",
        "contact_center",
        "Nadie me devolvió la llamada",
        "Rechazo",
        "responsiveness",
        "staff attitude",
        "“nadie me devolvió la llamada”",
        "at or below the programme's threshold",
        "fell from 8.0 to 2.3",
        "left a comment",
        "Open the case",
    ):
        assert part in text, part
    assert "ana@example.com" not in json.dumps(message)  # the case has the contact details
    button = message["blocks"][-2]["elements"][0]
    assert button["url"] == LINK


def test_the_teams_message_is_an_adaptive_card_in_a_workflow_message():
    card = check_teams(chat.teams_message({**ALERT, "comment_analysis": ANALYSIS}, LINK))
    text = "\n".join(teams_texts(card))
    for part in (
        "Ana (C-42)",
        "Segment: Nunca Más",
        "IEC: 2.3",
        "Emotion: Rechazo",
        "Causes: responsiveness",
        "Nadie me devolvió la llamada",
        "Touchpoint: contact_center",
        "Why selected:",
    ):
        assert part in text, part
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the case", "url": LINK}]


def test_without_analysis_or_comment_the_messages_hold_what_there_is():
    bare = {
        **ALERT,
        "comment": None,
        "reasons": ["iec_at_or_below_threshold"],
        "previous_iec": None,
        "customer": {"email": None, "name": None},
        "touchpoint": None,
    }
    slack = chat.slack_message(bare, LINK)
    check_slack(slack)
    assert not any("Emotion" in t or "Causes" in t for t in slack_texts(slack))
    card = check_teams(chat.teams_message(bare, LINK))
    assert "C-42" in teams_texts(card)


def test_customer_text_cannot_add_markup_mentions_or_links():
    hostile = {
        **ALERT,
        "customer": {"name": "<!channel> *boss*"},
        "touchpoint": "[click](https://evil.example)",
        "comment": "<https://evil.example|pay here> **urgent** " + "x" * 10_000,
        "comment_analysis": {**ANALYSIS, "causes": [{"key": "billing", "evidence": "[x](https://evil.example)"}]},
    }
    slack = chat.slack_message(hostile, LINK)
    check_slack(slack)
    for block in slack["blocks"]:  # every text Lazo sends is plain_text: Slack renders it as written
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if obj and obj.get("type") != "button":
                assert obj["type"] == "plain_text"
    assert "<!channel>" not in slack["text"] and "evil" not in slack["text"]
    card = check_teams(chat.teams_message(hostile, LINK))
    facts = [f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    assert not any("evil" in v or "<!channel>" in v for v in facts)  # fact values are markdown: Lazo's own only
    comment = [t for t in teams_texts(card) if "pay here" in t][0]
    assert len(comment) <= chat.COMMENT_CHARS + 2 and comment.endswith("…”")


def test_the_case_link_is_the_dashboards_with_the_alert():
    assert (
        chat.case_link("http://127.0.0.1:8004/dashboard/", "a b/c")
        == "http://127.0.0.1:8004/dashboard/#alert=a%20b%2Fc"
    )
    assert chat.case_link("https://x.example/dashboard/#old", "a") == "https://x.example/dashboard/#alert=a"


def test_render_gives_the_json_body():
    body = json.loads(chat.render("teams", ALERT, LINK))
    assert body["type"] == "message"
    assert "blocks" in json.loads(chat.render("slack", ALERT, LINK))


def test_the_reasons_from_comment_analysis_read_as_words():
    data = {
        **ALERT,
        "reasons": ["emotion", "cause", "comment_contradicts_score", "something_new"],
        "comment_analysis": ANALYSIS,
    }
    assert chat.why_selected(data) == [
        "the comment's emotion (Rechazo) is one the programme watches",
        "the comment mentions a cause the programme watches",
        "the comment says the opposite of the score",
        "something new",
    ]
    assert chat.why_selected({**ALERT, "reasons": []}) == ["selected by the programme's alert rules"]
