"""The documented shapes of the chat messages Lazo posts, checked field by field.

Slack: Block Kit reference (blocks, text objects, their limits) for an incoming webhook's body.
Teams: a Workflows webhook message (`type: message`, one attachment of content type
`application/vnd.microsoft.card.adaptive`) holding an Adaptive Card (schema 1.4 elements used by Lazo),
within the 28 KB a Teams message may have.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit


def _text(obj, limit: int, *, plain_only: bool = False) -> str:
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    assert isinstance(obj, dict) and obj.get("type") in kinds, obj
    assert isinstance(obj["text"], str) and 0 < len(obj["text"]) <= limit, obj
    assert set(obj) <= {"type", "text", "emoji", "verbatim"}, obj
    if obj["type"] == "mrkdwn":
        assert "emoji" not in obj
    return obj["text"]


def _url(url) -> None:
    assert isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc, url


def check_slack(message: dict) -> None:
    assert set(message) <= {"text", "blocks", "thread_ts", "mrkdwn"}
    assert isinstance(message["text"], str) and message["text"]
    blocks = message["blocks"]
    assert isinstance(blocks, list) and 0 < len(blocks) <= 50
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            _text(block["text"], 150, plain_only=True)
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                _text(block["text"], 3000)
            for field in block.get("fields", []):
                _text(field, 2000)
            assert len(block.get("fields", [])) <= 10
        elif kind == "context":
            assert 0 < len(block["elements"]) <= 10
            for element in block["elements"]:
                _text(element, 3000)
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button"
                _text(button["text"], 75, plain_only=True)
                _url(button["url"])
                assert len(button["url"]) <= 3000 and len(button.get("action_id", "")) <= 255
                assert button.get("style", "primary") in ("primary", "danger")
        else:
            assert kind == "divider", kind


def _inline_texts(element: dict) -> list[str]:
    return [run["text"] for run in element["inlines"]]


def check_teams(message: dict) -> dict:
    """The card inside, once the message has the shape a Teams workflow webhook takes."""
    assert len(json.dumps(message).encode()) <= 28 * 1024
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment.get("contentUrl") is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")
    for element in card["body"]:
        kind = element["type"]
        if kind == "TextBlock":
            assert isinstance(element["text"], str) and element["text"]
        elif kind == "RichTextBlock":  # 1.2+
            assert element["inlines"] and all(
                r["type"] == "TextRun" and isinstance(r["text"], str) for r in element["inlines"]
            )
        elif kind == "FactSet":
            assert element["facts"] and all(
                set(f) == {"title", "value"} and isinstance(f["title"], str) and isinstance(f["value"], str)
                for f in element["facts"]
            )
        else:
            raise AssertionError(f"element {kind} is not one Lazo documents")
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and isinstance(action["title"], str)
        _url(action["url"])
    return card


def slack_texts(message: dict) -> list[str]:
    out = []
    for block in message["blocks"]:
        for key in ("text",):
            if key in block:
                out.append(block[key]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"]["text"] if e.get("type") == "button" else e["text"] for e in block.get("elements", [])]
    return out


def teams_texts(card: dict) -> list[str]:
    out = []
    for element in card["body"]:
        if element["type"] == "TextBlock":
            out.append(element["text"])
        elif element["type"] == "RichTextBlock":
            out += _inline_texts(element)
        else:
            out += [f"{f['title']}: {f['value']}" for f in element["facts"]]
    return out
