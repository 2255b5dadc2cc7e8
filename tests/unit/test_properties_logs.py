"""Properties of PII-safe logging (hypothesis): whatever an exception's text, it never reaches a log
line, while the log still tells what failed and where."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.errors import PermanentError
from shared.events import Envelope
from shared.logsafe import WithoutExceptionText, describe

# Marked, so that a drawn secret is never a word the log line or its frames hold anyway ("failed").
secrets_ = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=6, max_size=30).map(lambda s: f"PII{s}Q")


def logged(emit) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(WithoutExceptionText())
    logger = logging.getLogger("test.logsafe")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def fail(secret: str) -> None:
    try:
        raise KeyError(f"{secret}@example.com")
    except KeyError as exc:
        raise RuntimeError(f"could not store {secret}") from exc


@given(secrets_)
def test_an_exceptions_text_never_reaches_the_log(secret):
    def emit(logger: logging.Logger) -> None:
        try:
            fail(secret)
        except RuntimeError:
            logger.exception("storing failed for event %s", "e-1")

    text = logged(emit)
    assert secret not in text
    assert "storing failed for event e-1" in text and "RuntimeError" in text and "KeyError" in text
    assert "in fail" in text  # the frames are kept


class Contact(BaseModel):
    email: int


@given(secrets_)
def test_an_event_that_does_not_parse_is_described_without_its_values(secret):
    secret = f"x{secret}"  # never a number
    with pytest.raises(ValidationError, match="input_value"):  # pydantic's own text quotes the input
        Contact(email=secret)
    envelope = Envelope.new(id="e-1", type="t", source="s", subject="c", data={"email": secret})
    with pytest.raises(PermanentError) as caught:
        envelope.parse(Contact)
    assert secret not in str(caught.value) and "email" in str(caught.value)
    assert caught.value.__cause__ is None and secret not in describe(caught.value)
