"""Erasure of a customer's personal data, on `lazo.erasures.v1` (key and `subject`: the customer id).

`DELETE /v1/customers/{customer_id}` (scoring, role admin) publishes one
`lazo.customer.erasure_requested`; every service consumes it in its own group and erases or
anonymises that customer's email, name and comments (and what may quote them) in its own tables,
then answers with one `lazo.customer.erased` naming itself, so that who asked can see when each
service is done. Scores, cases and their states stay: they are the KPIs' and the experiment's
figures, keyed by the customer id alone. Events already published are not rewritten: the topics'
retention bounds how long they keep a copy.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import EventData


class CustomerErasureRequested(EventData):
    """`lazo.customer.erasure_requested`. A new request has a new event id (erasing twice is harmless)."""

    erasure_id: str
    customer_id: str = Field(min_length=1, max_length=200)
    requested_at: datetime
    requested_by: str  # the principal (role and key fingerprint), never the key


class CustomerErased(EventData):
    """`lazo.customer.erased`: one service has erased its copy of the customer's personal data."""

    erasure_id: str
    customer_id: str
    service: str
    erased: dict[str, int] = {}  # what it changed, by kind of record (0s when there was nothing left)
    erased_at: datetime
