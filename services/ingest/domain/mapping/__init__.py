"""Platform payload -> canonical response, by configuration. One module per platform, each with
`completion(payload)` (None, or why the event is not a completed response) and `view(document)`."""

from __future__ import annotations

from typing import Any

from shared.contracts.programs import ProgramDefinition
from services.ingest.domain.mapping import formbricks, generic, qualtrics, surveymonkey, tally, typeform
from services.ingest.domain.mapping.config import Mapping, Ref
from services.ingest.domain.mapping.core import MappingError, View, as_text, resolve, to_response
from services.ingest.domain.response import ResponseIn

ADAPTERS = {
    "typeform": typeform,
    "tally": tally,
    "formbricks": formbricks,
    "surveymonkey": surveymonkey,
    "qualtrics": qualtrics,
    "generic": generic,
}


def map_document(
    platform: str,
    document: Any,
    mapping: Mapping,
    *,
    source_id: str,
    program: str,
    definition: ProgramDefinition | None,
) -> ResponseIn:
    """The canonical response a source makes of a payload, or MappingError."""
    return to_response(
        ADAPTERS[platform].view(document), mapping, source_id=source_id, program=program, definition=definition
    )


def platform_response_id(platform: str, document: Any, mapping: Mapping | None = None) -> str | None:
    """The platform's own id of the response (where the mapping says, if it does), when the payload
    has the shape to tell; None otherwise."""
    try:
        view = ADAPTERS[platform].view(document)
        if mapping is not None and mapping.response_id is not None and mapping.response_id.field:
            return as_text(resolve(view, mapping.response_id.field)[0])
        return None if view.response_id is None else as_text(view.response_id)
    except Exception:  # any shape the mapping cannot read: the caller falls back to the body's digest
        return None


__all__ = ["ADAPTERS", "Mapping", "MappingError", "Ref", "View", "map_document", "platform_response_id"]
