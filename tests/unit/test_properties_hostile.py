"""Properties of the edge's input checks and of erasure's pure parts (hypothesis): the NUL scanner
against the JSON parser, attribute nesting, the scrubbing of alert events, and which quarantined
documents name a customer."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from shared.http.nul import NulScanner, nul_in_target
from services.alerts.domain.erasure import scrub_event
from services.ingest.domain.erasure import names_customer
from services.ingest.domain.response import nesting

text = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cc"]), max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=20
)


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [value] if isinstance(value, str) else []


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@given(documents, st.booleans(), st.lists(st.integers(1, 7), min_size=1, max_size=50))
def test_the_nul_scanner_agrees_with_the_json_parser_however_the_body_is_cut(doc, ascii_only, cuts):
    body = json.dumps(doc, ensure_ascii=ascii_only).encode()
    scanner, at, seen = NulScanner(), 0, False
    for size in cuts * (len(body) // max(1, sum(cuts)) + 1):
        if at >= len(body):
            break
        seen = scanner.feed(body[at : at + size]) or seen
        at += size
    assert seen == any("\x00" in s for s in strings_in(doc))


@given(text, text)
def test_nul_in_the_request_line(path, query):
    where = nul_in_target("/" + path, query.encode())
    if "\x00" in path:
        assert where == "path"
    elif "\x00" in query:
        assert where == "query"
    else:
        assert where is None or "%00" in query


@given(documents)
def test_nesting_is_the_depth_of_objects_and_arrays(doc):
    assert nesting(doc) == depth(doc)


alert_events = st.fixed_dictionaries(
    {
        "specversion": st.just("1.0"),
        "id": text,
        "type": st.just("lazo.alert.raised"),
        "data": st.fixed_dictionaries(
            {
                "customer_id": text,
                "customer": st.fixed_dictionaries({"email": st.none() | text, "name": st.none() | text}),
                "comment": st.none() | text,
                "iec": st.floats(1, 10),
                "reasons": st.lists(text, max_size=2),
            }
        ),
    }
)


@given(alert_events)
def test_scrubbing_an_alert_event_removes_the_contact_and_comment_only(event):
    body = json.dumps(event).encode()
    scrubbed = json.loads(scrub_event(body))
    assert scrubbed["data"]["customer"] == {"email": None, "name": None}
    assert scrubbed["data"].get("comment") is None
    keep = {k: v for k, v in event["data"].items() if k not in ("customer", "comment")}
    assert {k: scrubbed["data"][k] for k in keep} == keep
    assert {k: v for k, v in scrubbed.items() if k != "data"} == {k: v for k, v in event.items() if k != "data"}
    assert scrub_event(scrub_event(body)) == scrub_event(body)  # a second erasure changes nothing more
    assert scrub_event(b"not json") == b"not json"


@given(documents, st.text(alphabet="ABCXYZ-0123456789", min_size=3, max_size=10))
def test_a_document_names_the_customer_when_a_value_is_their_id(doc, customer_id):
    assert names_customer(json.dumps({"payload": doc, "hidden": {"customer_id": customer_id}}), customer_id)
    assert names_customer(json.dumps([doc, customer_id]), customer_id)
    mentioned = customer_id in [s.strip() for s in strings_in(doc)] or any(str(v) == customer_id for v in _numbers(doc))
    assert names_customer(json.dumps(doc), customer_id) == mentioned


def _numbers(value) -> list:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_a_body_that_is_not_json_names_the_customer_as_a_whole_word():
    assert names_customer("customer=C-42&email=ana%40example.com", "C-42")
    assert not names_customer("customer=C-421&x=1", "C-42")
    assert not names_customer("customer=XC-42", "C-42")
