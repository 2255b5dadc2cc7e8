"""A source's mapping: where, in its platform's payload, each part of the canonical response is.

Configuration, not code: an admin writes it as JSON when creating the source, e.g. for Typeform

    {"customer_id": "hidden.customer_id",
     "answers": {"experience": "exp_ref", "worth": "worth_ref",
                 "recommend": {"field": "nps_ref", "scale": {"min": 0, "max": 10}}},
     "comment": "comment_ref", "email": "hidden.email", "touchpoint": {"value": "web"},
     "case_id": "hidden.case_id", "invitation_token": "hidden.t"}

A reference is a string (shorthand for {"field": …}) or an object:
- `field`: the platform's name for the value (a question's ref/id/key/label, `hidden.<name>`,
  …, see each platform's page) or a JSON path into the payload;
- `value`: a constant instead (e.g. every response of this source comes from the web);
- `scale` (answers only): the scale the platform asks the question on. When the programme
  declares another scale for that answer, the value is mapped linearly onto it (a 1–5 star
  rating onto a 1–10 question); a value outside it is a mapping error;
- `values` (answers only): label -> number, for questions answered with words ("Sí": 10).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.contracts.programs import Scale

ANSWER_KEY = r"^[a-z][a-z0-9_]*$"


class Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str | None = Field(None, min_length=1, max_length=500)
    value: str | float | None = None
    scale: Scale | None = None
    values: dict[str, float] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"field": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> Ref:
        if (self.field is None) == (self.value is None):
            raise ValueError("give either 'field' (where the value is) or 'value' (a constant)")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: Ref
    answers: dict[str, Ref] = {}
    comment: Ref | None = None
    email: Ref | None = None
    name: Ref | None = None
    touchpoint: Ref | None = None
    case_id: Ref | None = None
    invitation_token: Ref | None = None  # the survey planner's token, e.g. "hidden.t"
    attributes: dict[str, Ref] = {}
    # The platform's response id is used unless this says otherwise (generic JSON must say).
    response_id: Ref | None = None
    submitted_at: Ref | None = None

    @field_validator("answers")
    @classmethod
    def _answer_keys(cls, answers: dict[str, Ref]) -> dict[str, Ref]:
        import re

        bad = [k for k in answers if not re.fullmatch(ANSWER_KEY, k) or len(k) > 64]
        if bad:
            raise ValueError(f"answer keys must be lower_snake_case (like the programme's questions): {bad}")
        return answers

    @field_validator("attributes")
    @classmethod
    def _attribute_keys(cls, attributes: dict[str, Ref]) -> dict[str, Ref]:
        if any(not k or len(k) > 64 for k in attributes):
            raise ValueError("attribute names must be 1–64 characters")
        return attributes
