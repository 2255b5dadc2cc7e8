"""Pydantic's validation errors as Lazo names fields: `customer.id`, `responses[3].answers`.

Pure: domain code that validates with pydantic (programmes, contacts) reports its errors in the
same shape as the HTTP layer, without importing it.
"""

from __future__ import annotations

from typing import Any


def field_path(loc: tuple | list) -> str:
    """('body', 'customer', 'id') -> 'customer.id'; ('body', 'responses', 3, 'answers') -> 'responses[3].answers'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def validation_errors(errors: list[dict[str, Any]], prefix: tuple = ()) -> list[dict[str, Any]]:
    return [
        {
            "field": field_path(tuple(prefix) + tuple(e.get("loc", ()))),
            "message": e.get("msg", "invalid"),
            "type": e.get("type"),
        }
        for e in errors
    ]
