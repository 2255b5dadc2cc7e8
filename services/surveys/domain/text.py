"""The checks every free-text field of the planner shares (a helper local to this package).

A single-line value is refused when it holds a lone surrogate (not encodable: it would fail at
the database or the SMTP server, far from the input), a control character or a line/paragraph
separator (header injection, broken CSV exports) or a bidirectional override (spoofed names in
an email greeting). Everything else in Unicode is welcome: names are written in every script.
"""

from __future__ import annotations

import unicodedata

_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def line_problem(value: str) -> str | None:
    """Why `value` is not acceptable single-line text, or None."""
    if value.isascii():
        # ASCII printable is 0x20–0x7E: everything else is a control character.
        return None if value.isprintable() else "contains a control character"
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "contains a lone surrogate (not valid Unicode text)"
        if category in _FORBIDDEN_CATEGORIES:
            return "contains a control character or line break"
        if char in _BIDI_CONTROLS:
            return "contains a bidirectional control character"
    return None


def clean_line(value: object, *, max_length: int, min_length: int = 1) -> str:
    """`value` as a stripped single line within bounds, or ValueError saying what is wrong."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = value.strip()
    if len(value) < min_length:
        raise ValueError("must not be empty" if min_length == 1 else f"must be at least {min_length} characters")
    if len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    problem = line_problem(value)
    if problem:
        raise ValueError(problem)
    return value
