"""Alerts as chat messages: Slack Block Kit for an incoming webhook, a Microsoft Teams Adaptive Card
for a Teams workflow webhook (pure: no I/O).

Both show what an agent needs to pick the alert up from the channel: the customer, IEC and
segment, the comment (with its emotion and causes once comment analysis is on the alert), why the
response was selected, and a button to the case in the dashboard.

Text written by customers (name, comment, evidence) and free-form values (touchpoint) go only
where the platform shows text as it is: Slack `plain_text` objects, Teams `TextRun`s. Neither
parses markup there, so a comment cannot add a link, a mention (`<!channel>`) or formatting.
Lengths are cut to stay inside each platform's documented limits.

A subscription's URL must be that platform's: `https://hooks.slack.com/services/…` for Slack;
a Power Automate / Logic Apps / Office 365 host for Teams (`TEAMS_HOST_SUFFIXES`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from shared.i18n import SOURCE, t, translate

CLOUDEVENTS, SLACK, TEAMS = "cloudevents", "slack", "teams"
FORMATS = (CLOUDEVENTS, SLACK, TEAMS)
CHAT_FORMATS = (SLACK, TEAMS)

SLACK_HOST = "hooks.slack.com"
SLACK_PATH = "/services/"
# Where Teams workflow webhooks live: Power Automate and Logic Apps (the "Post to a channel when a
# webhook request is received" workflow), the Power Platform's environment endpoints, and the
# Office 365 connector hosts older channels still use.
TEAMS_HOST_SUFFIXES = (
    "logic.azure.com",
    "api.powerplatform.com",
    "powerautomate.com",
    "flow.microsoft.com",
    "webhook.office.com",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SEGMENTS = {"nunca_mas": "Nunca Más", "funcional": "Funcional", "pasivo": "Pasivo", "wow": "WoW"}
EMOTIONS = {
    "rechazo": "Rechazo",
    "decadencia": "Decadencia",
    "indiferencia": "Indiferencia",
    "disfrutable": "Disfrutable",
    "extasis": "Éxtasis",
}

# Slack's documented limits (Block Kit reference) and the cuts Lazo makes below them.
SLACK_HEADER_CHARS = 150
SLACK_FIELD_CHARS = 2000
SLACK_SECTION_CHARS = 3000
SLACK_FIELDS = 10
SLACK_BUTTON_TEXT_CHARS = 75
SLACK_URL_CHARS = 3000
# A chat message is read at a glance: the whole comment is on the case.
COMMENT_CHARS = 1500
EVIDENCE_CHARS = 200
CAUSES_SHOWN = 5


def host_refusal(fmt: str, url: str, *, loopback_for_tests: bool = False) -> str | None:
    """Why `url` cannot receive `fmt` messages, or None. `loopback_for_tests` also lets a receiver
    on this machine stand in for the platform (LAZO_TEST_CHAT_LOOPBACK: the tests' receivers)."""
    if fmt not in CHAT_FORMATS:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if loopback_for_tests and host in LOOPBACK_HOSTS and parts.scheme in ("http", "https"):
        local = True
    elif parts.scheme != "https":
        return f"a {fmt} webhook URL must be https"
    else:
        local = False
    if fmt == SLACK:
        if not local and host != SLACK_HOST:
            return f"a slack webhook URL must be on {SLACK_HOST} (an incoming webhook: https://{SLACK_HOST}/services/…)"
        if not parts.path.startswith(SLACK_PATH):
            return f"a slack incoming-webhook URL has a path starting with {SLACK_PATH}"
        return None
    if not local and not any(host == s or host.endswith("." + s) for s in TEAMS_HOST_SUFFIXES):
        return "a teams webhook URL must be a Teams workflow's (Power Automate or Logic Apps) on one of " + ", ".join(
            TEAMS_HOST_SUFFIXES
        )
    return None


def case_link(dashboard_url: str, alert_id: str) -> str:
    """The dashboard opens the case that took this alert (a new case, or the customer's open one)."""
    return f"{dashboard_url.split('#', 1)[0]}#alert={quote(alert_id, safe='')}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "?"


def _words(key: str) -> str:
    return key.replace("_", " ")


def why_selected(data: Mapping[str, Any], language: str = SOURCE) -> list[str]:
    """The alert's reasons (shared.contracts.alerts.AlertReason), in words."""
    emotion, causes = _analysis(data)
    out = []
    for reason in data.get("reasons") or []:
        if reason == "iec_at_or_below_threshold":
            out.append(t("IEC {iec} at or below the programme's threshold", language, iec=_number(data.get("iec"))))
        elif reason == "iec_drop":
            out.append(
                t(
                    "IEC fell from {before} to {iec}",
                    language,
                    before=_number(data.get("previous_iec")),
                    iec=_number(data.get("iec")),
                )
            )
        elif reason == "comment":
            out.append(t("the customer left a comment", language))
        elif reason == "emotion":
            out.append(
                t("the comment's emotion ({emotion}) is one the programme watches", language, emotion=emotion or "?")
            )
        elif reason == "cause":
            out.append(t("the comment mentions a cause the programme watches", language))
        elif reason == "comment_contradicts_score":
            out.append(t("the comment says the opposite of the score", language))
        else:
            out.append(_words(str(reason)))
    return out or [t("selected by the programme's alert rules", language)]


def _customer(data: Mapping[str, Any]) -> str:
    name = (data.get("customer") or {}).get("name")
    return f"{name} ({data.get('customer_id')})" if name else str(data.get("customer_id"))


def _headline(data: Mapping[str, Any], language: str) -> str:
    segment = SEGMENTS.get(str(data.get("segment")), str(data.get("segment")))
    return t("Detractor alert: IEC {iec} · {segment}", language, iec=_number(data.get("iec")), segment=segment)


def _analysis(data: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, str | None]]]:
    """The comment's emotion and its causes (key, evidence), when the alert carries an analysis."""
    analysis = data.get("comment_analysis")
    if not isinstance(analysis, Mapping):
        return None, []
    emotion = analysis.get("emotion")
    causes = []
    for cause in (analysis.get("causes") or [])[:CAUSES_SHOWN]:
        if isinstance(cause, Mapping) and cause.get("key"):
            evidence = cause.get("evidence")
            causes.append((str(cause["key"]), str(evidence) if evidence else None))
    return (EMOTIONS.get(str(emotion), str(emotion)) if emotion else None), causes


