"""Generic JSON (Google Forms via Apps Script, SurveySparrow, Medallia, LimeSurvey plugins…).

Every reference is a JSON path into the body (`answers.q1`, `$.data.fields[key=nps].value`,
`answers["Your name"]`); the mapping must say where the response id is (`response_id`).
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.mapping.core import MappingError, View


def completion(document: Any) -> str | None:
    return None


def view(document: Any) -> View:
    if not isinstance(document, (dict, list)):
        raise MappingError.one("response", "$", "the body is not a JSON object")
    return View(document=document, response_id=None, response_id_path="(mapping.response_id)")
