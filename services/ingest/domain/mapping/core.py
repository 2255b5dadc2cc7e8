"""From a platform's view of a response to the canonical ResponseIn, by a source's mapping.

Each platform module turns its payload into a `View` (answers under every name the platform
gives them, named sections such as `hidden`, the platform's response id and time); this module
resolves the mapping's references against the view and builds the canonical response, or raises
`MappingError` listing every field at fault with the path in the payload it came from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.contracts.programs import ProgramDefinition, Scale
from services.ingest.domain import paths
from services.ingest.domain.mapping.config import Mapping, Ref
from services.ingest.domain.response import ResponseIn

_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)(?=$|[\s\-–:.)/])")


class MappingError(Exception):
    """The payload cannot become a canonical response. `errors`: [{field, path, message}]."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        return "; ".join(
            f"{e['field']} ({e['path']}): {e['message']}" if e.get("path") else f"{e['field']}: {e['message']}"
            for e in self.errors
        )

    @classmethod
    def one(cls, field: str, path: str, message: str) -> MappingError:
        return cls([{"field": field, "path": path, "message": message}])


@dataclass(frozen=True)
class UnknownChoice:
    """A choice id the survey definition does not list (SurveyMonkey)."""

    choice_id: str


@dataclass
class View:
    answers: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # answer name -> its path in the payload
    sections: dict[str, Any] = field(default_factory=dict)
    document: Any = None  # the payload itself: any reference may also be a JSON path into it
    response_id: str | None = None
    response_id_path: str = "response_id"
    submitted_at: Any = None

    def add(self, names: list[Any], value: Any, where: str) -> None:
        for name in names:
            if isinstance(name, str) and name and name not in self.answers:
                self.answers[name] = value
                self.where[name] = where


class _NotFound(Exception):
    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason


def resolve(view: View, reference: str) -> tuple[Any, str]:
    """(value, where it was) for a reference: an answer's name, `<section>.<path>`, or a JSON path."""
    if reference in view.answers:
        return view.answers[reference], view.where.get(reference, reference)
    head, dot, rest = reference.partition(".")
    if dot and head in view.sections:  # a section named explicitly: look nowhere else
        try:
            return paths.get(view.sections[head], rest), reference
        except paths.PathSyntaxError as exc:
            raise _NotFound(reference, str(exc)) from None
        except paths.Missing as exc:
            raise _NotFound(reference, f"{head}: {exc.reason}") from None
    if view.document is not None:
        try:
            return paths.get(view.document, reference), reference
        except paths.PathSyntaxError:
            pass
        except paths.Missing as exc:
            if any(c in reference for c in ".[$"):
                raise _NotFound(reference, exc.reason) from None
    raise _NotFound(reference, f"no answer or field named '{reference}'")


