"""What a failed publish means (shared.publishing), the dead-letter event that always fits
(shared.deadletters), and when a relay or consumer counts as stuck (shared.health)."""

from __future__ import annotations

import pytest
from aiokafka import errors as kafka
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.broker import Publisher
from shared.deadletters import dead_letter_event, error_text
from shared.errors import PermanentError, Unavailable
from shared.health import consumer_stall, outbox_stuck
from shared.http.problems import status_of
from shared.publishing import EventRefused, EventTooLarge, Verdict, classify, record_bytes, refusal, refused
from shared.settings import Settings

# -- classification ---------------------------------------------------------------------------

PERMANENT = [
    kafka.MessageSizeTooLargeError("the message is 1048600 bytes"),
    kafka.RecordListTooLargeError(),
    kafka.CorruptRecordException(),
    kafka.InvalidTopicError(),
    kafka.InvalidTimestampError(),
    kafka.UnsupportedForMessageFormatError(),
]
TRANSIENT = [
    kafka.KafkaTimeoutError(),
    kafka.KafkaConnectionError("reset"),
    kafka.NoBrokersAvailable(),
    kafka.NodeNotReadyError(),
    kafka.RequestTimedOutError(),
    kafka.NotLeaderForPartitionError(),
    kafka.LeaderNotAvailableError(),
    kafka.NotEnoughReplicasError(),
    kafka.BrokerNotAvailableError(),
    kafka.ReplicaNotAvailableError(),
    kafka.KafkaStorageError(),
    kafka.ProducerClosed(),
    # a deployment's fault, not the event's: setting rows aside would empty the outbox
    kafka.UnknownTopicOrPartitionError(),
    kafka.TopicAuthorizationFailedError("lazo.scores.v1"),
    kafka.ClusterAuthorizationFailedError(),
    kafka.OutOfOrderSequenceNumber(),
    kafka.UnknownProducerId(),
    kafka.KafkaError("Unexpected error during batch delivery"),
    Unavailable("broker away"),
    TimeoutError(),
    ConnectionResetError(),
    OSError("unreachable"),
]
UNCLEAR = [
    kafka.UnknownError(),
    kafka.InvalidRequestError(),
    kafka.InvalidRequiredAcksError(),
    TypeError("value must be bytes"),
    ValueError(),
]


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__)
def test_the_broker_refusing_the_record_itself_is_permanent(exc):
    assert classify(exc) is Verdict.PERMANENT


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_the_broker_or_the_deployment_away_is_transient(exc):
    assert classify(exc) is Verdict.TRANSIENT


@pytest.mark.parametrize("exc", UNCLEAR, ids=lambda e: type(e).__name__)
def test_an_unknown_refusal_is_unclear(exc):
    assert classify(exc) is Verdict.UNCLEAR


def test_the_brokers_error_codes_map_as_their_classes():
    # How the producer reports a produce response: the class for the partition's error code.
    assert classify(kafka.for_code(10)()) is Verdict.PERMANENT  # MESSAGE_TOO_LARGE
    assert classify(kafka.for_code(2)()) is Verdict.PERMANENT  # CORRUPT_MESSAGE
    assert classify(kafka.for_code(7)()) is Verdict.TRANSIENT  # REQUEST_TIMED_OUT
    assert classify(kafka.for_code(87)()) is Verdict.UNCLEAR  # INVALID_RECORD: unknown to aiokafka


def test_the_size_check_matches_the_producers_and_refuses_one_byte_over():
    key = b"C-42"
    value = b"x" * 2000
    size = record_bytes(key, value)
    assert size > len(key) + len(value)  # the record's overhead counts
    assert refusal("lazo.scores.v1", key, value, max_bytes=size) is None
    too_large = refusal("lazo.scores.v1", key, value, max_bytes=size - 1)
    assert isinstance(too_large, kafka.MessageSizeTooLargeError) and classify(too_large) is Verdict.PERMANENT
    assert str(size) in str(too_large) and "x" * 10 not in str(too_large)  # sizes, never the event


@pytest.mark.parametrize("topic", ["", "with space", "lazo/scores", "é", "a" * 250, ".", ".."])
def test_an_invalid_topic_name_is_refused_before_sending(topic):
    assert isinstance(refusal(topic, b"k", b"v", max_bytes=10_000), kafka.InvalidTopicError)


def test_a_refusal_is_a_client_error_never_a_503():
    too_large = refused(kafka.MessageSizeTooLargeError())
    assert isinstance(too_large, EventTooLarge) and status_of(too_large)[0] == 413
    other = refused(kafka.InvalidTopicError())
    assert isinstance(other, EventRefused) and status_of(other)[0] == 422


# -- the dead letter's own size and text -------------------------------------------------------

WHERE = {"topic": "lazo.responses.v1", "partition": 3, "offset": 12345, "consumer_group": "scoring"}


