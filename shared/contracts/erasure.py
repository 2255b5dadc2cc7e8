"""Erasure of a customer's personal data, on `lazo.erasures.v1` (key and `subject`: the customer id).

`DELETE /v1/customers/{customer_id}` or `POST /v1/erasures` (scoring, role admin) publishes one
`lazo.customer.erasure_requested`; every service consumes it in its own group, erases that
customer's personal data in its own tables (what must stay for the figures is kept under a
random pseudonym, without email, name, comments, causes or notes), remembers the customer as a
keyed digest so that events about them arriving later are erased on arrival, and answers with
one `lazo.customer.erased` naming itself. Scoring follows the answers: `GET /v1/erasures/{id}`.
Events already on the broker are not rewritten: the topics' retention (`LAZO_TOPIC_RETENTION_H`)
bounds how long they keep a copy (docs/privacy.md).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import EventData


class CustomerErasureRequested(EventData):
    """`lazo.customer.erasure_requested`. A new request has a new event id (erasing twice is harmless)."""

    erasure_id: str = Field(min_length=1, max_length=200)
    customer_id: str = Field(min_length=1, max_length=200)
    requested_at: datetime
    requested_by: str = Field(max_length=200)  # the principal (role and key fingerprint), never the key


class CustomerErased(EventData):
    """`lazo.customer.erased`: one service has erased its copy of the customer's personal data."""

    erasure_id: str = Field(min_length=1, max_length=200)
    customer_id: str
    service: str = Field(min_length=1, max_length=64)
    erased: dict[str, int] = {}  # what it changed, by kind of record (0s when there was nothing left)
    erased_at: datetime
