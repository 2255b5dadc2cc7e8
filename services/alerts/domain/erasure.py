"""Customer erasure in alerts.

The alerts stay (the alert counts, the cool-down's history and the control group need them),
under the erasure's pseudonym, without contact (email, name) or comment; the responses attached
to them lose their comment. The stored bodies of their push deliveries are scrubbed the same
way (pseudonym, no contact, no comment), and those not yet delivered are cancelled: a contact
centre has nothing to act on for a customer who asked to be forgotten. A chat message (Slack,
Teams) is replaced whole: its text is made of the customer's data. Delivery attempts hold
only status codes and errors of the contact centre's endpoint (repository.erase does it).

Pure code: no I/O.
"""

from __future__ import annotations

import orjson

ERASED = "cancelled: the customer was erased"
ERASED_MESSAGE = orjson.dumps({"erased": "the customer was erased"})


def scrub_event(body: bytes, pseudonym: str | None = None) -> bytes:
    """A structured CloudEvent of an alert without the customer's contact and comments, and with
    `pseudonym` (when given) in place of the customer id."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body  # not ours to read; nothing this service wrote
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return body
    customer = data.get("customer")
    contact = isinstance(customer, dict) and (customer.get("email") is not None or customer.get("name") is not None)
    renamed = pseudonym is not None and (event.get("subject") != pseudonym or data.get("customer_id") != pseudonym)
    if not contact and not renamed and data.get("comment") is None and data.get("comment_analysis") is None:
        return body
    if contact:
        data["customer"] = {**customer, "email": None, "name": None}
    data["comment"] = None
    if "comment_analysis" in data:  # its evidence quotes the comment
        data["comment_analysis"] = None
    if pseudonym is not None:
        event["subject"] = pseudonym
        data["customer_id"] = pseudonym
    return orjson.dumps(event)
