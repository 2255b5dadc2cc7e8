"""The largest responses ingest accepts, through every service's real event builders: each event
(and a dead letter wrapping it) fits the broker's 1 MiB message limit with room to spare.

The bound is computed, not asserted by hand: each shape below fills one part of a response as
far as ingest's own checks let it (binary search against `to_event`), every other field at its
longest, in the characters that cost most on the wire (an astral character is 12 bytes once
escaped in a CloudEvent). If a limit in shared.limits grows, or a builder starts carrying more,
this test says so before the broker does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from shared import limits
from shared.contracts.alerts import AlertRaised
from shared.contracts.programs import DEFAULT_PROGRAM
from shared.contracts.responses import ResponseReceived
from shared.contracts.scores import ScoreComputed
from shared.deadletters import dead_letter_event
from shared.errors import InvalidInput
from shared.events import Envelope, Topic, utcnow
from shared.http.problems import status_of
from services.alerts.domain.selection import Decision
from services.alerts.service import _new_alert, alert_event
from services.casework.api.schemas import CAUSE_CHARS, NOTE_CHARS, OWNER_CHARS, ConfirmationIn, TransitionIn
from services.casework.domain.case import Case
from services.casework.handlers import alert_note
from services.casework.service import PUBLISHED, case_event, case_id_for
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import ResponseIn
from services.ingest.service import to_event
from services.scoring.domain.assessment import assess
from services.scoring.domain.comments import analysis as comments
from services.scoring.service import _outcome

WIDE = "😀"  # printable, and 12 bytes in an event (two \\ud83d\\ude00 escapes)
# The most an operator may allow (Settings refuses more): the proof holds for every configuration.
CEILING = limits.ResponseBounds(comment_chars=limits.COMMENT_CHARS_CEILING)
HEADROOM = limits.EVENT_BUDGET_BYTES  # a quarter of the broker's limit: room for what later versions add


def longest_number() -> float:
    return -1.2345678901234567e-300  # the longest repr a finite float has


def full_response(*, comment: int = 0, attribute: int = 0, answers: int = limits.ANSWERS_MAX) -> dict:
    """Every id and contact field at its longest in wide characters; `comment` and one attribute
    of the given lengths; `answers` answers with the longest keys and numbers."""
    extra = {f"{'q' * (limits.ANSWER_KEY_CHARS - 3)}{i:03d}": longest_number() for i in range(answers - 3)}
    body = {
        "response_id": WIDE * limits.RESPONSE_ID_CHARS,
        "program": "p" * limits.PROGRAM_CHARS,
        "customer": {
            "id": WIDE * limits.CUSTOMER_ID_CHARS,
            "email": WIDE * (limits.EMAIL_CHARS - 2) + "@" + WIDE,
            "name": WIDE * limits.NAME_CHARS,
            "attributes": {"a": WIDE * attribute} if attribute else {},
        },
        "submitted_at": (utcnow() - timedelta(days=1)).isoformat(),
        "touchpoint": WIDE * limits.TOUCHPOINT_CHARS,
        "answers": {
            "experience": 1.0000000000000002,
            "worth": 1.0000000000000002,
            "recommend": 1.0000000000000002,
            **extra,
        },
        "comment": WIDE * comment if comment else None,
        "case_id": WIDE * limits.CASE_ID_CHARS,
    }
    return body


def accepted(body: dict) -> Envelope | None:
    try:
        return to_event(
            ResponseIn.model_validate(body),
            _catalog_for(body["program"]),
            bounds=CEILING,
            source="typeform/" + "s" * 64,
        )
    except (InvalidInput, ValidationError):
        return None


def largest(shape) -> Envelope:
    """The largest accepted response of a shape: `shape(n)` grows with n; binary search on n."""
    lo, hi = 0, 400_000
    assert accepted(shape(lo)) is not None, "the shape's smallest response must be accepted"
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if accepted(shape(mid)) is not None:
            lo = mid
        else:
            hi = mid - 1
    return accepted(shape(lo))


SHAPES = {
    "comment": lambda n: full_response(comment=n),
    "attributes": lambda n: full_response(attribute=n),
    "comment_without_answers": lambda n: full_response(comment=n, answers=3),
}


def largest_analysis() -> comments.CommentAnalysis:
    """The largest analysis the contract lets any analyzer produce: every cause, keyphrase and
    piece of evidence at its cap, in wide characters."""
    causes = tuple(
        comments.CauseMention(f"{'k' * 37}{i:03d}", WIDE * comments.MAX_EVIDENCE_CHARS, "negative")
        for i in range(comments.MAX_CAUSES)
    )
    return comments.CommentAnalysis(
        "und",
        -0.12345678901234567,
        "negative",
        "rechazo",
        causes,
        (WIDE * comments.MAX_KEYPHRASE_CHARS,) * comments.MAX_KEYPHRASES,
        WIDE * comments.MAX_ANALYZER_CHARS,
    )


def record_bytes(envelope: Envelope) -> int:
    """A Kafka record of this event: value, key, and a generous allowance for the record's framing."""
    return len(envelope.to_bytes()) + len(envelope.key) + 512


