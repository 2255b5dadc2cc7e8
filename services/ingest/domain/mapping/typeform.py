"""Typeform `form_response` webhooks.

Answers are named by their field's `ref` and `id` (both work in a mapping); each answer's value
is read from the key its `type` names (`number` for opinion scale, rating and NPS, `text`,
`email`, `choice.label`, `choices.labels`, `boolean`, `date`…). Sections: `hidden` (hidden
fields: customer ids), `variables`, `calculated`, `form_response`. The response id is
`form_response.token`; the time is `form_response.submitted_at`.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.mapping.core import MappingError, View


def completion(document: Any) -> str | None:
    """None when the payload is a completed response; otherwise why it is ignored."""
    kind = document.get("event_type") if isinstance(document, dict) else None
    return None if kind == "form_response" else f"event_type '{kind}' is not form_response"


def _value(answer: dict) -> Any:
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") if value.get("label") is not None else value.get("other")
    if kind == "choices" and isinstance(value, dict):
        labels = list(value.get("labels") or [])
        return labels + ([value["other"]] if value.get("other") else [])
    if kind == "payment" and isinstance(value, dict):
        return value.get("amount")
    return value


def view(document: Any) -> View:
    form = document.get("form_response") if isinstance(document, dict) else None
    if not isinstance(form, dict):
        raise MappingError.one("response", "form_response", "the payload has no form_response object")
    out = View(
        document=document,
        response_id=form.get("token") or form.get("response_id"),
        response_id_path="form_response.token",
        submitted_at=form.get("submitted_at"),
    )
    variables = {
        v.get("key"): v.get(v.get("type")) for v in form.get("variables") or [] if isinstance(v, dict) and v.get("key")
    }
    out.sections = {
        "hidden": form.get("hidden") or {},
        "variables": variables,
        "calculated": form.get("calculated") or {},
        "form_response": form,
    }
    for i, answer in enumerate(form.get("answers") or []):
        if not isinstance(answer, dict):
            continue
        f = answer.get("field") or {}
        out.add([f.get("ref"), f.get("id")], _value(answer), f"form_response.answers[{i}]")
    return out