def _scalar(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def as_text(value: Any) -> str | None:
    """A value as text: numbers keep their digits, lists of labels are joined; objects are an error."""
    value = _scalar(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value) or None
    if isinstance(value, UnknownChoice):
        raise ValueError(f"choice id '{value.choice_id}' is not in the survey definition")
    raise ValueError(f"expected a value, found {type(value).__name__}")


def as_number(value: Any, ref: Ref) -> float:
    value = _scalar(value)
    if isinstance(value, UnknownChoice):
        raise ValueError(f"choice id '{value.choice_id}' is not in the survey definition")
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a number, found {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        if ref.values and value.strip() in ref.values:
            number = float(ref.values[value.strip()])
        else:
            m = _NUMBER.match(value)
            if m is None:
                known = f" (mapped labels: {sorted(ref.values)})" if ref.values else ""
                raise ValueError(f"'{value[:80]}' is not a number{known}")
            number = float(m.group(1).replace(",", "."))
    else:
        raise ValueError(f"expected a number, found {type(value).__name__}")
    if not math.isfinite(number):
        raise ValueError("the number is not finite")
    return number


def rescale(value: float, platform: Scale | None, programme: Scale | None) -> float:
    """Map a value from the platform's scale onto the programme's, linearly."""
    if platform is None:
        return value
    if not platform.contains(value):
        raise ValueError(f"{value:g} is outside the platform's scale {platform.min:g}–{platform.max:g}")
    if programme is None or (programme.min, programme.max) == (platform.min, platform.max):
        return value
    mapped = programme.min + (value - platform.min) * (programme.max - programme.min) / (platform.max - platform.min)
    return round(mapped, 6)


def to_response(
    view: View, mapping: Mapping, *, source_id: str, program: str, definition: ProgramDefinition | None
) -> ResponseIn:
    """The canonical response, or MappingError naming every field at fault and where it looked."""
    errors: list[dict[str, str]] = []
    where: dict[str, str] = {}

    def pick(name: str, ref: Ref | None, *, required: bool = False) -> Any:
        if ref is None:
            if required:
                errors.append({"field": name, "path": "", "message": "not mapped"})
            return None
        if ref.value is not None:
            where[name] = "(constant)"
            return ref.value
        try:
            value, found_at = resolve(view, ref.field)
        except _NotFound as exc:
            if required:
                errors.append({"field": name, "path": exc.path, "message": f"required but missing: {exc.reason}"})
            return None
        where[name] = found_at
        if value is None or value == "" or value == []:
            if required:
                errors.append({"field": name, "path": found_at, "message": "required but empty"})
            return None
        return value

    def text(name: str, ref: Ref | None, *, required: bool = False) -> str | None:
        raw = pick(name, ref, required=required)
        if raw is None:
            return None
        try:
            out = as_text(raw)
        except ValueError as exc:
            errors.append({"field": name, "path": where.get(name, ""), "message": str(exc)})
            return None
        if out is None and required:
            errors.append({"field": name, "path": where.get(name, ""), "message": "required but empty"})
        return out

    if mapping.response_id is not None:
        platform_id = text("response_id", mapping.response_id, required=True)
    else:
        platform_id = view.response_id
        if not platform_id:
            errors.append(
                {"field": "response_id", "path": view.response_id_path, "message": "the payload carries no response id"}
            )
    customer_id = text("customer.id", mapping.customer_id, required=True)

    answers: dict[str, float] = {}
    for key, ref in mapping.answers.items():
        raw = pick(f"answers.{key}", ref)
        if raw is None:
            continue  # a skipped question: scoring says which answer is missing
        try:
            target = definition.question(key).scale if definition and definition.question(key) else None
            answers[key] = rescale(as_number(raw, ref), ref.scale, target)
        except ValueError as exc:
            errors.append({"field": f"answers.{key}", "path": where.get(f"answers.{key}", ""), "message": str(exc)})

    attributes: dict[str, Any] = {}
    for name, ref in mapping.attributes.items():
        value = text(f"customer.attributes.{name}", ref)
        if value is not None:
            attributes[name] = value

    body: dict[str, Any] = {
        "response_id": f"{source_id}:{platform_id}" if platform_id else None,
        "program": program,
        "customer": {
            "id": customer_id,
            "email": text("customer.email", mapping.email),
            "name": text("customer.name", mapping.name),
            "attributes": attributes,
        },
        "touchpoint": text("touchpoint", mapping.touchpoint),
        "answers": answers,
        "comment": text("comment", mapping.comment),
        "case_id": text("case_id", mapping.case_id),
        "invitation_token": text("invitation_token", mapping.invitation_token),
        "submitted_at": (
            text("submitted_at", mapping.submitted_at)
            if mapping.submitted_at
            else as_text(view.submitted_at)
            if view.submitted_at
            else None
        ),
    }
    if errors:
        raise MappingError(errors)
    try:
        return ResponseIn.model_validate(body)
    except ValidationError as exc:
        found = []
        for e in exc.errors():
            field_name = ".".join(str(p) for p in e.get("loc", ())) or "body"
            found.append({"field": field_name, "path": where.get(field_name, ""), "message": e.get("msg", "invalid")})
        raise MappingError(found) from None
