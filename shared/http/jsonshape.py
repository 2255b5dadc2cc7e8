"""How far a JSON body may expand in memory, judged from its bytes before any parser sees them.

A small body can cost a great deal once parsed: `[{},{},…]` is three bytes per empty dict of 64,
so a few MiB of it is hundreds of MiB of Python objects, and pydantic then adds an error per
item. The body cap bounds the bytes; this bounds what they can turn into: at most `max_values`
JSON values (every object, array and string opened, and every comma: a number or literal is
always next to one) and at most `max_depth` levels of nesting.

It runs on each chunk as it arrives, and only C code looks at the bytes: escaped backslashes and
quotes are taken out (`bytes.replace`), so every quote left opens or closes a string; splitting on
quotes leaves what is outside strings, where `bytes.count` counts the values; the nesting is
measured on the brackets alone by removing innermost pairs (one pass per level: a flat body costs
one pass). No Python code runs per character.
"""

from __future__ import annotations

import re

_PAIR = re.compile(rb"[\[{][\]}]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")

MAX_DEPTH = 512
# A value costs at most ~100 bytes once parsed (an empty dict is 64, plus its slot in the parent);
# one value per 16 bytes of the route's body cap keeps a parsed body within ~6× that cap, and is
# far above what any valid request needs (a canonical response is ~6 bytes per value at its
# densest, and holds a few hundred values at most).
BYTES_PER_VALUE = 16


class ShapeError(ValueError):
    def __init__(self, message: str, *, too_large: bool):
        super().__init__(message)
        self.too_large = too_large  # 413 (too much) rather than 422 (malformed)


class JsonShape:
    """Fed a body's chunks in order; `feed` raises ShapeError once the body goes over a limit."""

    __slots__ = ("max_values", "max_depth", "values", "depth", "_in_string", "_backslash")

    def __init__(self, max_values: int, max_depth: int = MAX_DEPTH):
        self.max_values = max_values
        self.max_depth = max_depth
        self.values = 0
        self.depth = 0
        self._in_string = False
        self._backslash = False  # the previous chunk ended in an odd run of backslashes

    @classmethod
    def for_limit(cls, body_limit: int) -> JsonShape:
        return cls(max(1024, body_limit // BYTES_PER_VALUE))

    def feed(self, chunk: bytes) -> None:
        if self._backslash:
            chunk = b"\\" + chunk
        # A run of backslashes at the end may pair with the next chunk's first byte: keep its parity.
        kept = chunk.rstrip(b"\\")
        self._backslash = (len(chunk) - len(kept)) % 2 == 1
        if b"\\" in kept:  # escapes only occur inside strings; none of what is left is a quote
            kept = kept.replace(b"\\\\", b"").replace(b'\\"', b"")
        parts = kept.split(b'"')
        # parts alternate outside / inside a string, starting from where the last chunk ended.
        outside = b"".join(parts[1 if self._in_string else 0 :: 2])
        opened = (len(parts) - 1) // 2 if self._in_string else len(parts) // 2  # strings begun here
        if len(parts) % 2 == 0:  # an odd number of quotes
            self._in_string = not self._in_string
        self.values += opened + outside.count(b"{") + outside.count(b"[") + outside.count(b",")
        if self.values > self.max_values:
            raise ShapeError(f"more than {self.max_values} JSON values in one body", too_large=True)
        # Within the chunk the nesting never goes deeper than its depth at the start, plus the
        # brackets it leaves open, plus how deep its own matched pairs nest: an upper bound (at
        # most three times the truth), reached without looking at the brackets one by one.
        brackets = outside.translate(None, _NOT_BRACKETS)
        levels = 0
        while True:
            brackets, removed = _PAIR.subn(b"", brackets)
            if not removed:
                break
            levels += 1
            if self.depth + levels > self.max_depth:
                raise ShapeError(f"JSON nested deeper than {self.max_depth} levels", too_large=False)
        closed = len(brackets) - len(brackets.lstrip(b"}]"))
        opened_brackets = len(brackets) - closed
        if self.depth + opened_brackets + levels > self.max_depth:
            raise ShapeError(f"JSON nested deeper than {self.max_depth} levels", too_large=False)
        self.depth = max(0, self.depth - closed) + opened_brackets
