"""Properties of the case state machine under random sequences of everything that can happen to a
case (hypothesis): agents' transitions (allowed or not, with or without a cause), confirmations,
new alerts, follow-up surveys and SLA breaches."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared.errors import Conflict, InvalidInput
from services.casework.domain.case import TRANSITIONS, Breach, Case, Kind, Status

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

# The only ways a status changes besides an agent's transition.
BY_CONFIRMATION = {(Status.RESPONDED, Status.CLOSED), (Status.RESPONDED, Status.ANALYSING)}
BY_NEW_ALERT = {(Status.UNREACHABLE, Status.OPEN)}
EDGES = {(a, b) for a, targets in TRANSITIONS.items() for b in targets} | BY_CONFIRMATION | BY_NEW_ALERT

targets = st.sampled_from([*Status, "nonsense", ""])
causes = st.none() | st.sampled_from(["", "  ", "billing error"])
feelings = st.none() | st.floats(min_value=1, max_value=10, allow_nan=False)
operations = st.one_of(
    st.tuples(st.just("transition"), targets, causes),
    # The next step of the happy path, as an agent would take it: weighted so that histories go deep.
    *[st.just(("advance",))] * 3,
    st.tuples(st.just("confirm"), st.booleans(), feelings),
    st.tuples(st.just("alert"), st.booleans()),
    st.tuples(st.just("follow_up"), st.floats(min_value=1, max_value=10, allow_nan=False)),
    st.tuples(st.just("overdue"), st.sampled_from(list(Breach))),
)


def new_case(control: bool) -> Case:
    return Case.open(
        case_id="case-1",
        customer_id="C-1",
        program="default",
        control=control,
        at=T0,
        first_contact_due=T0 + timedelta(hours=48),
        close_due=T0 + timedelta(days=14),
        alert_id="a-0",
        response_id="r-0",
        by="alerts",
    )


def apply(case: Case, op: tuple, at: datetime) -> None:
    kind = op[0]
    if kind == "transition":
        case.transition(op[1], at=at, by="agent", cause=op[2], note="n")
    elif kind == "advance":
        if case.status is Status.RESPONDED:
            case.confirm(solved=True, current_feeling=8, at=at, by="agent")
        else:
            forward = [s for s in ("contacted", "analysing", "responded") if s in case.allowed]
            case.transition(forward[0] if forward else "closed", at=at, by="agent", cause="found it")
    elif kind == "confirm":
        case.confirm(solved=op[1], current_feeling=op[2], at=at, by="agent")
    elif kind == "alert":
        case.add_alert(alert_id=f"a-{at.timestamp()}", response_id=None, at=at, by="alerts", held_out=op[1])
    elif kind == "follow_up":
        case.record_follow_up(response_id="r-f", current_feeling=op[1], at=at, by="scoring")
    else:
        case.mark_overdue(op[1], at=at, by="sla")


@settings(max_examples=300)
@given(st.sampled_from([False, False, False, True]), st.lists(operations, min_size=4, max_size=40))
def test_random_histories_stay_inside_the_state_machine(control, ops):
    case = new_case(control)
    timeline = case.take_changes()
    first_contact = None
    for i, op in enumerate(ops):
        at = T0 + timedelta(minutes=i + 1)
        before = copy.deepcopy(case)
        try:
            apply(case, op, at)
        except (Conflict, InvalidInput, ValueError):
            # A refused action changes nothing at all.
            assert case == before
            continue
        changes = case.take_changes()
        timeline += changes
        assert isinstance(case.status, Status)  # never an undefined state
        if case.status != before.status:
            assert (before.status, case.status) in EDGES, (before.status, case.status, op)
        if case.status is Status.CLOSED and before.status is not Status.CLOSED:
            # Closed only by the customer's confirmation that it is solved, from `responded`.
            assert op[0] == "advance" or (op[0] == "confirm" and op[1] is True)
            assert before.status is Status.RESPONDED
            assert case.current_feeling is not None and case.closed_at == at
        if before.status is Status.CLOSED:
            assert case.status is Status.CLOSED  # nothing reopens a closed case
        if control:
            assert case.status is Status.CONTROL  # a control case allows nothing, ever
        if case.first_contact_at is not None:
            first_contact = first_contact or case.first_contact_at
            assert case.first_contact_at == first_contact  # the first contact is kept
    event(f"ends {case.status}")  # --hypothesis-show-statistics: every state is reached
    # The timeline is gap-free and tells the same story as the case.
    assert [c.seq for c in timeline] == list(range(1, case.seq + 1))
    moves = [c for c in timeline if c.to_status is not None]
    assert moves[0].kind is Kind.OPENED and moves[-1].to_status is case.status
    for previous, current in zip(moves, moves[1:]):
        assert current.from_status is previous.to_status
    if case.status is Status.CONTACTED or case.first_contact_at is not None:
        assert any(c.to_status is Status.CONTACTED and c.cause for c in timeline)
    assert sum(c.kind is Kind.OVERDUE for c in timeline) <= len(Breach)  # each breach once


@given(st.lists(operations, max_size=30))
def test_the_loop_always_can_be_closed_from_any_working_state(ops):
    """Liveness: whatever happened, a case that is not closed nor a control one can still be closed."""
    case = new_case(False)
    for i, op in enumerate(ops):
        try:
            apply(case, op, T0 + timedelta(minutes=i + 1))
        except (Conflict, InvalidInput, ValueError):
            pass
    if case.status is Status.CLOSED:
        return
    at = T0 + timedelta(days=1)
    path = {
        Status.OPEN: ["contacted", "analysing", "responded"],
        Status.UNREACHABLE: ["contacted", "analysing", "responded"],
        Status.CONTACTED: ["analysing", "responded"],
        Status.ANALYSING: ["responded"],
        Status.RESPONDED: [],
    }[case.status]
    for step in path:
        case.transition(step, at=at, by="agent", cause="found")
    case.confirm(solved=True, current_feeling=8, at=at, by="agent")
    assert case.status is Status.CLOSED
