"""Exceptions as log text without personal data.

An exception's message may quote the data that caused it (pydantic's `input_value=…`, a value in
an error string), and that data may be a customer's email, name or comment. Logs must never hold
those, so where an arbitrary exception is logged we keep its type and where it happened (the
frames: file, line, source), and leave its message to places with access control (the
dead-letter topic, the API answer to the caller).
"""

from __future__ import annotations

import logging
import traceback


def describe(exc: BaseException) -> str:
    """`TypeName` plus the frames of the exception and of its causes, without any message."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__)).rstrip()
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}" + (f"\n{frames}" if frames else ""))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\ncaused by: ".join(parts)


class WithoutExceptionText(logging.Filter):
    """A handler filter: a record carrying an exception (`log.exception`, uvicorn's "Exception in
    ASGI application") keeps its message and the exception's frames, never the exception's text.
    Installed on every handler by shared.http.app.configure_logging, so no code path can forget."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string must not lose the record
                message = str(record.msg)
            record.msg, record.args = f"{message}: {describe(record.exc_info[1])}", ()
            record.exc_info, record.exc_text = None, None
        return True
