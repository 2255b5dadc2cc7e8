"""NUL characters in requests: refused at the edge, before any parsing.

PostgreSQL's text cannot hold U+0000, so a NUL in a path, a query or a body field that reaches
the database fails there: a 500 from an API, a dead-lettered event from a consumer (a response
accepted by ingest that scoring cannot store). No field of Lazo's API means a NUL, so every
service answers it with a 422 instead, whatever the database: a NUL byte, a percent-encoded one
(query strings, form bodies), or a JSON `\\u0000` escape.
"""

from __future__ import annotations

_ESCAPE = b"\\u0000"
# A body is scanned chunk by chunk; this much of the previous chunk is kept so that an escape
# (and the backslashes before it) split between two chunks is still seen.
_TAIL = 32


def nul_in_target(path: str, query_string: bytes) -> str | None:
    """'path' or 'query' when the request line holds a NUL, else None."""
    if "\x00" in path:
        return "path"
    if b"\x00" in query_string or b"%00" in query_string:
        return "query"
    return None


def _real_escape(buffer: bytes, at: int) -> bool:
    """Whether the `\\u0000` at `at` is an escape: preceded by an even run of backslashes."""
    run = 0
    while at - run - 1 >= 0 and buffer[at - run - 1] == 0x5C:
        run += 1
    return run % 2 == 0


class NulScanner:
    """Fed a body's chunks in order; `feed` says whether a NUL has been seen so far."""

    def __init__(self, form: bool = False):
        self._form = form  # application/x-www-form-urlencoded: %00 is a NUL too
        self._tail = b""

    def feed(self, chunk: bytes) -> bool:
        if not chunk:
            return False
        kept = len(self._tail)
        buffer = self._tail + chunk
        self._tail = buffer[-_TAIL:]
        if b"\x00" in chunk or (self._form and b"%00" in buffer):
            return True
        # Only escapes that end in this chunk: those wholly in the kept tail were judged already.
        at = buffer.find(_ESCAPE, max(0, kept - len(_ESCAPE) + 1))
        while at != -1:
            if _real_escape(buffer, at):
                return True
            at = buffer.find(_ESCAPE, at + 1)
        return False
