"""Properties of the selection rules, the control group and the alert decision (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.alerts import AlertReason as R
from services.alerts.domain.control import control_position, held_out
from services.alerts.domain.rules import AlertRules, reasons_for
from services.alerts.domain.selection import PriorAlert, cooling_alert, decide

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORDER = [R.IEC_AT_OR_BELOW_THRESHOLD, R.COMMENT, R.IEC_DROP]

iecs = st.floats(min_value=1, max_value=10, allow_nan=False)
thresholds = st.floats(min_value=1, max_value=10, allow_nan=False)
comments = st.none() | st.text(max_size=20)
rules = st.builds(
    AlertRules,
    threshold=thresholds,
    comment_selects=st.booleans(),
    drop_points=st.none() | st.floats(min_value=0.01, max_value=9, allow_nan=False),
    cooldown_days=st.integers(0, 365),
    control_share=st.floats(0, 1, allow_nan=False),
)
customers = st.text(min_size=1, max_size=12)
moments = st.integers(-60 * 24 * 30, 60 * 24 * 30).map(lambda minutes: T0 + timedelta(minutes=minutes))


@given(rules, iecs, comments, st.none() | iecs)
def test_reasons_are_non_empty_exactly_when_a_rule_selects(r, iec, comment, previous):
    reasons = reasons_for(r, iec=iec, comment=comment, previous_iec=previous)
    by_threshold = iec <= r.threshold
    by_comment = r.comment_selects and bool(comment and comment.strip())
    by_drop = r.drop_points is not None and previous is not None and previous - iec >= r.drop_points
    assert bool(reasons) == (by_threshold or by_comment or by_drop)
    assert reasons == [x for x, fired in zip(ORDER, (by_threshold, by_comment, by_drop)) if fired]


@given(rules, iecs, comments, st.none() | iecs, thresholds)
def test_a_higher_threshold_never_selects_fewer(r, iec, comment, previous, other):
    low, high = sorted((r.threshold, other))
    fewer = reasons_for(r.model_copy(update={"threshold": low}), iec=iec, comment=comment, previous_iec=previous)
    more = reasons_for(r.model_copy(update={"threshold": high}), iec=iec, comment=comment, previous_iec=previous)
    assert set(fewer) <= set(more)


@given(rules, iecs, iecs, comments)
def test_a_lower_iec_never_selects_fewer_on_threshold(r, a, b, comment):
    lower, higher = sorted((a, b))
    if R.IEC_AT_OR_BELOW_THRESHOLD in reasons_for(r, iec=higher, comment=comment, previous_iec=None):
        assert R.IEC_AT_OR_BELOW_THRESHOLD in reasons_for(r, iec=lower, comment=comment, previous_iec=None)


@given(st.text(max_size=8), customers, st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))
def test_the_control_group_grows_with_its_share_and_is_fixed_per_customer(program, customer, a, b):
    small, large = sorted((a, b))
    assert 0 <= control_position(program, customer) < 1
    if held_out(program, customer, small):
        assert held_out(program, customer, large)
    assert not held_out(program, customer, 0.0)
    assert held_out(program, customer, 1.0)


@given(
    rules,
    st.text(max_size=8),
    customers,
    iecs,
    comments,
    st.none() | iecs,
    moments,
    st.lists(st.tuples(st.uuids().map(str), moments), max_size=4),
)
def test_the_decision_raises_or_attaches_only_what_is_selected(
    r, program, customer, iec, comment, previous, at, prior_raw
):
    prior = [PriorAlert(alert_id, when) for alert_id, when in prior_raw]
    d = decide(
        r,
        program=program,
        customer_id=customer,
        iec=iec,
        comment=comment,
        previous_iec=previous,
        submitted_at=at,
        prior=prior,
    )
    assert d.selected == bool(reasons_for(r, iec=iec, comment=comment, previous_iec=previous))
    assert not (d.raises and d.attach_to)  # one or the other
    if not d.selected:
        assert d.attach_to is None and not d.control_group
    if d.attach_to is not None:
        cooling = cooling_alert(prior, at, r.cooldown_days)
        assert cooling is not None and cooling.alert_id == d.attach_to
        assert abs(at - cooling.submitted_at) < timedelta(days=r.cooldown_days)
        assert not d.control_group  # an attached response is no new assignment
    if d.raises:
        assert d.control_group == held_out(program, customer, r.control_share)
        assert all(abs(at - p.submitted_at) >= timedelta(days=r.cooldown_days) for p in prior) or r.cooldown_days == 0
