from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from shared.events import EventData


class Customer(EventData):
    id: str
    email: str | None = None
    name: str | None = None
    attributes: dict[str, Any] = {}


class ResponseReceived(EventData):
    """`lazo.response.received`: one canonical survey response, as accepted by ingest."""

    response_id: str
    program: str = "default"
    customer: Customer
    submitted_at: datetime
    received_at: datetime
    touchpoint: str | None = None
    answers: dict[str, float]
    comment: str | None = None
    case_id: str | None = None
    source: str | None = None
    # Added compatibly: `content_digest` of what the client sent, so that a consumer can tell an
    # identical retry of a response id (harmless) from other content under the same id (a conflict).
    digest: str | None = None
    # Added compatibly: the survey planner's invitation token the form returned (a hidden field),
    # so the answer is tied to its invitation. How the response came, not what it says: not digested.
    invitation_token: str | None = None


# What says when and how a response arrived, not what it says.
_NOT_CONTENT = frozenset({"received_at", "source", "digest", "invitation_token"})


def content_digest(data: Mapping[str, Any], *, submitted_at_given: bool = True) -> str:
    """sha256 of a response's content (its event data without arrival details), keys sorted.

    `submitted_at_given=False`: ingest defaulted it to the time of receipt, so two identical
    retries differ there; it is then left out.
    """
    content = {k: v for k, v in data.items() if k not in _NOT_CONTENT}
    if not submitted_at_given:
        content.pop("submitted_at", None)
    return "sha256:" + hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
