"""What the benchmark posts: canonical survey responses, some of them detractors."""

from __future__ import annotations

import orjson

DETRACTOR_EVERY = 5  # one response in five selects the customer (IEC ≤ 6 and a comment)


def is_detractor(index: int) -> bool:
    return index % DETRACTOR_EVERY == 0


def response(prefix: str, index: int, customers: int | None = None) -> dict:
    """Response `index` of a run; `customers` bounds how many distinct customers answer."""
    customer = f"{prefix}-c{index % customers if customers else index}"
    body = {"response_id": f"{prefix}-r{index}", "program": "default",
            "customer": {"id": customer, "email": f"{customer}@example.com", "name": "Bench"},
            "touchpoint": "contact_center", "answers": {"experience": 9, "worth": 10, "recommend": 9}}
    if is_detractor(index):
        body["answers"] = {"experience": 3, "worth": 4, "recommend": 5}
        body["comment"] = "Nadie me devolvió la llamada"
    return body


def http_post(host: str, port: int, path: str, key: str, payload: dict) -> bytes:
    """A complete HTTP/1.1 request, serialised once so the clock only times the exchange."""
    body = orjson.dumps(payload)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body
