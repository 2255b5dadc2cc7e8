"""shared.http.jsonshape: what a JSON body can expand into, counted from its bytes chunk by chunk."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.http.jsonshape import JsonShape, ShapeError


def reference(text: bytes) -> tuple[int, int]:
    """Values (objects, arrays, strings opened, commas outside strings) and the deepest nesting,
    one character at a time."""
    values = depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        char = chr(byte)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string, values = True, values + 1
        elif char in "{[":
            values, depth = values + 1, depth + 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth -= 1
        elif char == ",":
            values += 1
    return values, deepest


def fed(text: bytes, cuts: list[int], **limits) -> JsonShape:
    shape = JsonShape(**{"max_values": 10**9, **limits})
    at = 0
    for cut in sorted(c % (len(text) + 1) for c in cuts):
        shape.feed(text[at:cut])
        at = cut
    shape.feed(text[at:])
    return shape


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans(), st.lists(st.integers(min_value=0), max_size=12))
def test_values_are_counted_as_one_pass_does_whatever_the_chunks(value, ascii_only, cuts):
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    values, deepest = reference(text)
    shape = fed(text, cuts)
    assert shape.values == values
    assert shape.depth == 0  # every bracket closed again
    # The nesting is bounded from above (within three times the truth), never from below.
    if deepest:
        with pytest.raises(ShapeError):
            fed(text, cuts, max_depth=deepest - 1)
        fed(text, cuts, max_depth=3 * deepest)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='\\"{}[],ab', max_size=40), st.lists(st.integers(min_value=0), max_size=8))
def test_escapes_split_between_chunks_are_followed(content, cuts):
    text = json.dumps({"k": content, "l": [content, {"m": content}]}).encode()
    assert fed(text, cuts).values == reference(text)[0] == 11


def test_an_expanding_body_is_refused_as_too_large():
    shape = JsonShape.for_limit(8 * 1024 * 1024)
    bomb = b'{"responses": [' + b"{}, " * (2 * 1024 * 1024) + b"{}]}"
    with pytest.raises(ShapeError) as refused:
        for at in range(0, len(bomb), 65536):
            shape.feed(bomb[at : at + 65536])
    assert refused.value.too_large and "JSON values" in str(refused.value)


def test_deep_nesting_is_refused_as_malformed_however_it_is_cut():
    deep = b'{"a": ' * 600 + b"1" + b"}" * 600
    for size in (1, 7, 4096, len(deep)):
        shape = JsonShape(max_values=10**6)
        with pytest.raises(ShapeError) as refused:
            for at in range(0, len(deep), size):
                shape.feed(deep[at : at + size])
        assert not refused.value.too_large and "nested deeper than 512" in str(refused.value)


def test_text_full_of_commas_and_brackets_inside_strings_costs_one_value():
    comment = json.dumps({"comment": 'a, b, [c], {d}, \\" e,' * 10_000}).encode()
    shape = JsonShape(max_values=10)
    shape.feed(comment)
    assert shape.values == 3
