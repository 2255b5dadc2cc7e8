"""Survey programmes: what a revision may contain, and how its version moves. No I/O."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition
from shared.errors import InvalidInput
from shared.validation import validation_errors

# Programmes every installation has without anyone defining them.
BUILT_IN = {DEFAULT_PROGRAM.program: DEFAULT_PROGRAM}


def revise(name: str, current: ProgramDefinition | None, body: dict[str, Any]) -> ProgramDefinition:
    """The next version of programme `name` from a PUT body; InvalidInput naming the field at fault.

    The version is the server's: one more than the current one (1 for a new programme).
    """
    if body.get("program") not in (None, name):
        raise InvalidInput(
            "the body's programme differs from the one in the path",
            errors=[{"field": "program", "message": f"'{body['program']}' does not match the path's '{name}'"}],
        )
    fields = {k: v for k, v in body.items() if k not in ("program", "version")}
    try:
        return ProgramDefinition(**fields, program=name, version=current.version + 1 if current else 1)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        for e in errors:
            if e["field"] == "body":  # whole-definition rules are all about the question list
                e["field"] = "questions"
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors) from exc
