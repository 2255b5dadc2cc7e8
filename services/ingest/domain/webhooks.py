"""What a platform webhook became (`Outcome`), and how a body is told apart before its source is known.

Pure code: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# The most a Formbricks endpoint test (`{"event": "testEndpoint"}`) can be.
FORMBRICKS_TEST_BYTES = 200


@dataclass
class Outcome:
    status: str  # accepted | quarantined | fetching | ignored | duplicate
    response_id: str | None = None
    quarantine_id: str | None = None
    reason: str | None = None
    errors: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def is_formbricks_test(body: bytes) -> bool:
    """`{"event": "testEndpoint"}`: the request Formbricks sends when a webhook is saved."""
    if len(body) > FORMBRICKS_TEST_BYTES:
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("event") == "testEndpoint" and not payload.get("data")


def body_key(body: bytes) -> str:
    """The delivery key of a body that names no response id."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
