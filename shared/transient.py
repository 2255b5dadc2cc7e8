"""Which failures belong to the infrastructure, not to the request or the event.

A consumer holds its offsets and retries these; an HTTP request answers 503 with Retry-After; a
replay stays pending. Everything else is the request's or the event's own fault.
"""

from __future__ import annotations

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def is_retriable(exc: BaseException) -> bool:
    """The same request or event may succeed later: a database or broker away, a timeout."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, KafkaError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))
