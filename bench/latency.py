"""POST accepted → event read from the broker, at a paced rate (an open loop: the pace does not
slow down when the system does, so queueing shows up in the figures).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench import workload
from bench.kafka import Arrivals, settle
from bench.loadgen import Connection, post_timed
from shared.events import EventType, Topic


@dataclass(frozen=True)
class Milestone:
    """An event the pipeline publishes for a posted response, and which responses expect it."""

    name: str
    topic: str
    event_type: str
    expected: Callable[[int], bool]


# A later issue adds a milestone here (e.g. lazo.case.opened) and the report shows it.
MILESTONES = (
    Milestone("score", Topic.SCORES, EventType.SCORE_COMPUTED, lambda i: True),
    Milestone("alert", Topic.ALERTS, EventType.ALERT_RAISED, workload.is_detractor),
)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(math.ceil(p / 100 * len(sorted_values)) - 1, 0)]


def summarise(milestone: Milestone, accepted: dict[str, float], index: dict[str, int],
              seen: dict[str, float]) -> dict:
    expected = [rid for rid in accepted if milestone.expected(index[rid])]
    delays = sorted((seen[rid] - accepted[rid]) * 1000 for rid in expected if rid in seen)
    out = {"event": milestone.event_type, "expected": len(expected), "seen": len(delays),
           "missing": len(expected) - len(delays)}
    if delays:
        out.update({f"p{p}_ms": round(percentile(delays, p), 1) for p in (50, 95, 99)})
        out.update(mean_ms=round(sum(delays) / len(delays), 1), max_ms=round(delays[-1], 1))
    else:
        out["note"] = f"no {milestone.event_type} events"
    return out


async def measure(*, host: str, port: int, key: str, bootstrap: str, prefix: str, rate: float,
                  seconds: float, connections: int = 128, settle_s: float = 10.0, max_wait_s: float = 90.0,
                  milestones: tuple[Milestone, ...] = MILESTONES) -> dict:
    arrivals = [await Arrivals(bootstrap, m.topic, m.event_type).start() for m in milestones]
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(host, port))
    total = max(int(rate * seconds), 1)
    requests = [(f"{prefix}-r{i}", workload.http_post(host, port, "/v1/responses", key, workload.response(prefix, i)))
                for i in range(total)]
    index = {rid: i for i, (rid, _) in enumerate(requests)}
    accepted: dict[str, float] = {}
    statuses: Counter[int] = Counter()

    async def post(rid: str, raw: bytes) -> None:
        answered = await post_timed(pool, host, port, raw, statuses)
        if answered is not None:
            accepted[rid] = answered

    try:
        start = time.perf_counter()
        tasks = []
        for i, (rid, raw) in enumerate(requests):
            ahead = start + i / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
            tasks.append(asyncio.create_task(post(rid, raw)))
        await asyncio.gather(*tasks)
        posted_s = time.perf_counter() - start

        wanted = sum(sum(m.expected(index[r]) for r in accepted) for m in milestones)
        await settle(lambda: sum(len(a.seen) for a in arrivals), wanted, settle_s, max_wait_s)
    finally:
        for a in arrivals:
            await a.stop()
        while not pool.empty():
            pool.get_nowait().close()
    return {"rate_asked": rate, "seconds": seconds, "posted": total, "accepted": len(accepted),
            "rate_achieved": round(len(accepted) / posted_s, 1), "statuses": {str(k): v for k, v in statuses.items()},
            "milestones": {m.name: summarise(m, accepted, index, a.seen) for m, a in zip(milestones, arrivals)}}