async def dead_letter_of(envelope: Envelope, topic: str) -> Envelope:
    """The consumer's real dead-letter event for this event, with the longest error text it keeps,
    built with no size limit: the original must fit inside it, not be left out."""
    where = {
        "topic": topic,
        "partition": 2**31 - 1,
        "offset": 2**63 - 1,
        "consumer_group": "g" * 64,
        "dead_letter_id": "d" * 36,
        "error": f"PermanentError: {WIDE * 5000}"[:2000],
    }
    dead = dead_letter_event(
        id=f"{topic}/{2**31 - 1}/{2**63 - 1}/{'g' * 64}",
        source="/lazo/" + "g" * 64,
        subject=envelope.subject,
        original=envelope.to_bytes(),
        where=where,
        max_bytes=1 << 40,
    )
    assert dead.data["original_omitted"] is False
    return dead


def downstream(response_event: Envelope) -> dict[str, Envelope]:
    """Every event the services build from one accepted response, with the real builders."""
    now = utcnow()
    response = ResponseReceived.model_validate(response_event.data)
    assessment = assess(
        response.program, DEFAULT_PROGRAM.model_copy(update={"program": response.program}), response.answers
    )
    assert assessment.scored
    score_event = _outcome(response, assessment, 1.0000000000000002, now, largest_analysis())
    score = score_event.parse(ScoreComputed)
    decision = Decision(reasons=("iec_at_or_below_threshold", "comment", "iec_drop"))
    alert_env = alert_event(_new_alert(score, decision, score.submitted_at, now))
    alert = alert_env.parse(AlertRaised)
    case = Case.open(
        case_id=case_id_for(alert.alert_id),
        customer_id=alert.customer_id,
        program=alert.program,
        control=False,
        at=now,
        first_contact_due=now,
        close_due=now,
        alert_id=alert.alert_id,
        response_id=alert.response_id,
        by="lazo:alerts",
        customer_email=alert.customer.email,
        customer_name=alert.customer.name,
        note=alert_note(alert),
    )
    # The most an agent may type, validated by casework's own request bodies.
    transition = TransitionIn.model_validate(
        {"to": "contacted", "note": WIDE * NOTE_CHARS, "cause": WIDE * CAUSE_CHARS, "owner": WIDE * OWNER_CHARS}
    )
    case.transition(
        transition.to,
        at=now,
        by="agent:" + WIDE * 193,
        note=transition.note,
        cause=transition.cause,
        owner=transition.owner,
    )
    case.transition("analysing", at=now, by="agent", note=transition.note)
    case.transition("responded", at=now, by="agent", note=transition.note)
    confirmation = ConfirmationIn.model_validate(
        {"solved": True, "current_feeling": 9.999999999999998, "note": WIDE * NOTE_CHARS}
    )
    case.confirm(
        solved=True,
        at=now,
        by="lazo:survey",
        current_feeling=confirmation.current_feeling,
        note=confirmation.note,
        response_id=response.response_id,
    )
    events = {
        "lazo.response.received": response_event,
        "lazo.score.computed": score_event,
        "lazo.alert.raised": alert_env,
    }
    for change in case.changes:
        if type_ := PUBLISHED.get(change.kind):
            events[f"{type_}#{change.seq}"] = case_event(case, change, type_)
    return events


@pytest.mark.parametrize("name", SHAPES)
async def test_the_largest_accepted_responses_events_fit_the_broker_with_room(name):
    response_event = largest(SHAPES[name])
    data_size = limits.event_json_size(response_event.data)
    # It is the largest: right at the whole-response bound (or every part at its own limit).
    assert data_size <= limits.RESPONSE_MAX_BYTES
    assert data_size > limits.RESPONSE_MAX_BYTES - 64 or name == "attributes", data_size
    events = downstream(response_event)
    topics = {
        "lazo.response": Topic.RESPONSES,
        "lazo.score": Topic.SCORES,
        "lazo.alert": Topic.ALERTS,
        "lazo.case": Topic.CASES,
    }
    sizes = {}
    for kind, envelope in list(events.items()):
        topic = next(t for prefix, t in topics.items() if kind.startswith(prefix))
        events[f"deadletter({kind})"] = await dead_letter_of(envelope, topic)
    for kind, envelope in events.items():
        sizes[kind] = record_bytes(envelope)
        assert sizes[kind] <= HEADROOM, (name, kind, sizes[kind])
        assert sizes[kind] * 4 <= limits.BROKER_MESSAGE_BYTES
    assert max(sizes.values()) > limits.RESPONSE_MAX_BYTES  # the dead letters did carry the largest events


def test_one_more_character_is_refused_naming_the_part_at_fault():
    response_event = largest(SHAPES["comment"])
    n = len(response_event.data["comment"])
    with pytest.raises(InvalidInput) as refused:
        to_event(
            ResponseIn.model_validate(full_response(comment=n + 1)),
            _catalog_for("p" * limits.PROGRAM_CHARS),
            bounds=CEILING,
            source="typeform/" + "s" * 64,
        )
    assert status_of(refused.value)[0] == 413 and refused.value.errors[0]["field"] == "comment"


def _catalog_for(program: str) -> ProgramCatalog:
    catalog = ProgramCatalog()
    catalog._programs[program] = DEFAULT_PROGRAM.model_copy(update={"program": program})
    return catalog


def test_the_budget_leaves_the_broker_room():
    assert limits.EVENT_BUDGET_BYTES * 4 <= limits.BROKER_MESSAGE_BYTES
    assert limits.RESPONSE_MAX_BYTES * 3 <= limits.EVENT_BUDGET_BYTES