def _facts(data: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    facts = [
        ("IEC", _number(data.get("iec"))),
        (translate("Segment", language), SEGMENTS.get(str(data.get("segment")), str(data.get("segment")))),
        (translate("Programme", language), str(data.get("program"))),
    ]
    if data.get("previous_iec") is not None:
        facts.append((translate("Previous IEC", language), _number(data.get("previous_iec"))))
    emotion, causes = _analysis(data)
    if emotion:
        facts.append((translate("Emotion", language), emotion))
    if causes:
        facts.append((translate("Causes", language), ", ".join(_words(key) for key, _ in causes)))
    facts.append((translate("Why selected", language), "; ".join(why_selected(data, language))))
    return facts


# --- Slack ----------------------------------------------------------------------------------------


def _plain(text: str, limit: int) -> dict:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": False}


def slack_message(data: Mapping[str, Any], link: str, language: str = SOURCE) -> dict:
    """A Block Kit message for an incoming webhook (`text` is the notification's fallback)."""
    fields = [(translate("Customer", language), _customer(data)), *_facts(data, language)]
    if data.get("touchpoint"):
        fields.insert(1, (translate("Touchpoint", language), str(data["touchpoint"])))
    blocks: list[dict] = [
        {"type": "header", "text": _plain(_headline(data, language), SLACK_HEADER_CHARS)},
        {
            "type": "section",
            "fields": [_plain(f"{title}: {value}", SLACK_FIELD_CHARS) for title, value in fields[:SLACK_FIELDS]],
        },
    ]
    if data.get("comment"):
        blocks.append(
            {"type": "section", "text": _plain(f"“{_cut(str(data['comment']), COMMENT_CHARS)}”", SLACK_SECTION_CHARS)}
        )
    _, causes = _analysis(data)
    evidence = [f"{_words(key)}: “{_cut(words, EVIDENCE_CHARS)}”" for key, words in causes if words]
    if evidence:
        blocks.append({"type": "context", "elements": [_plain(line, SLACK_FIELD_CHARS) for line in evidence]})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": _plain(translate("Open the case", language), SLACK_BUTTON_TEXT_CHARS),
                    "style": "primary",
                    "url": link[:SLACK_URL_CHARS],
                    "action_id": "lazo-open-case",
                }
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                _plain(
                    t(
                        "Lazo alert {alert_id} · raised {raised_at}",
                        language,
                        alert_id=data.get("alert_id"),
                        raised_at=data.get("raised_at"),
                    ),
                    SLACK_FIELD_CHARS,
                )
            ],
        }
    )
    # The fallback text is parsed as mrkdwn: only Lazo's own words and numbers go in it.
    return {"text": _headline(data, language), "blocks": blocks}


# --- Microsoft Teams ------------------------------------------------------------------------------

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"


def _text_run(text: str, **style: Any) -> dict:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def teams_message(data: Mapping[str, Any], link: str, language: str = SOURCE) -> dict:
    """A Teams workflow webhook's message: one Adaptive Card attachment."""
    body: list[dict] = [
        {"type": "TextBlock", "text": _headline(data, language), "weight": "Bolder", "size": "Medium", "wrap": True},
        _text_run(_customer(data), weight="Bolder"),
    ]
    if data.get("touchpoint"):
        body.append(_text_run(f"{translate('Touchpoint', language)}: {data['touchpoint']}", isSubtle=True))
    # FactSet values are markdown: only Lazo's own values (numbers, segment, programme id, keys) go there.
    body.append(
        {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in _facts(data, language)]}
    )
    if data.get("comment"):
        body.append(_text_run(f"“{_cut(str(data['comment']), COMMENT_CHARS)}”", italic=True))
    _, causes = _analysis(data)
    for key, words in causes:
        if words:
            body.append(_text_run(f"{_words(key)}: “{_cut(words, EVIDENCE_CHARS)}”", isSubtle=True))
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": translate("Open the case", language), "url": link}],
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


def render(fmt: str, data: Mapping[str, Any], link: str, language: str = SOURCE) -> bytes:
    """The body POSTed to a chat subscription for an alert event's data, in `language` (en, es)."""
    message = slack_message(data, link, language) if fmt == SLACK else teams_message(data, link, language)
    return json.dumps(message, ensure_ascii=False).encode()
