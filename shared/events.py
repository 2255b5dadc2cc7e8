"""The event contracts: topics, CloudEvents types, and the envelope.

Events travel as CloudEvents 1.0 in structured JSON mode (the `cloudevents` SDK builds and
parses the envelope); the Kafka key and the `subject` are the customer id so that one
customer's events stay in order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import PermanentError


class Topic:
    RESPONSES = "lazo.responses.v1"
    SCORES = "lazo.scores.v1"
    ALERTS = "lazo.alerts.v1"
    CASES = "lazo.cases.v1"
    PROGRAMS = "lazo.programs.v1"
    OUTCOMES = "lazo.outcomes.v1"
    ERASURES = "lazo.erasures.v1"
    DEADLETTER = "lazo.deadletter.v1"
    CONTACTS = "lazo.contacts.v1"  # a CRM's contacts, for the survey planner
    INVITATIONS = "lazo.invitations.v1"  # the survey planner's invitations
    AUDIT = "lazo.audit.v1"  # who read personal data or changed settings, from every service

    ALL = (RESPONSES, SCORES, ALERTS, CASES, PROGRAMS, OUTCOMES, ERASURES, DEADLETTER, CONTACTS, INVITATIONS, AUDIT)


class EventType:
    RESPONSE_RECEIVED = "lazo.response.received"
    SCORE_COMPUTED = "lazo.score.computed"
    SCORE_REJECTED = "lazo.score.rejected"
    PROGRAM_CHANGED = "lazo.program.changed"
    ALERT_RAISED = "lazo.alert.raised"
    ALERT_HELD_OUT = "lazo.alert.held_out"
    CASE_OPENED = "lazo.case.opened"
    CASE_TRANSITIONED = "lazo.case.transitioned"
    CASE_OVERDUE = "lazo.case.overdue"
    CASE_CLOSED = "lazo.case.closed"
    OUTCOME_RECORDED = "lazo.outcome.recorded"
    CUSTOMER_ERASURE_REQUESTED = "lazo.customer.erasure_requested"
    CUSTOMER_ERASED = "lazo.customer.erased"  # one per service, once it has erased its copy
    DEADLETTERED = "lazo.event.deadlettered"
    CONTACT_UPSERTED = "lazo.contact.upserted"
    SURVEY_DUE = "lazo.survey.due"
    SURVEY_SUPPRESSED = "lazo.survey.suppressed"
    SURVEY_REMINDED = "lazo.survey.reminded"
    SURVEY_RESPONDED = "lazo.survey.responded"
    SURVEY_EXPIRED = "lazo.survey.expired"
    SURVEY_FOLLOWUP_EXPIRED = "lazo.survey.followup_expired"
    AUDIT_RECORDED = "lazo.audit.recorded"


# Which topic carries each event type (the table in CONTRACT.md).
_TOPIC_OF = {
    EventType.RESPONSE_RECEIVED: Topic.RESPONSES,
    EventType.SCORE_COMPUTED: Topic.SCORES,
    EventType.SCORE_REJECTED: Topic.SCORES,
    EventType.PROGRAM_CHANGED: Topic.PROGRAMS,
    EventType.ALERT_RAISED: Topic.ALERTS,
    EventType.ALERT_HELD_OUT: Topic.ALERTS,
    EventType.CASE_OPENED: Topic.CASES,
    EventType.CASE_TRANSITIONED: Topic.CASES,
    EventType.CASE_OVERDUE: Topic.CASES,
    EventType.CASE_CLOSED: Topic.CASES,
    EventType.OUTCOME_RECORDED: Topic.OUTCOMES,
    EventType.CUSTOMER_ERASURE_REQUESTED: Topic.ERASURES,
    EventType.CUSTOMER_ERASED: Topic.ERASURES,
    EventType.DEADLETTERED: Topic.DEADLETTER,
    EventType.CONTACT_UPSERTED: Topic.CONTACTS,
    EventType.AUDIT_RECORDED: Topic.AUDIT,
    EventType.SURVEY_DUE: Topic.INVITATIONS,
    EventType.SURVEY_SUPPRESSED: Topic.INVITATIONS,
    EventType.SURVEY_REMINDED: Topic.INVITATIONS,
    EventType.SURVEY_RESPONDED: Topic.INVITATIONS,
    EventType.SURVEY_EXPIRED: Topic.INVITATIONS,
    EventType.SURVEY_FOLLOWUP_EXPIRED: Topic.INVITATIONS,
}


def topic_of(event_type: str) -> str:
    """The topic an event type travels on; KeyError for a type Lazo does not define."""
    return _TOPIC_OF[event_type]


class EventData(BaseModel):
    """Base of every event payload: immutable, and tolerant of fields added by newer producers."""

    model_config = ConfigDict(frozen=True, extra="ignore")


_FORMAT = JSONFormat()


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A CloudEvent as the services handle it: attributes plus the JSON data."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]

    @classmethod
    def new(
        cls, *, id: str, type: str, source: str, subject: str, data: EventData | dict, time: datetime | None = None
    ) -> Envelope:
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        return cls(id=id, type=type, source=source, subject=subject, time=time or utcnow(), data=payload)

    def to_bytes(self) -> bytes:
        event = CloudEvent(
            {
                "id": self.id,
                "source": self.source,
                "type": self.type,
                "subject": self.subject,
                "time": self.time,
                "datacontenttype": "application/json",
            },
            self.data,
        )
        return ce_kafka.to_structured_event(event, _FORMAT).value

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def parse(self, model: type[EventData]) -> Any:
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            # Where and what, never the values: they may be personal data, and this text is logged.
            where = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)[:10]
            )
            raise PermanentError(f"{self.type} {self.id}: data does not match {model.__name__}: {where}") from None
        except Exception as exc:
            raise PermanentError(
                f"{self.type} {self.id}: data does not match {model.__name__} ({type(exc).__name__})"
            ) from None


def decode(value: bytes | None) -> Envelope:
    """Parse a structured CloudEvent; anything else is poison for the dead-letter topic."""
    if not value:
        raise PermanentError("empty message")
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise PermanentError(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise PermanentError("not a CloudEvent: top level is not an object")
    missing = [k for k in ("id", "type", "source", "specversion") if not raw.get(k)]
    if missing:
        raise PermanentError(f"not a CloudEvent: missing {', '.join(missing)}")
    if raw["specversion"] != "1.0":
        raise PermanentError(f"unsupported CloudEvents specversion {raw['specversion']!r}")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise PermanentError("CloudEvent data must be a JSON object")
    try:
        time = datetime.fromisoformat(raw["time"]) if raw.get("time") else utcnow()
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"bad CloudEvent time: {exc}") from exc
    return Envelope(
        id=str(raw["id"]),
        type=str(raw["type"]),
        source=str(raw["source"]),
        subject=str(raw.get("subject") or ""),
        time=time,
        data=data,
    )
