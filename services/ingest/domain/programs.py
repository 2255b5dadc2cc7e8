"""Ingest's copy of the survey programmes, fed by scoring's `lazo.program.changed` events."""

from __future__ import annotations

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramChanged, ProgramDefinition
from shared.events import Envelope, EventType


class ProgramCatalog:
    def __init__(self) -> None:
        self._programs: dict[str, ProgramDefinition] = {DEFAULT_PROGRAM.program: DEFAULT_PROGRAM}

    def get(self, name: str) -> ProgramDefinition | None:
        return self._programs.get(name)

    def apply(self, envelope: Envelope) -> None:
        if envelope.type != EventType.PROGRAM_CHANGED:
            return
        definition = envelope.parse(ProgramChanged).definition
        current = self._programs.get(definition.program)
        if current is None or definition.version >= current.version:
            self._programs[definition.program] = definition
