"""The shared pieces every service is built from: backoff, background tasks, TTL cache, clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.background import BackgroundTask
from shared.backoff import Backoff
from shared.clock import FixedClock, as_utc
from shared.events import EventType, Topic, topic_of
from shared.ttlcache import TtlCache


def test_backoff_doubles_up_to_its_cap_and_resets():
    b = Backoff(0.1, 0.5)
    assert [b.next_delay() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    b.reset()
    assert b.next_delay() == 0.1


def test_backoff_with_jitter_stays_below_the_pause():
    b = Backoff(1.0, 8.0, jitter=True)
    for ceiling in (1.0, 2.0, 4.0, 8.0, 8.0):
        assert 0 <= b.next_delay() <= ceiling


def test_backoff_refuses_nonsense():
    with pytest.raises(ValueError):
        Backoff(0, 1)
    with pytest.raises(ValueError):
        Backoff(2, 1)


def test_ttl_cache_expires_and_bounds_its_size():
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, size=2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # evicts the oldest
    assert cache.get("a") is None and cache.get("b") == 2 and len(cache) == 2
    now[0] = 10.0
    assert cache.get("b") is None
    cache.put("d", 4)
    cache.forget("d")
    assert cache.get("d", -1) == -1


def test_clock_and_as_utc():
    clock = FixedClock(datetime(2026, 3, 29, 0, 30))
    assert clock.now().tzinfo is UTC
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    plus2 = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(plus2) == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_every_event_type_has_its_topic():
    types = [v for k, v in vars(EventType).items() if k.isupper()]
    assert all(topic_of(t) in Topic.ALL for t in types)


async def test_background_task_stops_what_it_started():
    started = asyncio.Event()

    class Forever(BackgroundTask):
        name = "forever"

        async def run(self) -> None:
            started.set()
            await asyncio.Event().wait()

    task = Forever()
    await task.start()
    await asyncio.wait_for(started.wait(), 5)
    assert task.alive
    await task.stop()
    assert not task.alive
