"""The canonical survey response as a survey platform posts it, and its checks against a programme."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared import limits
from shared.contracts.programs import ProgramDefinition
from shared.limits import (
    CaseId,
    Comment,
    CustomerId,
    Email,
    InvitationToken,
    Name,
    Program,
    ResponseId,
    Touchpoint,
    nesting,  # noqa: F401  (kept importable from here)
)

# The comment's limit is a setting (LAZO_MAX_COMMENT_CHARS, checked by service.to_event); the
# model only refuses what no setting allows.
MAX_COMMENT_CHARS = limits.COMMENT_CHARS_DEFAULT
MAX_ATTRIBUTE_DEPTH = limits.ATTRIBUTES_MAX_DEPTH


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: CustomerId
    email: Email | None = None
    name: Name | None = None
    attributes: dict[str, Any] = Field(
        {},
        description=(
            f"free-form JSON: at most {limits.ATTRIBUTES_MAX_BYTES} bytes, {limits.ATTRIBUTES_MAX_DEPTH} levels and "
            f"{limits.ATTRIBUTES_MAX_KEYS} keys"
        ),
    )

    @field_validator("attributes")
    @classmethod
    def _bounded(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        if attributes and (problem := limits.attributes_problem(attributes)):
            raise ValueError(problem)
        return attributes


class ResponseIn(BaseModel):
    """`POST /v1/responses` body (CONTRACT.md). Every field bounded (shared.limits)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "response_id": "r-1001",
                    "program": "default",
                    "customer": {"id": "C-42", "email": "ana@example.com", "name": "Ana", "attributes": {}},
                    "submitted_at": "2026-11-20T10:00:00Z",
                    "touchpoint": "contact_center",
                    "answers": {"experience": 3, "worth": 4, "recommend": 5},
                    "comment": "Nadie me devolvió la llamada",
                    "case_id": None,
                }
            ]
        },
    )

    response_id: ResponseId
    program: Program = "default"
    customer: CustomerIn
    submitted_at: datetime | None = Field(
        None,
        description=(
            "default now; not before 2000-01-01 nor more than a day ahead (LAZO_SUBMITTED_AT_EARLIEST, "
            "LAZO_SUBMITTED_AT_MAX_AHEAD_H)"
        ),
    )
    touchpoint: Touchpoint | None = None
    answers: dict[str, float] = Field(
        {}, description=(f"at most {limits.ANSWERS_MAX}; keys lower_snake_case like the programme's questions")
    )
    comment: Comment | None = Field(None, description="at most LAZO_MAX_COMMENT_CHARS characters (default 5000)")
    case_id: CaseId | None = None
    invitation_token: InvitationToken | None = Field(
        None,
        description=(
            "the token of the survey planner's invitation link (a hidden field of the form): ties the answer to "
            "its invitation"
        ),
    )

    @field_validator("answers")
    @classmethod
    def _finite(cls, answers: dict[str, float]) -> dict[str, float]:
        if problem := limits.answer_keys_problem(list(answers)):
            raise ValueError(problem)
        for key, value in answers.items():
            if not math.isfinite(value):
                raise ValueError(f"answer '{key}' must be a finite number")
        return answers

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # platforms that omit the offset mean UTC
        return value


class BatchIn(BaseModel):
    responses: list[dict[str, Any]] = Field(min_length=1)


def scale_errors(response: ResponseIn, program: ProgramDefinition) -> list[dict[str, str]]:
    """Answers outside their question's scale. Answers the programme does not declare are kept as given."""
    errors = []
    for key, value in response.answers.items():
        question = program.question(key)
        if question is not None and not question.scale.contains(value):
            errors.append(
                {
                    "field": f"answers.{key}",
                    "message": f"{value:g} is outside the scale {question.scale.min:g}–{question.scale.max:g} "
                    f"of programme '{program.program}'",
                }
            )
    return errors
