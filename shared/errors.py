"""One error type per kind of failure, and nothing else: no HTTP, no database, no broker.

Domain code raises these; `shared.http.problems` maps each kind to its status and problem+json in
one place, and consumers map `PermanentError` to the dead-letter topic (`shared.transient` says
which failures of the infrastructure are retried instead).
"""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A failure the caller can read: a detail, and the fields at fault when there are any."""

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class InvalidInput(Problem):
    """The request (or a value in it) breaks a rule: sending it again will not help."""


class NotFound(Problem):
    pass


class Conflict(Problem):
    """The request does not fit the current state (a forbidden transition, a concurrent change)."""


class Unauthorized(Problem):
    pass


class Forbidden(Problem):
    pass


class PayloadTooLarge(Problem):
    pass


class TooManyRequests(Problem):
    def __init__(self, detail: str, *, retry_after: int, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Unavailable(Problem):
    """A dependency (broker, database) cannot take the request now; the caller retries."""

    def __init__(self, detail: str, *, retry_after: int = 2, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class PermanentError(Exception):
    """An event that can never be processed (malformed, violates the contract): dead-letter it."""
