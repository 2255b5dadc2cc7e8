"""Properties of the per-key token bucket (hypothesis), on a clock the test moves."""

from __future__ import annotations

from itertools import accumulate

from hypothesis import given
from hypothesis import strategies as st

from shared.http.ratelimit import RateLimiter, TokenBucket

rates = st.floats(min_value=0.1, max_value=1000, allow_nan=False)
bursts = st.integers(min_value=1, max_value=50)
gaps = st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), min_size=1, max_size=200)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(rates, bursts, gaps)
def test_never_more_than_the_burst_plus_the_rate_over_any_window(rate, burst, gap_list):
    bucket = TokenBucket(rate, burst, 0.0)
    times = list(accumulate(gap_list))
    allowed = [t for t in times if bucket.take(t) == 0]
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= burst + rate * (allowed[j] - start) + 1e-6


@given(rates, bursts, gaps)
def test_a_refusal_says_how_long_to_wait_and_that_wait_is_enough(rate, burst, gap_list):
    bucket = TokenBucket(rate, burst, 0.0)
    now = 0.0
    for gap in gap_list:
        now += gap
        wait = bucket.take(now)
        assert wait >= 0
        if wait:
            assert wait <= 1 / rate + 1e-9  # at most one token's worth
            probe = TokenBucket(rate, burst, 0.0)
            probe.tokens, probe.at = bucket.tokens, bucket.at
            assert probe.take(now + wait + 1e-9) == 0


@given(rates, bursts, st.integers(min_value=1, max_value=100))
def test_requests_at_the_rate_always_pass_and_a_fresh_key_has_its_burst(rate, burst, n):
    bucket = TokenBucket(rate, burst, 0.0)
    assert all(bucket.take(i / rate) == 0 for i in range(n))
    clock = Clock()
    limiter = RateLimiter(rate, burst, clock=clock)
    assert [limiter.take("a") for _ in range(burst)] == [0] * burst
    assert limiter.take("a") > 0
    assert limiter.take("b") == 0  # another key: its own bucket
    clock.now = 1 / rate
    assert limiter.take("a") == 0


def test_defaults_and_switching_off():
    assert RateLimiter(2000).burst == 2000 and RateLimiter(0.5).burst == 1
    assert not RateLimiter(0).enabled and RateLimiter(0.01, 3).enabled
