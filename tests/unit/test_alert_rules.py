"""Selection rules, cool-down and the combined decision: pure domain, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.contracts.alerts import AlertReason as R
from services.alerts.domain.rules import DEFAULT_RULES, AlertRules, reasons_for
from services.alerts.domain.selection import PriorAlert, cooling_alert, decide

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "iec, comment, previous, rules, expected",
    [
        (6.0, None, None, DEFAULT_RULES, [R.IEC_AT_OR_BELOW_THRESHOLD]),  # the threshold itself selects
        (6.01, None, None, DEFAULT_RULES, []),
        (1.0, "", None, DEFAULT_RULES, [R.IEC_AT_OR_BELOW_THRESHOLD]),
        (9.3, "Nadie me llamó", None, DEFAULT_RULES, [R.COMMENT]),
        (9.3, "  \n\t", None, DEFAULT_RULES, []),  # a blank comment is no comment
        (9.3, "Nadie me llamó", None, AlertRules(comment_selects=False), []),
        (7.0, None, 9.5, DEFAULT_RULES, []),  # drop rule off by default
        (7.0, None, 9.5, AlertRules(drop_points=2), [R.IEC_DROP]),
        (7.5, None, 9.5, AlertRules(drop_points=2), [R.IEC_DROP]),  # exactly the drop
        (7.6, None, 9.5, AlertRules(drop_points=2), []),
        (7.0, None, None, AlertRules(drop_points=2), []),  # no previous IEC, no drop
        (3.0, "mal", 9.0, AlertRules(drop_points=2), [R.IEC_AT_OR_BELOW_THRESHOLD, R.COMMENT, R.IEC_DROP]),
        (4.5, None, None, AlertRules(threshold=4), []),
    ],
)
def test_reasons_list_every_rule_that_fired(iec, comment, previous, rules, expected):
    assert reasons_for(rules, iec=iec, comment=comment, previous_iec=previous) == expected


@pytest.mark.parametrize(
    "field, value",
    [
        ("threshold", 0),
        ("threshold", 10.5),
        ("control_share", -0.1),
        ("control_share", 1.01),
        ("cooldown_days", -1),
        ("cooldown_days", 366),
        ("drop_points", 0),
        ("drop_points", 10),
        ("nonsense", 1),
    ],
)
def test_rules_out_of_range_name_the_field(field, value):
    with pytest.raises(ValidationError) as err:
        AlertRules(**{field: value})
    assert err.value.errors()[0]["loc"] == (field,)


def test_defaults_are_the_seed_method():
    assert DEFAULT_RULES.model_dump() == {
        "threshold": 6,
        "comment_selects": True,
        "drop_points": None,
        "cooldown_days": 7,
        "control_share": 0.0,
        "emotions": [],
        "causes": [],
        "contradiction_selects": True,
    }


def test_cooldown_picks_the_newest_alert_within_the_window_either_side():
    prior = [PriorAlert("old", T0 - timedelta(days=20)), PriorAlert("a", T0), PriorAlert("b", T0 + timedelta(days=3))]
    assert cooling_alert(prior, T0 + timedelta(days=5), 7).alert_id == "b"
    assert cooling_alert(prior, T0 - timedelta(days=2), 7).alert_id == "b"  # a late, older response
    assert cooling_alert(prior, T0 + timedelta(days=10), 7) is None  # exactly 7 days after b: new episode
    assert cooling_alert(prior, T0 + timedelta(days=9, hours=23), 7).alert_id == "b"
    assert cooling_alert(prior, T0 + timedelta(days=1), 0) is None  # no cool-down at all
    assert cooling_alert([], T0, 7) is None


def test_decide_raises_attaches_or_ignores():
    kw = dict(program="p", customer_id="c-1", comment=None, previous_iec=None, submitted_at=T0)
    assert not decide(DEFAULT_RULES, iec=8, prior=[], **kw).selected
    fresh = decide(DEFAULT_RULES, iec=3, prior=[], **kw)
    assert fresh.raises and fresh.reasons == (R.IEC_AT_OR_BELOW_THRESHOLD,) and not fresh.control_group
    attached = decide(DEFAULT_RULES, iec=3, prior=[PriorAlert("a", T0 - timedelta(days=1))], **kw)
    assert attached.selected and not attached.raises and attached.attach_to == "a"
    # a not-selected response never attaches, even within a cool-down
    assert decide(DEFAULT_RULES, iec=8, prior=[PriorAlert("a", T0)], **kw).attach_to is None
    held = decide(AlertRules(control_share=1.0), iec=3, prior=[], **kw)
    assert held.raises and held.control_group
