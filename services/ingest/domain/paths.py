"""A small JSON-path-style language for pointing at a value inside a platform's payload.

    answers.q1            object keys, separated by dots
    fields[0].value       list index
    fields[key=abc].value the first list element whose `key` equals `abc`
    answers["Your name"]  a quoted key (spaces, dots, brackets)
    $.answers.q1          a leading `$` or `$.` is allowed and ignored

Deliberately small (no wildcards, no filters beyond equality): a mapping points at one value,
and an admin reading it should see exactly which one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[^.\[\]]+")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_INDEX = re.compile(r"\[(-?\d+)\]")
_QUOTED = re.compile(r"""\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]""")
_MATCH = re.compile(r"\[([^=\[\]]+)=([^\]]*)\]")


class PathSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    kind: str  # "key" | "index" | "match"
    key: str | None = None
    index: int | None = None
    value: str | None = None

    def __str__(self) -> str:
        if self.kind == "index":
            return f"[{self.index}]"
        if self.kind == "match":
            return f"[{self.key}={self.value}]"
        return f".{self.key}" if _PLAIN.fullmatch(self.key or "") else f'["{self.key}"]'


def parse(path: str) -> list[Step]:
    """The steps of a path, or PathSyntaxError saying where it goes wrong."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
        if text.startswith("."):
            text = text[1:]
    steps: list[Step] = []
    pos = 0
    expect_name = True
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            for pattern, kind in ((_INDEX, "index"), (_QUOTED, "quoted"), (_MATCH, "match")):  # noqa: B007 (read after the break)
                m = pattern.match(text, pos)
                if m:
                    break
            else:
                raise PathSyntaxError(f"unreadable bracket at character {pos + 1} of '{path}'")
            if kind == "index":
                steps.append(Step("index", index=int(m.group(1))))
            elif kind == "quoted":
                raw = m.group(1) if m.group(1) is not None else m.group(2)
                steps.append(Step("key", key=re.sub(r"\\(.)", r"\1", raw)))
            else:
                steps.append(Step("match", key=m.group(1).strip(), value=m.group(2).strip().strip("'\"")))
            pos = m.end()
            expect_name = False
        elif ch == ".":
            if expect_name:
                raise PathSyntaxError(f"empty name at character {pos + 1} of '{path}'")
            pos += 1
            expect_name = True
        else:
            m = _NAME.match(text, pos)
            if m is None or (not expect_name):
                raise PathSyntaxError(f"expected '.' or '[' at character {pos + 1} of '{path}'")
            steps.append(Step("key", key=m.group(0)))
            pos = m.end()
            expect_name = False
    if not steps:
        raise PathSyntaxError("the path is empty")
    if expect_name and text.endswith("."):
        raise PathSyntaxError(f"'{path}' ends with '.'")
    return steps


class Missing(LookupError):
    """Nothing at the path; `at` is the prefix that did resolve, for the error message."""

    def __init__(self, at: str, reason: str):
        super().__init__(reason)
        self.at = at
        self.reason = reason


def _matches(item: Any, key: str, value: str) -> bool:
    if not isinstance(item, dict) or key not in item:
        return False
    got = item[key]
    return str(got).lower() == value.lower() if isinstance(got, bool) else str(got) == value


def get(document: Any, path: str | list[Step]) -> Any:
    """The value at `path`, or Missing naming how far it got."""
    steps = parse(path) if isinstance(path, str) else path
    current = document
    walked = "$"
    for step in steps:
        if step.kind == "key":
            if not isinstance(current, dict) or step.key not in current:
                raise Missing(walked, f"no key '{step.key}' at {walked}")
            current = current[step.key]
        elif step.kind == "index":
            if not isinstance(current, list) or not -len(current) <= step.index < len(current):
                raise Missing(walked, f"no element [{step.index}] at {walked}")
            current = current[step.index]
        else:
            if not isinstance(current, list):
                raise Missing(walked, f"{walked} is not a list")
            found = next((item for item in current if _matches(item, step.key, step.value)), None)
            if found is None:
                raise Missing(walked, f"no element with {step.key}={step.value} at {walked}")
            current = found
        walked += str(step)
    return current
