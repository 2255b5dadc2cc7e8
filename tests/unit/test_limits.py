"""The pure bounds of the edge (shared.limits, shared.periods, the series window): what is refused,
what every reader downstream can take, and the calendar's edges handled without overflow."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared import limits, periods
from shared.contracts.responses import content_digest
from shared.errors import InvalidInput
from shared.limits import SubmissionWindow, attributes_problem, id_problem, line_problem, text_problem
from services.casework.domain.outcomes import date_error
from services.ingest.domain.response import ResponseIn
from services.scoring.domain.buckets import Bucket, bucket_starts, series_span

UTC = UTC
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- text and ids ----------------------------------------------------------------------------------


def test_text_refuses_lone_surrogates_and_controls_but_not_line_breaks():
    assert text_problem("Nadie me devolvió la llamada 😀\n\tok\r") is None
    assert "surrogate" in text_problem("a\ud800b")
    assert "surrogate" in text_problem("\udfff")
    assert "U+0007" in text_problem("bell\x07")
    assert "U+007F" in text_problem("del\x7f")
    assert "U+000A" in line_problem("two\nlines")
    assert line_problem("Ana López") is None


def test_ids_are_printable():
    assert id_problem("C-42 ana@example.com/ü😀") is None
    for bad in ("a\nb", "zero\u200bwidth", "rtl\u202eoverride", "lone\ud800", "nul\x00", "nbsp\u00a0"):
        assert id_problem(bad), bad


# Every code point, lone surrogates and controls included.
text = st.text(
    alphabet=st.characters(exclude_categories=()) | st.sampled_from("\ud800\udc00\x00\x07\x7f\u202e"), max_size=30
)


@given(text)
def test_text_that_passes_is_storable_and_readable_everywhere(value):
    if text_problem(value) is None:
        value.encode("utf-8")  # PostgreSQL, orjson
        assert orjson.loads(json.dumps(value)) == value  # an event as Lazo writes and a consumer reads it


# --- attributes ------------------------------------------------------------------------------------


def nested(depth: int) -> dict:
    top = inner = {}
    for _ in range(depth - 1):
        inner["a"] = {}
        inner = inner["a"]
    return top


@pytest.mark.parametrize(
    "attributes, says",
    [
        ({"tier": "gold\ud800"}, "surrogate"),
        ({"a": [{"b\udc00": 1}]}, "surrogate"),
        ({"score": float("nan")}, "finite"),
        ({"score": float("inf")}, "finite"),
        ({"id": 2**64}, "64 bits"),
        ({"": 1}, "keys are"),
        ({"k" * (limits.ATTRIBUTE_KEY_CHARS + 1): 1}, "keys are"),
        ({f"k{i}": i for i in range(limits.ATTRIBUTES_MAX_KEYS + 1)}, "keys"),
        (nested(limits.ATTRIBUTES_MAX_DEPTH + 1), "deeper"),
        ({"blob": "x" * limits.ATTRIBUTES_MAX_BYTES}, "bytes"),
    ],
)
def test_attributes_out_of_bounds_are_named(attributes, says):
    assert says in attributes_problem(attributes)


def test_attributes_within_bounds_pass():
    assert attributes_problem(nested(limits.ATTRIBUTES_MAX_DEPTH)) is None
    assert attributes_problem({"tier": "gold", "ltv": 1200.5, "tags": ["a", None, True], "n": -(2**63)}) is None
    assert attributes_problem({"blob": "x" * (limits.ATTRIBUTES_MAX_BYTES - 20)}) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(text, json_values, max_size=5))
def test_attributes_that_pass_are_read_back_by_every_consumer(attributes):
    if attributes_problem(attributes) is None:
        assert orjson.loads(json.dumps(attributes)) is not None


# --- the canonical response ---------------------------------------------------------------------


def response(**over) -> dict:
    return {
        "response_id": "r-1",
        "customer": {"id": "C-1"},
        "answers": {"experience": 3, "worth": 4, "recommend": 5},
        **over,
    }


@pytest.mark.parametrize(
    "over, field",
    [
        ({"response_id": "r" * (limits.RESPONSE_ID_CHARS + 1)}, "response_id"),
        ({"response_id": "r\n1"}, "response_id"),
        ({"customer": {"id": "C" * (limits.CUSTOMER_ID_CHARS + 1)}}, "customer.id"),
        ({"customer": {"id": "C-1", "attributes": {"x": "\ud800"}}}, "customer.attributes"),
        ({"customer": {"id": "C-1", "name": "Ana\u0000"}}, "customer.name"),
        ({"case_id": "c" * (limits.CASE_ID_CHARS + 1)}, "case_id"),
        ({"program": "../etc"}, "program"),
        ({"touchpoint": "web\tshop"}, "touchpoint"),
        ({"answers": {"Experience": 3}}, "answers"),
        ({"answers": {f"q{i}": 1 for i in range(limits.ANSWERS_MAX + 1)}}, "answers"),
        ({"comment": "x" * (limits.COMMENT_CHARS_CEILING + 1)}, "comment"),
    ],
)
def test_response_fields_out_of_bounds_are_named(over, field):
    with pytest.raises(ValidationError) as err:
        ResponseIn.model_validate(response(**over))
    assert field in [".".join(map(str, e["loc"])) for e in err.value.errors()]


# --- submission dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),  # its UTC instant is in year 0
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # in year 10000
        at(9999, 1, 1),
        at(2999, 1, 1),
        at(1999, 12, 31, 23, 59),
        NOW + timedelta(hours=24, seconds=1),
        datetime(1, 1, 1),
    ],
)
def test_submission_dates_outside_the_window_are_refused(value):
    assert SubmissionWindow().problem(value, NOW)


@pytest.mark.parametrize("value", [at(2000, 1, 1), NOW, NOW + timedelta(hours=24), datetime(2026, 1, 1)])
def test_submission_dates_inside_the_window_pass(value):
    assert SubmissionWindow().problem(value, NOW) is None


def test_the_window_is_configurable():
    window = SubmissionWindow(at(2020, 1, 1), timedelta(hours=1))
    assert window.problem(at(2019, 12, 31), NOW) and window.problem(NOW + timedelta(hours=2), NOW)


def test_outcome_dates_share_the_earliest_bound():
    assert date_error(date(1999, 12, 31), date(2026, 11, 27), date(2000, 1, 1))
    assert date_error(date(2026, 11, 29), date(2026, 11, 27), date(2000, 1, 1))
    assert date_error(date(2000, 1, 1), date(2026, 11, 27), date(2000, 1, 1)) is None


# --- the content digest --------------------------------------------------------------------------


def test_the_digest_is_the_clients_content_only():
    data = {
        "response_id": "r",
        "customer": {"id": "C", "attributes": {"b": 1, "a": 2}},
        "answers": {"x": 1.0},
        "submitted_at": "2026-01-01T00:00:00Z",
        "received_at": "2026-01-01T00:00:01Z",
        "source": None,
    }
    same = {
        **data,
        "received_at": "2027-01-01T00:00:00Z",
        "source": "typeform/s",
        "customer": {"attributes": {"a": 2, "b": 1}, "id": "C"},
    }
    assert content_digest(data) == content_digest(same)
    assert content_digest(data) != content_digest({**data, "answers": {"x": 2.0}})
    defaulted = {**data, "submitted_at": "2030-01-01T00:00:00Z"}
    assert content_digest(data, submitted_at_given=False) == content_digest(defaulted, submitted_at_given=False)
    assert content_digest(data) != content_digest(defaulted)


# --- query dates -----------------------------------------------------------------------------------


def test_query_dates_at_the_calendars_edge_are_held_there_never_overflow():
    assert periods.period(None, "9999-12-31") == periods.Period(end=periods.LAST)
    assert periods.period("0001-01-01T00:00:00+01:00", None) == periods.Period(start=periods.FIRST)
    assert periods.period("0001-01-01", "9999-12-31T23:59:59.999999") == periods.Period(periods.FIRST, periods.LAST)
    assert periods.since("from", "0001-01-01T00:00:00+01:00") == periods.FIRST
    assert periods.before("to", "9999-12-31T23:00:00-05:00") == periods.LAST
    assert periods.since("from", "9999-12-31T23:00:00-05:00") == periods.LAST  # after everything
    assert periods.period("2026-01-01", "2026-01-31") == periods.Period(at(2026, 1, 1), at(2026, 2, 1))
    assert periods.period("2026-01-01T10:00:00+01:00", None).start == at(2026, 1, 1, 9)


@pytest.mark.parametrize("raw", ["yesterday", "10000-01-01", "2026-13-01", "2026-01-01T25:00", "x" * 500, ""])
def test_query_dates_that_do_not_parse_name_the_parameter(raw):
    with pytest.raises(InvalidInput) as err:
        periods.period(raw or " ", None)
    assert err.value.errors[0]["field"] == "from"
    with pytest.raises(InvalidInput) as err:
        periods.before("to", raw or " ")
    assert err.value.errors[0]["field"] == "to"


# --- series windows --------------------------------------------------------------------------------


def test_an_open_series_shows_a_bounded_window_whatever_the_history_holds():
    found = [at(1, 1, 1), at(2026, 3, 1), at(2999, 1, 1)]
    first, last = series_span(found, periods.Period(), width=Bucket.MONTH, latest=NOW)
    assert last == at(2026, 3, 1)  # the year-2999 row is not "the last bucket"
    assert len(bucket_starts(first, last, Bucket.MONTH)) == 120  # the default window, not 2000 years
    first, last = series_span(found, periods.Period(), width=Bucket.DAY, latest=NOW)
    assert len(bucket_starts(first, last, Bucket.DAY)) == 366
    # Within the window, the series still spans exactly the buckets holding responses.
    assert series_span([at(2026, 1, 1), at(2026, 2, 1)], periods.Period(), width=Bucket.MONTH, latest=NOW) == (
        at(2026, 1, 1),
        at(2026, 2, 1),
    )


def test_the_calendars_last_bucket_ends_a_series():
    assert bucket_starts(at(9999, 12, 30), periods.LAST, Bucket.DAY) == [at(9999, 12, 30), at(9999, 12, 31)]
    assert bucket_starts(at(9999, 11, 15), periods.LAST, Bucket.MONTH) == [at(9999, 11, 1), at(9999, 12, 1)]
