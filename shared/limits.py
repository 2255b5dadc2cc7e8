"""How big and what shape an input may be: the bounds every edge enforces, in one place.

Why these numbers. The broker takes messages up to 1 MiB (Kafka's `message.max.bytes`, Tansu's
default, aiokafka's `max_request_size`). One survey response becomes several events downstream
(`lazo.response.received`, `lazo.score.computed`, `lazo.alert.raised`, `lazo.case.*`, and a dead
letter wrapping any of them), each carrying part of it. So ingest accepts a response only while
its event data stays within `RESPONSE_MAX_BYTES`, and every event built from it then stays under
`EVENT_BUDGET_BYTES`, a quarter of the broker's limit: room for what later versions add (comment
analysis) without ever reaching the broker's refusal. `tests/unit/test_event_budget.py` builds the
largest accepted responses and runs them through every service's real event builders to prove it.

Ids are bounded so that every column they reach, and every id derived from them, fits on SQLite
and PostgreSQL alike (`varchar(n)` counts characters): `score:<response_id>` goes into inboxes'
String(200), case ids into casework's String(64), customer ids into String(200) everywhere.

Everything else here is pure: checks that return what is wrong (or None), no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import AfterValidator, Field

from shared.clock import as_utc

if TYPE_CHECKING:
    from shared.settings import Settings

KIB = 1024

# --- the broker and the events ------------------------------------------------------------------

BROKER_MESSAGE_BYTES = 1024 * KIB
EVENT_BUDGET_BYTES = 256 * KIB
# The data of a `lazo.response.received`, serialised as the event carries it.
RESPONSE_MAX_BYTES = 64 * KIB

# --- ids -------------------------------------------------------------------------------------------

RESPONSE_ID_CHARS = 128  # its longest derived id, `score:<id>`, is 134 of an inbox's 200
CUSTOMER_ID_CHARS = 200  # every customer_id column (and the Kafka key)
CASE_ID_CHARS = 64  # casework's cases.case_id (Lazo's case ids are UUIDs, 36)
PROGRAM_CHARS = 64
PROGRAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
TOUCHPOINT_CHARS = 64

# --- contact, answers, attributes, comment -----------------------------------------------------

EMAIL_CHARS = 320  # RFC 5321's path limit; the email columns
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
NAME_CHARS = 300
ANSWERS_MAX = 50
ANSWER_KEY_CHARS = 64
ANSWER_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"  # the programmes' question keys
_ANSWER_KEY = re.compile(ANSWER_KEY_PATTERN)
ATTRIBUTES_MAX_BYTES = 16 * KIB  # as compact UTF-8 JSON
ATTRIBUTES_MAX_DEPTH = 16
ATTRIBUTES_MAX_KEYS = 200  # object keys, at every level together
ATTRIBUTE_KEY_CHARS = 128
# LAZO_MAX_COMMENT_CHARS may lower or raise the comment's limit up to this; RESPONSE_MAX_BYTES
# still bounds the whole response, so the events stay within their budget whatever it says.
COMMENT_CHARS_CEILING = 20_000
COMMENT_CHARS_DEFAULT = 5_000
_INT64 = 2**63

# --- dates -------------------------------------------------------------------------------------

SUBMITTED_EARLIEST_DEFAULT = date(2000, 1, 1)
SUBMITTED_AHEAD_DEFAULT_H = 24.0
UTC = UTC

# --- text ------------------------------------------------------------------------------------------

# Lone UTF-16 surrogates (a JSON "\ud800" escape parses into one) are not Unicode text: they cannot
# be encoded as UTF-8, so PostgreSQL, orjson and every consumer refuse them. C0 controls are not
# text either, nor DEL (tab, line feed and carriage return excepted where text may span lines).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NOT_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _describe(char: str) -> str:
    if "\ud800" <= char <= "\udfff":
        return f"a lone UTF-16 surrogate (U+{ord(char):04X}), which is not valid Unicode"
    return f"the control character U+{ord(char):04X}"


def text_problem(value: str) -> str | None:
    """What makes `value` unfit as free text (it may span lines), or None."""
    bad = _NOT_TEXT.search(value)
    return f"contains {_describe(bad.group())}" if bad else None


def line_problem(value: str) -> str | None:
    """What makes `value` unfit as one line of text (a name, an email), or None."""
    bad = _NOT_LINE.search(value)
    return f"contains {_describe(bad.group())}" if bad else None


def id_problem(value: str) -> str | None:
    """Ids are printable: no controls, line breaks, invisible format characters or surrogates."""
    if value.isprintable():
        return None
    bad = next(c for c in value if not c.isprintable())
    control = bad < " " or "\ud800" <= bad <= "\udfff"
    what = _describe(bad) if control else f"the unprintable character U+{ord(bad):04X}"
    return f"must be printable characters; contains {what}"


def _checked(check):
    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


# Pydantic field types of the bounded inputs, shared by every edge that takes them.
ResponseId = Annotated[str, Field(min_length=1, max_length=RESPONSE_ID_CHARS), _checked(id_problem)]
CustomerId = Annotated[str, Field(min_length=1, max_length=CUSTOMER_ID_CHARS), _checked(id_problem)]
CaseId = Annotated[str, Field(min_length=1, max_length=CASE_ID_CHARS), _checked(id_problem)]
Program = Annotated[str, Field(min_length=1, max_length=PROGRAM_CHARS, pattern=PROGRAM_PATTERN)]
Touchpoint = Annotated[str, Field(min_length=1, max_length=TOUCHPOINT_CHARS), _checked(id_problem)]
Email = Annotated[str, Field(max_length=EMAIL_CHARS, pattern=EMAIL_PATTERN), _checked(line_problem)]
Name = Annotated[str, Field(max_length=NAME_CHARS), _checked(line_problem)]
Comment = Annotated[str, Field(max_length=COMMENT_CHARS_CEILING), _checked(text_problem)]
# The survey planner's opaque invitation token (services/surveys/domain/tokens.py), as a form returns it.
InvitationToken = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


def text_of(max_chars: int):
    """A field type for free text of at most `max_chars` characters (notes, causes)."""
    return Annotated[str, Field(max_length=max_chars), _checked(text_problem)]


def label_of(max_chars: int):
    """A field type for a short printable label of 1 to `max_chars` characters (an owner, a team)."""
    return Annotated[str, Field(min_length=1, max_length=max_chars), _checked(id_problem)]


def answer_keys_problem(keys: list[str]) -> str | None:
    if len(keys) > ANSWERS_MAX:
        return f"{len(keys)} answers; at most {ANSWERS_MAX}"
    bad = [k for k in keys if len(k) > ANSWER_KEY_CHARS or not _ANSWER_KEY.fullmatch(k)]
    if bad:
        shown = ", ".join(repr(k[:40]) for k in bad[:5])
        return (
            f"answer keys are lower_snake_case, 1–{ANSWER_KEY_CHARS} characters, like the programmes' "
            f"questions: {shown}"
        )
    return None


# --- free-form JSON (customer attributes) ------------------------------------------------------------


def nesting(value: Any) -> int:
    """How deep objects and arrays nest in a JSON value (a scalar: 0). Iterative: no recursion limit."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def attributes_problem(value: dict[str, Any]) -> str | None:
    """What makes a customer's attributes unfit to carry (naming where), or None.

    Bounded in depth, keys and serialised size; every string valid text, every number finite and
    within 64 bits (what every JSON reader downstream takes).
    """
    keys, stack = 0, [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            if depth > ATTRIBUTES_MAX_DEPTH:
                return f"attributes nest deeper than {ATTRIBUTES_MAX_DEPTH} levels (at '{path}')"
            keys += len(item)
            if keys > ATTRIBUTES_MAX_KEYS:
                return f"more than {ATTRIBUTES_MAX_KEYS} keys"
            for key, child in item.items():
                if not isinstance(key, str) or not key or len(key) > ATTRIBUTE_KEY_CHARS:
                    return f"key '{str(key)[:40]}' at '{path}': keys are 1–{ATTRIBUTE_KEY_CHARS} characters"
                if problem := line_problem(key):
                    return f"a key at '{path}' {problem}"
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            if depth > ATTRIBUTES_MAX_DEPTH:
                return f"attributes nest deeper than {ATTRIBUTES_MAX_DEPTH} levels (at '{path}')"
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            if problem := text_problem(item):
                return f"'{path}' {problem}"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -_INT64 <= item < _INT64:
                return f"'{path}' is an integer beyond 64 bits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"'{path}' is not a finite number"
        else:
            return f"'{path}' is not a JSON value"
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > ATTRIBUTES_MAX_BYTES:
        return f"{size} bytes as JSON; at most {ATTRIBUTES_MAX_BYTES}"
    return None


# --- events ----------------------------------------------------------------------------------------


def event_json_size(value: Any) -> int:
    """Bytes a JSON value takes inside a CloudEvent as Lazo writes one (shared.events: json.dumps,
    non-ASCII as \\u escapes, so a character may take up to 12 bytes)."""
    return len(json.dumps(value))  # ASCII only: characters are bytes


def oversized(data: Mapping[str, Any], limit: int) -> tuple[int, str] | None:
    """(size, largest part) when event data is over `limit` bytes, else None."""
    try:
        # Fast path: escaping makes the event's JSON at most 3 times orjson's compact UTF-8
        # (a 2-byte character becomes 6 bytes, a 4-byte one 12, separators gain a space).
        if 3 * len(orjson.dumps(data)) <= limit:
            return None
    except orjson.JSONEncodeError:
        pass
    size = event_json_size(data)
    if size <= limit:
        return None
    parts = {name: event_json_size(value) for name, value in data.items() if name != "customer"}
    parts.update({f"customer.{name}": event_json_size(value) for name, value in (data.get("customer") or {}).items()})
    return size, max(parts, key=parts.__getitem__)


# --- the window of submission dates --------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionWindow:
    """When a response may say it was submitted: not before `earliest`, not more than `ahead` after
    it reached Lazo (a platform's clock runs a little fast; a date years off is a mistake)."""

    earliest: datetime = datetime.combine(SUBMITTED_EARLIEST_DEFAULT, time(), UTC)
    ahead: timedelta = timedelta(hours=SUBMITTED_AHEAD_DEFAULT_H)

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmissionWindow:
        return cls(
            datetime.combine(settings.submitted_at_earliest, time(), UTC),
            timedelta(hours=settings.submitted_at_max_ahead_h),
        )

    def problem(self, value: datetime, received: datetime) -> str | None:
        """Why `value` cannot be a submission time of a response received at `received`, or None."""
        try:
            moment = as_utc(value)
        except OverflowError:
            return f"{value.isoformat()} is outside the dates Lazo can store"
        if moment < self.earliest:
            return f"{value.isoformat()} is before {self.earliest.date().isoformat()}, the earliest date accepted"
        if moment > received + self.ahead:
            hours = self.ahead.total_seconds() / 3600
            return f"{value.isoformat()} is more than {hours:g} h after the response was received"
        return None


@dataclass(frozen=True)
class ResponseBounds:
    """The bounds of a canonical response that an operator may tune (Settings)."""

    comment_chars: int = COMMENT_CHARS_DEFAULT
    window: SubmissionWindow = field(default_factory=SubmissionWindow)

    @classmethod
    def from_settings(cls, settings: Settings) -> ResponseBounds:
        return cls(settings.max_comment_chars, SubmissionWindow.from_settings(settings))
