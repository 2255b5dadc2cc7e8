"""The canonical survey response as a survey platform posts it, and its checks against a programme."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.programs import ProgramDefinition

MAX_COMMENT_CHARS = 5000
# Free-form attributes nest at most this deep: far deeper ones cannot even be serialised into
# the event (pydantic and orjson stop at a few hundred levels), and no CRM needs more.
MAX_ATTRIBUTE_DEPTH = 16
Id = Field(min_length=1, max_length=200)


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = Field(None, max_length=300)
    attributes: dict[str, Any] = {}

    @field_validator("attributes")
    @classmethod
    def _shallow(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        if nesting(attributes) > MAX_ATTRIBUTE_DEPTH:
            raise ValueError(f"attributes nest deeper than {MAX_ATTRIBUTE_DEPTH} levels")
        return attributes


def nesting(value: Any) -> int:
    """How deep objects and arrays nest in a JSON value (a scalar: 0). Iterative: no recursion limit."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class ResponseIn(BaseModel):
    """`POST /v1/responses` body (CONTRACT.md)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "response_id": "r-1001", "program": "default",
        "customer": {"id": "C-42", "email": "ana@example.com", "name": "Ana", "attributes": {}},
        "submitted_at": "2026-11-20T10:00:00Z", "touchpoint": "contact_center",
        "answers": {"experience": 3, "worth": 4, "recommend": 5},
        "comment": "Nadie me devolvió la llamada", "case_id": None}]})

    response_id: str = Field(min_length=1, max_length=200)
    program: str = Field("default", min_length=1, max_length=64)
    customer: CustomerIn
    submitted_at: datetime | None = None
    touchpoint: str | None = Field(None, max_length=64)
    answers: dict[str, float] = {}
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)
    case_id: str | None = Field(None, max_length=200)

    @field_validator("answers")
    @classmethod
    def _finite(cls, answers: dict[str, float]) -> dict[str, float]:
        for key, value in answers.items():
            if not math.isfinite(value):
                raise ValueError(f"answer '{key}' must be a finite number")
        return answers

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)  # platforms that omit the offset mean UTC
        return value


class BatchIn(BaseModel):
    responses: list[dict[str, Any]] = Field(min_length=1)


def scale_errors(response: ResponseIn, program: ProgramDefinition) -> list[dict[str, str]]:
    """Answers outside their question's scale. Answers the programme does not declare are kept as given."""
    errors = []
    for key, value in response.answers.items():
        question = program.question(key)
        if question is not None and not question.scale.contains(value):
            errors.append({"field": f"answers.{key}",
                           "message": f"{value:g} is outside the scale {question.scale.min:g}–{question.scale.max:g} "
                                      f"of programme '{program.program}'"})
    return errors
