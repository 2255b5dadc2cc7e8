"""The control-group split: deterministic per programme and customer, and true to its share."""

from __future__ import annotations

import pytest

from services.alerts.domain.control import control_position, held_out

CUSTOMERS = [f"C-{i:05d}" for i in range(10_000)]


@pytest.mark.parametrize("share", [0.05, 0.1, 0.25, 0.5, 0.9])
def test_held_out_share_is_within_two_points_of_the_setting(share):
    held = sum(held_out("default", c, share) for c in CUSTOMERS)
    assert abs(held / len(CUSTOMERS) - share) <= 0.02


def test_assignment_is_stable_and_nested():
    first = [held_out("default", c, 0.3) for c in CUSTOMERS]
    assert first == [held_out("default", c, 0.3) for c in CUSTOMERS]
    # raising the share only adds customers: nobody already held out is moved to treatment
    assert all(held_out("default", c, 0.5) for c, h in zip(CUSTOMERS, first) if h)


def test_zero_and_one_are_absolute():
    assert not any(held_out("default", c, 0.0) for c in CUSTOMERS)
    assert all(held_out("default", c, 1.0) for c in CUSTOMERS)


def test_position_depends_on_the_programme_too():
    assert control_position("a", "C-1") != control_position("b", "C-1")
    assert 0 <= control_position("a", "C-1") < 1
    # a known value pins the formula (sha256("default:C-42")[:8] / 2**64): replays and replicas agree
    assert control_position("default", "C-42") == pytest.approx(
        int.from_bytes(__import__("hashlib").sha256(b"default:C-42").digest()[:8], "big") / 2**64
    )
