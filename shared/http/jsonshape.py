"""How far a JSON body may expand in memory, judged from its bytes before any parser sees them.

A small body can cost a great deal once parsed: `[{},{},…]` is three bytes per empty dict of 64,
so a few MiB of it is hundreds of MiB of Python objects, and pydantic then adds an error per
item. The body cap bounds the bytes; this bounds what they can turn into: at most `max_values`
JSON values (every object, array and string opened, and every comma: a number or literal is
always next to one) and at most `max_depth` levels of nesting. It runs on each chunk as it
arrives, in C-speed regex scans; only structural characters outside strings are looked at one by
one, and there are never more of those than the limits allow before the body is refused.
"""

from __future__ import annotations

import re

# The rest of a string: anything but a quote or a backslash, or an escape pair, as many as possible.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_STRUCTURE = re.compile(rb'["{}\[\],]')

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

    __slots__ = ("max_values", "max_depth", "values", "depth", "_in_string", "_escaped")

    def __init__(self, max_values: int, max_depth: int = MAX_DEPTH):
        self.max_values = max_values
        self.max_depth = max_depth
        self.values = 0
        self.depth = 0
        self._in_string = False
        self._escaped = False  # the previous chunk ended in the middle of an escape

    @classmethod
    def for_limit(cls, body_limit: int) -> "JsonShape":
        return cls(max(1024, body_limit // BYTES_PER_VALUE))

    def feed(self, chunk: bytes) -> None:
        pos, end = 0, len(chunk)
        if self._escaped and end:
            pos, self._escaped = 1, False
        while pos < end:
            if self._in_string:
                pos = _STRING_REST.match(chunk, pos).end()
                if pos == end:
                    return
                if chunk[pos] == 0x22:  # the closing quote
                    self._in_string = False
                    pos += 1
                else:  # a backslash as the chunk's last byte: its escaped byte comes next
                    self._escaped = True
                    return
                continue
            found = _STRUCTURE.search(chunk, pos)
            if found is None:
                return
            pos = found.end()
            char = chunk[found.start()]
            if char in (0x7D, 0x5D):  # } ]
                self.depth = max(0, self.depth - 1)
                continue
            self.values += 1
            if char == 0x22:
                self._in_string = True
            elif char != 0x2C:  # { [
                self.depth += 1
                if self.depth > self.max_depth:
                    raise ShapeError(f"JSON nested deeper than {self.max_depth} levels", too_large=False)
            if self.values > self.max_values:
                raise ShapeError(f"more than {self.max_values} JSON values in one body", too_large=True)
