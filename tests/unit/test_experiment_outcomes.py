"""Outcome event ids, dates, and who wins within a batch."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from shared.contracts.outcomes import OutcomeRecorded
from services.casework.domain.outcomes import date_error, latest_per_key, outcome_event_id


def outcome(
    customer: str = "C-1",
    on: str = "2026-11-30",
    renewed: bool = True,
    revenue: float | None = 1200.0,
    program: str = "default",
) -> OutcomeRecorded:
    return OutcomeRecorded(customer_id=customer, program=program, renewed=renewed, date=on, revenue=revenue)


def test_a_retry_is_the_same_event_and_a_correction_is_another():
    first = outcome_event_id(outcome())
    assert outcome_event_id(outcome()) == first
    assert outcome_event_id(outcome(revenue=1200)) == first  # 1200 and 1200.0 are one revenue
    assert outcome_event_id(outcome(renewed=False)) != first
    assert outcome_event_id(outcome(revenue=None)) != first
    assert outcome_event_id(outcome(on="2026-12-01")) != first
    assert outcome_event_id(outcome(customer="C-2")) != first
    assert outcome_event_id(outcome(program="other")) != first


def test_dates_in_the_future_are_refused_with_a_day_of_tolerance():
    today = date(2026, 11, 30)
    assert date_error(date(2026, 11, 30), today) is None
    assert date_error(date(2025, 1, 1), today) is None
    assert date_error(date(2026, 12, 1), today) is None  # a CRM ahead of UTC
    assert "in the future" in date_error(date(2026, 12, 2), today)


def test_the_last_report_of_a_key_wins_in_arrival_order():
    a, b, c = ("e1", outcome(renewed=True)), ("e2", outcome(customer="C-2")), ("e3", outcome(renewed=False))
    assert latest_per_key([a, b, c]) == [b, c]
    assert latest_per_key([]) == []


@pytest.mark.parametrize(
    "change",
    [
        {"customer_id": ""},
        {"program": "no spaces"},
        {"revenue": -1},
        {"revenue": float("inf")},
        {"date": "30/11/2026"},
        {"renewed": "maybe"},
    ],
)
def test_the_contract_refuses_malformed_outcomes(change):
    body = {"customer_id": "C-1", "program": "default", "renewed": True, "date": "2026-11-30", **change}
    with pytest.raises(ValidationError):
        OutcomeRecorded.model_validate(body)
