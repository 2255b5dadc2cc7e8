"""What the benchmark posts: canonical survey responses, some of them detractors, and the same
responses as signed Typeform webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from pathlib import Path

import orjson

DETRACTOR_EVERY = 5  # one response in five selects the customer (IEC ≤ 6 and a comment)


def is_detractor(index: int) -> bool:
    return index % DETRACTOR_EVERY == 0


def response(prefix: str, index: int, customers: int | None = None) -> dict:
    """Response `index` of a run; `customers` bounds how many distinct customers answer."""
    customer = f"{prefix}-c{index % customers if customers else index}"
    body = {
        "response_id": f"{prefix}-r{index}",
        "program": "default",
        "customer": {"id": customer, "email": f"{customer}@example.com", "name": "Bench"},
        "touchpoint": "contact_center",
        "answers": {"experience": 9, "worth": 10, "recommend": 9},
    }
    if is_detractor(index):
        body["answers"] = {"experience": 3, "worth": 4, "recommend": 5}
        body["comment"] = "Nadie me devolvió la llamada"
    return body


def detractor(prefix: str, index: int) -> dict:
    """A detractor of a customer of its own: each one raises an alert and opens a case."""
    customer = f"{prefix}-c{index}"
    return {
        "response_id": f"{prefix}-r{index}",
        "program": "default",
        "customer": {"id": customer, "email": f"{customer}@example.com", "name": "Bench"},
        "touchpoint": "contact_center",
        "answers": {"experience": 3, "worth": 4, "recommend": 5},
        "comment": "Nadie me devolvió la llamada",
    }


def http_post(host: str, port: int, path: str, key: str, payload: dict) -> bytes:
    """A complete HTTP/1.1 request, serialised once so the clock only times the exchange."""
    body = orjson.dumps(payload)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# Typeform webhooks: the same responses as `response()`, as Typeform's signed `form_response` posts.
TYPEFORM_SOURCE = "bench-tf"
TYPEFORM_SECRET = "bench-typeform-secret"
_TYPEFORM_FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/webhooks/typeform_form_response.json"


def typeform_source() -> dict:
    """`POST /v1/sources` body: customer from the hidden fields, the three answers by field ref."""
    return {
        "id": TYPEFORM_SOURCE,
        "platform": "typeform",
        "program": "default",
        "name": "Bench Typeform",
        "credentials": {"secret": TYPEFORM_SECRET},
        "mapping": {
            "customer_id": "hidden.customer_id",
            "email": "hidden.email",
            "name": "hidden.name",
            "comment": "comment",
            "touchpoint": {"value": "web"},
            "answers": {
                "experience": "experience",
                "worth": "worth",
                "recommend": {"field": "recommend", "scale": {"min": 0, "max": 10}},
            },
        },
    }


def typeform_response_id(prefix: str) -> str:
    """What ingest names these responses: `<source>:<form_response.token>`."""
    return f"{TYPEFORM_SOURCE}:{prefix}"


def typeform_payload(prefix: str, index: int, customers: int | None = None) -> dict:
    """Response `index` as Typeform would post it; a unique token, so each is a new response."""
    canonical = response(prefix, index, customers)
    payload = orjson.loads(_typeform_fixture())  # a fresh copy to fill in
    payload["event_id"] = f"ev-{canonical['response_id']}"  # Typeform's delivery id: a repeat is a replay
    form = payload["form_response"]
    form["token"] = canonical["response_id"]
    form["hidden"].update(
        customer_id=canonical["customer"]["id"],
        email=canonical["customer"]["email"],
        name=canonical["customer"]["name"],
    )
    scores = canonical["answers"]
    answers = []
    for answer in form["answers"]:
        ref = answer["field"]["ref"]
        if ref in scores:
            answer = {**answer, "number": scores[ref]}
        elif ref == "comment" and "comment" not in canonical:
            continue  # promoters leave no comment, as in the canonical workload
        answers.append(answer)
    form["answers"] = answers
    return payload


@cache
def _typeform_fixture() -> bytes:
    return _TYPEFORM_FIXTURE.read_bytes()


def typeform_post(host: str, port: int, payload: dict) -> bytes:
    """A complete signed webhook request: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`."""
    body = orjson.dumps(payload)
    signature = base64.b64encode(hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    head = (
        f"POST /v1/webhooks/typeform/default?source={TYPEFORM_SOURCE} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Typeform-Signature: sha256={signature}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body
