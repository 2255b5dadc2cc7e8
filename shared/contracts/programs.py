from __future__ import annotations

from pydantic import Field, model_validator

from shared.events import EventData

IEC_QUESTIONS = ("experience", "worth", "recommend")


class Scale(EventData):
    """The range a question is answered on; mapped linearly onto the IEC's 1–10."""

    min: float = 1
    max: float = 10

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError("scale max must be greater than min")
        return self

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


class Question(EventData):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    scale: Scale = Scale()
    weight: float = Field(1.0, ge=0)


class SegmentBands(EventData):
    """Lower bounds of the upper three segments on the 1–10 IEC scale."""

    funcional: float = 5
    pasivo: float = 7
    wow: float = 9

    @model_validator(mode="after")
    def _ascending(self) -> SegmentBands:
        if not (1 < self.funcional < self.pasivo < self.wow <= 10):
            raise ValueError("bands must satisfy 1 < funcional < pasivo < wow <= 10")
        return self


class ProgramDefinition(EventData):
    """A survey programme: its questions (scales, weights) and segment bands.

    `questions` holds the three IEC questions and any others the programme asks (ces, csat…);
    only the IEC questions enter the IEC, the rest are kept and validated against their scale.
    """

    program: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    questions: list[Question]
    bands: SegmentBands = SegmentBands()
    version: int = 1

    @model_validator(mode="after")
    def _has_iec_questions(self) -> ProgramDefinition:
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("question keys must be unique")
        missing = [k for k in IEC_QUESTIONS if k not in keys]
        if missing:
            raise ValueError(f"the IEC questions are required: missing {', '.join(missing)}")
        if sum(q.weight for q in self.questions if q.key in IEC_QUESTIONS) <= 0:
            raise ValueError("the IEC questions' weights must not all be zero")
        return self

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


DEFAULT_PROGRAM = ProgramDefinition(
    program="default",
    questions=[Question(key=k) for k in IEC_QUESTIONS],
)


class ProgramChanged(EventData):
    """`lazo.program.changed`: the full definition, so any service can keep its own copy."""

    definition: ProgramDefinition
