"""One error type per kind of failure.

HTTP maps `Problem` subclasses to problem+json (shared.http.problems); consumers map
`PermanentError` to the dead-letter topic and anything `is_retriable` to a retry.
"""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A failure the caller can read: rendered as RFC 9457 problem+json."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class InvalidInput(Problem):
    status = 422
    title = "Invalid input"


class NotFound(Problem):
    status = 404
    title = "Not found"


class Conflict(Problem):
    status = 409
    title = "Conflict"


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class PayloadTooLarge(Problem):
    status = 413
    title = "Payload too large"


class TooManyRequests(Problem):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Unavailable(Problem):
    """A dependency (broker, database) cannot take the request now; the caller retries."""

    status = 503
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 2, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class PermanentError(Exception):
    """An event that can never be processed (malformed, violates the contract): dead-letter it."""


def is_retriable(exc: BaseException) -> bool:
    """Failures of infrastructure, not of the event: the same event may succeed later."""
    from sqlalchemy.exc import DBAPIError, OperationalError, InterfaceError, TimeoutError as SATimeout
    from aiokafka.errors import KafkaError

    if isinstance(exc, (OperationalError, InterfaceError, SATimeout, KafkaError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))
