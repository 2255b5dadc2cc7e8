"""Payloads of the survey planner's topics: `lazo.contacts.v1` (a CRM produces) and
`lazo.invitations.v1` (the planner produces)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.contracts.scores import CustomerContact
from shared.events import EventData


class ContactUpserted(EventData):
    """`lazo.contact.upserted`: a CRM's view of one contact; the planner upserts it by customer_id.

    The fields are the contact's (services/surveys/domain/contacts.py checks them, each by name);
    fields a newer CRM adds are ignored."""

    customer_id: str
    email: str | None = None
    name: str | None = None
    locale: str | None = None
    time_zone: str | None = None
    consent: list[str] | None = None
    customer_since: date | None = None
    next_renewal: date | None = None
    attributes: dict[str, Any] | None = None


class SurveyInvitation(EventData):
    """`lazo.survey.due|suppressed|reminded|responded|expired|followup_expired` on `lazo.invitations.v1`.

    `due` carries what a sender needs (the link with its token, the locale, the contact); a
    follow-up carries its case's `case_id`; `suppressed` its machine `reason`."""

    invitation_id: str
    customer_id: str
    program: str
    kind: str  # survey | follow_up
    period_key: str
    channel: str
    status: str
    at: datetime
    case_id: str | None = None
    due_at: datetime | None = None
    expire_at: datetime | None = None
    link: str | None = None
    unsubscribe_link: str | None = None  # one-click (RFC 8058): a sender puts it in List-Unsubscribe
    locale: str | None = None
    customer: CustomerContact | None = None
    reason: str | None = None
    detail: str | None = None
    response_id: str | None = None
    seconds_to_respond: float | None = None
