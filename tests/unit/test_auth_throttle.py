"""shared.http.throttle: failed authentications per client address, with a clock of the test's own."""

from __future__ import annotations

from shared.http.throttle import FailedAuthThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_may_fail_its_burst_then_waits_for_the_refill():
    clock = Clock()
    throttle = FailedAuthThrottle(per_min=6, burst=3, clock=clock)  # one failure back every 10 s
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 10
    assert throttle.retry_after("10.0.0.2") == 0  # each address on its own
    clock.now += 4
    assert throttle.retry_after("10.0.0.1") == 6
    clock.now += 6
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 10


def test_off_when_no_failure_comes_back():
    throttle = FailedAuthThrottle(per_min=0, burst=1)
    for _ in range(100):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0 and len(throttle) == 0


def test_memory_stays_bounded_and_the_throttled_are_kept_longest():
    clock = Clock()
    throttle = FailedAuthThrottle(per_min=1, burst=2, clock=clock, max_addresses=100)
    throttle.failed("attacker")
    throttle.failed("attacker")
    assert throttle.retry_after("attacker") > 0
    for i in range(10_000):  # a scan from many addresses, one failure each
        throttle.failed(f"10.{i // 256}.{i % 256}.1")
        if i % 50 == 0:
            throttle.failed("attacker")  # still at it: stays among the newest
        assert len(throttle) <= 100
    assert throttle.retry_after("attacker") > 0
