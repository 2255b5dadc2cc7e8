"""How an admin changes a programme's taxonomy: add a cause, rename it, change its cues, retire
it (or bring it back), or replace the whole taxonomy. No I/O.

Every change is a new version (one more than the current one), validated whole by
domain/comments/taxonomy.py; a retired cause keeps its key, names and history but tags nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict, InvalidInput, NotFound
from services.scoring.domain.comments import Taxonomy, TaxonomyCause, TaxonomyError


def _invalid(exc: TaxonomyError, prefix: str = "") -> InvalidInput:
    field = f"{prefix}.{exc.field}" if prefix and exc.field else (prefix or exc.field)
    return InvalidInput(f"{field}: {exc.message}", errors=[{"field": field, "message": exc.message}])


def _next(current: Taxonomy, causes: list[TaxonomyCause]) -> Taxonomy:
    try:
        return Taxonomy(causes=tuple(causes), version=current.version + 1)
    except TaxonomyError as exc:
        raise _invalid(exc) from None


def replace(current: Taxonomy, body: Mapping[str, Any]) -> Taxonomy:
    """The whole taxonomy from a PUT body `{"causes": [...]}` (its `version` is the server's)."""
    try:
        proposed = Taxonomy.from_dict({"causes": body.get("causes"), "version": current.version + 1})
    except TaxonomyError as exc:
        raise _invalid(exc) from None
    return proposed


def add_cause(current: Taxonomy, body: Mapping[str, Any]) -> Taxonomy:
    """A new cause `{"key", "names", "cues", "retired"?}` at the end of the list."""
    try:
        cause = TaxonomyCause.from_dict(body)
    except TaxonomyError as exc:
        raise _invalid(exc) from None
    if current.get(cause.key) is not None:
        raise Conflict(
            f"cause '{cause.key}' exists already; change it with PATCH, or bring it back from "
            'retirement with {"retired": false}'
        )
    return _next(current, [*current.causes, cause])


def change_cause(current: Taxonomy, key: str, body: Mapping[str, Any]) -> Taxonomy:
    """Rename (`names`), re-cue (`cues`), retire or bring back (`retired`) one cause; the fields
    left out stay as they are. The key never changes: history is counted under it."""
    cause = current.get(key)
    if cause is None:
        raise NotFound(f"no cause '{key}' in this programme's taxonomy")
    unknown = set(body) - {"names", "cues", "retired"}
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(
            f"{field}: unknown field (the key cannot change)",
            errors=[{"field": field, "message": "unknown field (the key cannot change)"}],
        )
    merged = {**cause.to_dict(), **{k: v for k, v in body.items() if v is not None}}
    try:
        changed = TaxonomyCause.from_dict(merged)
    except TaxonomyError as exc:
        raise _invalid(exc) from None
    return _next(current, [changed if c.key == key else c for c in current.causes])
