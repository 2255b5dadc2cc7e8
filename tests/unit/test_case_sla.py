"""SLA due times and breaches, and the events a case's changes become."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.events import EventType
from services.casework.domain.case import Breach, Case, Status
from services.casework.domain.sla import Sla, breaches
from services.casework.service import PUBLISHED, case_event, case_id_for

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FC_DUE = T0 + timedelta(hours=48)
CLOSE_DUE = T0 + timedelta(days=14)


def test_default_due_times():
    sla = Sla()
    assert sla.first_contact_due(T0) == T0 + timedelta(hours=48)
    assert sla.close_due(T0) == T0 + timedelta(days=14)


def test_zero_means_due_at_once():
    sla = Sla(first_contact_hours=0, close_days=0)
    assert sla.first_contact_due(T0) == T0 and sla.close_due(T0) == T0
    assert breaches(Status.OPEN, T0, T0, T0) == [Breach.FIRST_CONTACT, Breach.CLOSE]


def test_negative_durations_are_refused():
    with pytest.raises(ValueError):
        Sla(first_contact_hours=-1)
    with pytest.raises(ValueError):
        Sla(close_days=-1)


def test_first_contact_breach_only_while_nobody_reached_the_customer():
    late = FC_DUE + timedelta(seconds=1)
    assert breaches(Status.OPEN, FC_DUE, CLOSE_DUE, FC_DUE - timedelta(seconds=1)) == []
    assert breaches(Status.OPEN, FC_DUE, CLOSE_DUE, FC_DUE) == [Breach.FIRST_CONTACT]
    assert breaches(Status.OPEN, FC_DUE, CLOSE_DUE, late) == [Breach.FIRST_CONTACT]
    for status in (Status.CONTACTED, Status.ANALYSING, Status.RESPONDED):
        assert breaches(status, FC_DUE, CLOSE_DUE, late) == []


@pytest.mark.parametrize("status", list(Status))
def test_close_breach_while_the_case_is_worked(status):
    late = CLOSE_DUE + timedelta(minutes=1)
    got = breaches(status, FC_DUE, CLOSE_DUE, late)
    expected = {
        Status.OPEN: [Breach.FIRST_CONTACT, Breach.CLOSE],
        Status.CONTACTED: [Breach.CLOSE],
        Status.ANALYSING: [Breach.CLOSE],
        Status.RESPONDED: [Breach.CLOSE],
    }.get(status, [])
    assert got == expected  # closed, unreachable and control are never overdue


def test_each_published_change_becomes_a_case_event_with_a_stable_id():
    case = Case.open(
        case_id="K9",
        customer_id="C-9",
        program="p",
        control=False,
        at=T0,
        first_contact_due=FC_DUE,
        close_due=CLOSE_DUE,
        alert_id="A-9",
        response_id="r-9",
        by="lazo:alerts",
    )
    case.transition("contacted", at=T0, by="agent:1", cause="wrong invoice", owner="billing")
    events = [case_event(case, c, PUBLISHED[c.kind]) for c in case.take_changes()]
    assert [e.id for e in events] == ["K9:1", "K9:2"]
    assert [e.type for e in events] == [EventType.CASE_OPENED, EventType.CASE_TRANSITIONED]
    assert {e.subject for e in events} == {"C-9"}
    assert events[0].data["alert_id"] == "A-9" and events[0].data["status"] == "open"
    assert (
        events[1].data.items()
        >= {
            "status": "contacted",
            "previous_status": "open",
            "owner": "billing",
            "cause": "wrong invoice",
            "by": "agent:1",
        }.items()
    )


def test_an_alert_names_one_case_id():
    assert case_id_for("A-1") == case_id_for("A-1") != case_id_for("A-2")
