"""The case state machine, exhaustively: every (from, to) pair, allowed or forbidden."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from shared.http.problems import status_of
from services.casework.domain.case import (
    Breach,
    Case,
    CauseRequired,
    FeelingRequired,
    Kind,
    Status,
    TransitionForbidden,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

# The specification, written out independently of the code's table (CONTRACT.md + decisions).
ALLOWED = {
    ("open", "contacted"),
    ("open", "unreachable"),
    ("contacted", "analysing"),
    ("contacted", "unreachable"),
    ("analysing", "responded"),
    ("analysing", "unreachable"),
    ("responded", "analysing"),
    ("responded", "unreachable"),
    ("unreachable", "contacted"),  # the customer is finally reached
}
STATES = [s.value for s in Status]


def case_in(status: str, **over) -> Case:
    values = dict(
        case_id="K1",
        customer_id="C-1",
        program="default",
        status=Status(status),
        opened_at=T0,
        first_contact_due=T0 + timedelta(hours=48),
        close_due=T0 + timedelta(days=14),
        seq=3,
    )
    values.update(over)
    return Case(**values)


def opened(control: bool = False) -> Case:
    return Case.open(
        case_id="K1",
        customer_id="C-1",
        program="default",
        control=control,
        at=T0,
        first_contact_due=T0 + timedelta(hours=48),
        close_due=T0 + timedelta(days=14),
        alert_id="A-1",
        response_id="r-1",
        by="lazo:alerts",
        customer_email="ana@example.com",
    )


def test_the_table_has_every_state():
    assert set(STATES) == {"open", "contacted", "analysing", "responded", "closed", "unreachable", "control"}


@pytest.mark.parametrize("from_,to", sorted(ALLOWED))
def test_allowed_transition_moves_and_records_who_when_why(from_, to):
    case = case_in(from_)
    case.transition(to, at=T1, by="agent:abc", note="called", cause="billing error", owner="billing")
    assert case.status == to
    [change] = case.take_changes()
    assert change.kind is Kind.TRANSITIONED
    assert (change.from_status, change.to_status) == (from_, to)
    assert (change.by, change.at, change.note, change.cause, change.owner) == (
        "agent:abc",
        T1,
        "called",
        "billing error",
        "billing",
    )
    assert change.seq == 4 and case.seq == 4
    assert case.owner == "billing" and case.cause == "billing error"


@pytest.mark.parametrize("from_,to", sorted(set(product(STATES, STATES)) - ALLOWED))
def test_forbidden_transition_is_a_conflict_naming_the_allowed_ones(from_, to):
    case = case_in(from_)
    with pytest.raises(TransitionForbidden) as err:
        case.transition(to, at=T1, by="agent:abc", cause="x")
    assert status_of(err.value)[0] == 409
    assert err.value.extra["allowed"] == sorted(t for f, t in ALLOWED if f == from_)
    assert case.status == from_ and case.changes == [] and case.seq == 3


def test_an_unknown_state_is_forbidden_too():
    with pytest.raises(TransitionForbidden) as err:
        case_in("open").transition("solved", at=T1, by="a")
    assert err.value.extra["allowed"] == ["contacted", "unreachable"]


def test_closing_is_only_through_confirmation():
    with pytest.raises(TransitionForbidden) as err:
        case_in("responded").transition("closed", at=T1, by="a")
    assert "confirmation" in err.value.detail


def test_control_allows_nothing_at_all():
    case = opened(control=True)
    assert case.status is Status.CONTROL and case.allowed == []
    for to in STATES:
        with pytest.raises(TransitionForbidden):
            case.transition(to, at=T1, by="a", cause="x")
    with pytest.raises(TransitionForbidden):
        case.confirm(solved=True, current_feeling=9, at=T1, by="a")


@pytest.mark.parametrize("from_", ["open", "unreachable"])
@pytest.mark.parametrize("cause", [None, "", "   "])
def test_contacted_requires_a_cause(from_, cause):
    case = case_in(from_)
    with pytest.raises(CauseRequired) as err:
        case.transition("contacted", at=T1, by="a", cause=cause)
    assert status_of(err.value)[0] == 422 and err.value.errors[0]["field"] == "cause"
    assert case.status == from_ and case.changes == []


def test_other_transitions_need_no_cause():
    case = case_in("contacted")
    case.transition("analysing", at=T1, by="a")
    assert case.status is Status.ANALYSING


def test_timestamps_per_status_keep_the_first_contact():
    case = opened()
    case.transition("contacted", at=T1, by="a", cause="late delivery")
    case.transition("unreachable", at=T1 + timedelta(hours=1), by="a")
    case.transition("contacted", at=T1 + timedelta(hours=2), by="a", cause="late delivery")
    case.transition("analysing", at=T1 + timedelta(hours=3), by="a")
    case.transition("responded", at=T1 + timedelta(hours=4), by="a")
    case.confirm(solved=True, current_feeling=8, at=T1 + timedelta(hours=5), by="a")
    assert case.first_contact_at == T1
    assert case.unreachable_at == T1 + timedelta(hours=1)
    assert case.analysing_at == T1 + timedelta(hours=3)
    assert case.responded_at == T1 + timedelta(hours=4)
    assert case.closed_at == T1 + timedelta(hours=5)
    assert [c.seq for c in case.changes] == list(range(1, 8))


def test_owner_is_assigned_at_any_transition_and_kept_otherwise():
    case = case_in("open")
    case.transition("contacted", at=T1, by="a", cause="c", owner="contact-center")
    case.transition("analysing", at=T1, by="a")
    assert case.owner == "contact-center"
    case.transition("responded", at=T1, by="a", owner="billing")
    assert case.owner == "billing"
    assert [c.owner for c in case.changes] == ["contact-center", "contact-center", "billing"]


@pytest.mark.parametrize("status", [s for s in STATES if s != "responded"])
def test_confirmation_only_from_responded(status):
    case = case_in(status)
    for solved in (True, False):
        with pytest.raises(TransitionForbidden):
            case.confirm(solved=solved, current_feeling=7, at=T1, by="a")
    assert case.status == status and case.changes == []


def test_solved_confirmation_closes_with_the_current_feeling():
    case = case_in("responded")
    case.confirm(solved=True, current_feeling=8.5, at=T1, by="agent:x", note="happy", response_id=None)
    assert case.status is Status.CLOSED and case.closed_at == T1 and case.current_feeling == 8.5
    [change] = case.changes
    assert change.kind is Kind.CLOSED and change.solved is True and change.current_feeling == 8.5
    assert (change.from_status, change.to_status) == ("responded", "closed")


def test_solved_confirmation_needs_the_current_feeling():
    case = case_in("responded")
    with pytest.raises(FeelingRequired) as err:
        case.confirm(solved=True, at=T1, by="a")
    assert err.value.errors[0]["field"] == "current_feeling" and case.status is Status.RESPONDED


def test_not_solved_goes_back_to_analysing():
    case = case_in("responded")
    case.confirm(solved=False, current_feeling=4, at=T1, by="a", note="still charged twice")
    assert case.status is Status.ANALYSING and case.closed_at is None
    [change] = case.changes
    assert change.kind is Kind.TRANSITIONED and change.solved is False and change.note == "still charged twice"


def test_opening_records_the_alert():
    case = opened()
    assert case.status is Status.OPEN and case.seq == 1
    [change] = case.changes
    assert (change.kind, change.to_status, change.alert_id, change.response_id) == (
        Kind.OPENED,
        Status.OPEN,
        "A-1",
        "r-1",
    )


def test_a_later_alert_joins_the_timeline():
    case = case_in("analysing")
    case.add_alert(alert_id="A-2", response_id="r-2", at=T1, by="lazo:alerts")
    assert case.status is Status.ANALYSING
    [change] = case.changes
    assert change.kind is Kind.ALERT_ADDED and change.alert_id == "A-2"


def test_a_later_alert_puts_an_unreachable_case_back_in_the_queue():
    case = case_in("unreachable")
    case.add_alert(alert_id="A-2", response_id="r-2", at=T1, by="lazo:alerts")
    assert case.status is Status.OPEN
    assert [c.kind for c in case.changes] == [Kind.ALERT_ADDED, Kind.TRANSITIONED]


def test_a_held_out_alert_changes_nothing_but_the_timeline():
    case = case_in("unreachable")
    case.add_alert(alert_id="A-2", response_id="r-2", at=T1, by="lazo:alerts", held_out=True)
    assert case.status is Status.UNREACHABLE and len(case.changes) == 1


def test_a_closed_case_takes_no_alert():
    with pytest.raises(ValueError):
        case_in("closed").add_alert(alert_id="A-2", response_id=None, at=T1, by="lazo:alerts")


def test_a_follow_up_before_the_response_is_noted_only():
    case = case_in("contacted")
    case.record_follow_up(response_id="r-9", current_feeling=6.3, at=T1, by="lazo:survey")
    assert case.status is Status.CONTACTED and case.current_feeling is None
    [change] = case.changes
    assert change.kind is Kind.FOLLOW_UP and change.response_id == "r-9" and change.current_feeling == 6.3


def test_each_breach_is_recorded_once():
    case = case_in("open")
    assert case.mark_overdue(Breach.FIRST_CONTACT, at=T1, by="lazo:sla") is True
    assert case.mark_overdue(Breach.FIRST_CONTACT, at=T1, by="lazo:sla") is False
    assert case.mark_overdue(Breach.CLOSE, at=T1, by="lazo:sla") is True
    assert [c.overdue for c in case.changes] == [Breach.FIRST_CONTACT, Breach.CLOSE]
    assert case.first_contact_overdue_at == T1 and case.close_overdue_at == T1


def test_take_changes_hands_them_over_once():
    case = opened()
    assert len(case.take_changes()) == 1 and case.take_changes() == []