@settings(max_examples=60, deadline=None)
@given(
    original_size=st.integers(0, 3_000_000),
    max_bytes=st.integers(4096, 2_000_000),
    subject=st.text(max_size=2000),
    error=st.text(max_size=2000),
)
def test_the_dead_letter_event_always_fits_the_broker(original_size, max_bytes, subject, error):
    original = b'{"id": "r-1", "data": {"comment": "' + b"\xc3\xb1" * (original_size // 2) + b'"}}'
    event = dead_letter_event(
        id="lazo.responses.v1/3/12345/scoring",
        source="/lazo/scoring",
        subject=subject,
        where={**WHERE, "error": error},
        original=original,
        max_bytes=max_bytes,
    )
    assert record_bytes(event.key, event.to_bytes()) <= max_bytes
    assert event.data["original_bytes"] == len(original)
    assert event.data["topic"] == "lazo.responses.v1" and event.data["offset"] == 12345
    if event.data["original_omitted"]:
        assert event.data["original"] is None
    else:
        assert event.data["original"]["id"] == "r-1"


def test_a_small_original_travels_with_its_dead_letter_a_large_one_says_it_was_left_out():
    small = dead_letter_event(
        id="x",
        source="/t",
        subject="C-1",
        where={**WHERE, "error": "E: bad"},
        original=b'{"id": "r-1"}',
        max_bytes=1024 * 1024,
    )
    assert small.data["original"] == {"id": "r-1"} and small.data["original_omitted"] is False
    junk = dead_letter_event(
        id="x",
        source="/t",
        subject="C-1",
        where={**WHERE, "error": "E: bad"},
        original=b"\x00not json",
        max_bytes=1024 * 1024,
    )
    assert "base64" in junk.data["original"]
    large = dead_letter_event(
        id="x",
        source="/t",
        subject="C-1",
        where={**WHERE, "error": "E: bad"},
        original=b'"' + b"a" * (2 * 1024 * 1024) + b'"',
        max_bytes=1024 * 1024,
    )
    assert large.data["original"] is None and large.data["original_omitted"] is True
    assert large.data["original_bytes"] == 2 * 1024 * 1024 + 2


def test_the_error_kept_with_a_dead_letter_quotes_no_event_data():
    def bug(customer: dict) -> None:
        customer["email"] + customer["name"]  # KeyError quoting what the customer wrote

    try:
        bug({"email": "ana@example.com"})
    except KeyError as exc:
        name, text = error_text(exc)
    assert name == "KeyError" and "ana@example.com" not in text and "'name'" not in text
    assert "test_publish_failures.py" in text and "bug" in text  # where it was raised
    # Lazo's own refusals are written without values: their text is kept.
    assert error_text(
        PermanentError(
            "lazo.response.received r-1: data does not match ResponseReceived: "
            "answers: Input should be a valid dictionary"
        )
    )[1].startswith("lazo.response")
    assert "1048600 bytes" in error_text(kafka.MessageSizeTooLargeError("the message is 1048600 bytes"))[1]


# -- stuck or just busy -------------------------------------------------------------------------


def test_an_outbox_is_stuck_only_past_the_threshold():
    assert not outbox_stuck(0.0, 60) and not outbox_stuck(59.9, 60) and outbox_stuck(60.1, 60)


def stall(now=1000.0, **over):
    state = dict(running=True, waiting_on=None, busy_since=None, behind=0, progress_at=1000.0, after_s=60.0)
    return consumer_stall(now, **{**state, **over})


def test_a_consumer_in_a_burst_is_not_stalled():
    # Far behind, but its last batch committed a moment ago.
    assert stall(behind=250_000, progress_at=999.5, busy_since=999.8) is None
    assert stall(now=1059, behind=10, progress_at=1000) is None  # within the threshold


def test_a_consumer_that_stopped_moving_is_stalled_and_says_why():
    assert "not connected" in stall(running=False)
    assert "OperationalError" in stall(waiting_on="OperationalError")
    assert "in progress" in stall(now=1061, busy_since=1000.0, progress_at=1000)
    assert "12 records behind" in stall(now=1061, behind=12, progress_at=1000)
    assert stall(now=5000, behind=0, progress_at=1000) is None  # idle and caught up: fine


async def test_a_request_whose_event_can_never_fit_is_refused_before_anything_is_sent():
    publisher = Publisher(Settings(max_event_bytes=4096), client_id="test")  # never connected
    fits, too_large = (b"x" * 100, b"C-1"), (b"x" * 5000, b"C-2")
    with pytest.raises(EventTooLarge):  # the whole batch, though the broker is not even there
        await publisher.publish_raw("lazo.responses.v1", [fits, too_large])
    with pytest.raises(Unavailable):  # what fits meets the broker's absence: a 503
        await publisher.publish_raw("lazo.responses.v1", [fits])
