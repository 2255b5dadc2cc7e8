"""Tally `FORM_RESPONSE` webhooks.

`data.fields[]` are named by their `key` and their `label` (hidden fields are fields of type
`HIDDEN_FIELDS` labelled with the hidden field's name, so `customer_id` finds one). Ratings and
linear scales are numbers; choices (ids in `value`) read as their option texts. The response id
is `data.responseId`; the time is `data.createdAt`. Section: `data`.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.mapping.core import MappingError, View

_CHOICES = {"MULTIPLE_CHOICE", "DROPDOWN", "CHECKBOXES", "MULTI_SELECT", "RANKING"}


def completion(document: Any) -> str | None:
    kind = document.get("eventType") if isinstance(document, dict) else None
    return None if kind == "FORM_RESPONSE" else f"eventType '{kind}' is not FORM_RESPONSE"


def _value(f: dict) -> Any:
    value = f.get("value")
    options = {o.get("id"): o.get("text") for o in f.get("options") or [] if isinstance(o, dict)}
    if f.get("type") in _CHOICES and options and isinstance(value, list):
        return [options.get(v, v) for v in value]
    if f.get("type") in _CHOICES and options and isinstance(value, str):
        return options.get(value, value)
    return value


def view(document: Any) -> View:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise MappingError.one("response", "data.fields", "the payload has no data.fields list")
    out = View(
        document=document,
        response_id=data.get("responseId") or data.get("submissionId"),
        response_id_path="data.responseId",
        submitted_at=data.get("createdAt"),
    )
    out.sections = {"data": data}
    for i, f in enumerate(data["fields"]):
        if isinstance(f, dict):
            out.add([f.get("key"), f.get("label")], _value(f), f"data.fields[{i}]")
    return out
