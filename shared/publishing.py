"""What a failed publish means: the event can never be taken, the broker cannot take it now, or unclear.

The outbox relay and every request that publishes act on this: a *permanent* refusal is the
event's own fault (too large, a malformed record, an invalid topic name) and retrying it only
holds up everything behind it; a *transient* one is the broker's or the deployment's (away, slow,
a topic not created yet, an ACL missing) and is retried until it passes, visibly on /readyz; an
*unclear* one (a broker error aiokafka does not know, a client bug) is the event's fault only if
it keeps failing when the event is sent alone.
"""

from __future__ import annotations

import asyncio
import enum
import re

from aiokafka.errors import (
    BrokerNotAvailableError,
    BrokerResponseError,
    ClusterAuthorizationFailedError,
    CorruptRecordException,
    DuplicateSequenceNumber,
    InvalidProducerEpoch,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    ReplicaNotAvailableError,
    TopicAuthorizationFailedError,
    UnknownProducerId,
    UnknownTopicOrPartitionError,
    UnsupportedForMessageFormatError,
)
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from shared.errors import InvalidInput, PayloadTooLarge, Unavailable


class Verdict(enum.Enum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"
    UNCLEAR = "unclear"


# The broker refuses the record itself: sent again, it is refused again.
_PERMANENT = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
)
# Broker errors aiokafka does not mark retriable that are still no fault of the record: the broker
# or a replica is away, the topic is missing or not allowed (a deployment fault: setting every row
# aside would empty the outbox instead of waiting for the fix), the producer's state is off.
_TRANSIENT = (
    BrokerNotAvailableError,
    ReplicaNotAvailableError,
    UnknownTopicOrPartitionError,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    PolicyViolationError,
    OutOfOrderSequenceNumber,
    DuplicateSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
)

# Kafka's rule for topic names (kafka.common.internals.Topic): legal characters, at most 249.
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def classify(exc: BaseException) -> Verdict:
    if isinstance(exc, _PERMANENT):
        return Verdict.PERMANENT
    if isinstance(exc, (Unavailable, asyncio.TimeoutError, TimeoutError, OSError, *_TRANSIENT)):
        return Verdict.TRANSIENT
    if isinstance(exc, BrokerResponseError):
        return Verdict.TRANSIENT if exc.retriable else Verdict.UNCLEAR
    if isinstance(exc, KafkaError):  # the client's own: connection, timeout, closed, sender trouble
        return Verdict.TRANSIENT
    return Verdict.UNCLEAR


def is_permanent(exc: BaseException | None) -> bool:
    """True when the broker can never take the event that met `exc`: the request's fault, a 4xx."""
    return exc is not None and classify(exc) is Verdict.PERMANENT


def record_bytes(key: bytes | None, value: bytes | None) -> int:
    """The size the producer checks against its max_request_size: key, value and record overhead."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, [])


def refusal(topic: str, key: bytes | None, value: bytes | None, max_bytes: int) -> KafkaError | None:
    """The permanent refusal an event will meet, found before it is sent; None if it may go."""
    if not _TOPIC_NAME.fullmatch(topic or "") or topic in (".", ".."):
        return InvalidTopicError(f"'{topic[:300]}' is not a valid topic name")
    size = record_bytes(key, value)
    if size > max_bytes:
        return MessageSizeTooLargeError(
            f"the event is {size} bytes, more than the {max_bytes} allowed (LAZO_MAX_EVENT_BYTES)"
        )
    return None


class EventRefused(InvalidInput):
    """The broker can never take this event: the request is at fault, so not a 503."""


class EventTooLarge(PayloadTooLarge, EventRefused):
    """Refused for its size: a 413."""


def refused(exc: BaseException) -> EventRefused:
    if isinstance(exc, (MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)):
        return EventTooLarge(f"the event is larger than the broker takes: {_text(exc)}")
    return EventRefused(f"the broker refuses the event: {_text(exc)}")


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
