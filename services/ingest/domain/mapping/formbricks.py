"""Formbricks `responseFinished` webhooks.

Answers are `data.data` by question id, with hidden fields merged in by their id. Sections:
`contact` (`id`, `userId`), `contactAttributes` (e.g. `email`, `userId`), `meta`, `variables`,
`data` (the whole response). The response id is `data.id`; the time is `data.updatedAt` (when it
finished). Formbricks' own documentation shows the payload wrapped in a one-element list; both
forms are read.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.mapping.core import MappingError, View


def _unwrap(document: Any) -> Any:
    return document[0] if isinstance(document, list) and len(document) == 1 else document


def completion(document: Any) -> str | None:
    doc = _unwrap(document)
    kind = doc.get("event") if isinstance(doc, dict) else None
    return None if kind == "responseFinished" else f"event '{kind}' is not responseFinished"


def view(document: Any) -> View:
    doc = _unwrap(document)
    response = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(response, dict) or not isinstance(response.get("data"), dict):
        raise MappingError.one("response", "data.data", "the payload has no data.data object")
    out = View(
        document=doc,
        response_id=response.get("id"),
        response_id_path="data.id",
        submitted_at=response.get("updatedAt") or response.get("createdAt"),
    )
    out.sections = {
        "contact": response.get("contact") or {},
        "contactAttributes": response.get("contactAttributes") or {},
        "meta": response.get("meta") or {},
        "variables": response.get("variables") or {},
        "data": response,
    }
    for qid, value in response["data"].items():
        out.add([qid], value, f"data.data.{qid}")
    return out
