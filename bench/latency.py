"""POST → events read from the broker, at a paced rate (an open loop: the pace does not slow down
when the system does, so queueing shows up in the figures).

Delays count from each request's *intended* send time (start + i / rate), not from when it was
sent or answered, so a generator or a server falling behind cannot hide its queue (coordinated
omission). Besides the milestones (score, alert, case), the hop-by-hop breakdown says where the
time of POST → case goes, from the timestamps the events carry themselves: when each event was
built (its CloudEvent `time`, inside the consumer's transaction) and published (the Kafka record's
timestamp, set by the producer as the relay sends it).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from shared.events import EventType, Topic
from bench import workload
from bench.kafka import Arrivals, Stamp, settle
from bench.loadgen import Connection, post_timed


@dataclass(frozen=True)
class Milestone:
    """An event the pipeline publishes for a posted response, and which responses expect it."""

    name: str
    topic: str
    event_type: str
    expected: Callable[[int], bool]
    key: str = "response_id"
    links: tuple[str, ...] = ()


RECEIVED = Milestone("response", Topic.RESPONSES, EventType.RESPONSE_RECEIVED, lambda i: True)
MILESTONES = (
    Milestone("score", Topic.SCORES, EventType.SCORE_COMPUTED, lambda i: True),
    Milestone(
        "alert", Topic.ALERTS, EventType.ALERT_RAISED, workload.is_detractor, links=("alert_id", "control_group")
    ),
    # Keyed by alert: a case names the alert that opened it, not the response.
    Milestone("case", Topic.CASES, EventType.CASE_OPENED, workload.is_detractor, key="alert_id"),
)

# The hops of POST → case, each (name, from, to) over the stamps of one detractor's events.
HOPS = (
    ("ingest: intended send → response on the broker", ("sent",), ("response", "published")),
    ("scoring: broker + batch wait → score built", ("response", "published"), ("score", "built")),
    ("scoring: transaction + relay → score on the broker", ("score", "built"), ("score", "published")),
    ("alerts: broker + batch wait → alert built", ("score", "published"), ("alert", "built")),
    ("alerts: transaction + relay → alert on the broker", ("alert", "built"), ("alert", "published")),
    ("casework: broker + batch wait → case built", ("alert", "published"), ("case", "built")),
    ("casework: transaction + relay → case on the broker", ("case", "built"), ("case", "published")),
    ("bench: reading the case event", ("case", "published"), ("case", "read")),
)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(math.ceil(p / 100 * len(sorted_values)) - 1, 0)]


def spread(delays_ms: list[float]) -> dict:
    delays = sorted(delays_ms)
    if not delays:
        return {}
    return {
        **{f"p{p}_ms": round(percentile(delays, p), 1) for p in (50, 95, 99)},
        "mean_ms": round(sum(delays) / len(delays), 1),
        "max_ms": round(delays[-1], 1),
    }


def summarise(milestone: Milestone, expected: list[str], start: dict[str, float], seen: dict[str, float]) -> dict:
    """Delays from `start` (per response id, perf-counter seconds) to `seen` for the expected ids."""
    delays = [(seen[rid] - start[rid]) * 1000 for rid in expected if rid in seen]
    out = {
        "event": milestone.event_type,
        "expected": len(expected),
        "seen": len(delays),
        "missing": len(expected) - len(delays),
        **spread(delays),
    }
    if out["missing"]:  # a few names to look up: nothing may be lost without a trace
        out["missing_sample"] = [rid for rid in expected if rid not in seen][:10]
    if not delays:
        out["note"] = f"no {milestone.event_type} events"
    return out


def hops(sent_wall: dict[str, float], stamps: dict[str, dict[str, Stamp]]) -> list[dict]:
    """The hop-by-hop breakdown over the responses that reached a case."""
    ids = [rid for rid in sent_wall if all(rid in stamps[m] for m in ("response", "score", "alert", "case"))]

    def at(rid: str, point: tuple[str, ...]) -> float:
        if point == ("sent",):
            return sent_wall[rid]
        return getattr(stamps[point[0]][rid], point[1])

    out = []
    for name, frm, to in HOPS:
        out.append({"hop": name, "responses": len(ids), **spread([(at(r, to) - at(r, frm)) * 1000 for r in ids])})
    return out


async def measure(
    *,
    host: str,
    port: int,
    key: str,
    bootstrap: str,
    prefix: str,
    rate: float,
    seconds: float,
    connections: int = 128,
    settle_s: float = 10.0,
    max_wait_s: float = 90.0,
    milestones: tuple[Milestone, ...] = MILESTONES,
) -> dict:
    watched = (RECEIVED, *milestones)
    arrivals = {
        m.name: await Arrivals(bootstrap, m.topic, m.event_type, key=m.key, links=m.links).start() for m in watched
    }
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(host, port))
    total = max(int(rate * seconds), 1)
    requests = [
        (f"{prefix}-r{i}", workload.http_post(host, port, "/v1/responses", key, workload.response(prefix, i)))
        for i in range(total)
    ]
    index = {rid: i for i, (rid, _) in enumerate(requests)}
    intended: dict[str, float] = {}
    accepted: dict[str, float] = {}
    statuses: Counter[int] = Counter()

    async def post(rid: str, raw: bytes) -> None:
        answered = await post_timed(pool, host, port, raw, statuses)
        if answered is not None:
            accepted[rid] = answered

    try:
        start, wall_start = time.perf_counter(), time.time()
        tasks = []
        for i, (rid, raw) in enumerate(requests):
            intended[rid] = start + i / rate
            ahead = intended[rid] - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
            tasks.append(asyncio.create_task(post(rid, raw)))
        await asyncio.gather(*tasks)
        posted_s = time.perf_counter() - start

        def expected_of(m: Milestone) -> int:
            return sum(m.expected(index[r]) for r in accepted)

        wanted = sum(expected_of(m) for m in milestones)
        await settle(lambda: sum(len(arrivals[m.name].seen) for m in milestones), wanted, settle_s, max_wait_s)
    finally:
        for a in arrivals.values():
            await a.stop()
        while not pool.empty():
            pool.get_nowait().close()

    # Cases arrive keyed by alert: bring them back to their response through the alert events,
    # and expect a case only for alerts raised outside the control group (its cases are withheld).
    alerts = arrivals["alert"].stamps
    by_alert = {s.links.get("alert_id"): rid for rid, s in alerts.items()}
    stamps = {name: dict(a.stamps) for name, a in arrivals.items()}
    stamps["case"] = {by_alert[aid]: s for aid, s in stamps["case"].items() if aid in by_alert}
    seen = {name: dict(a.seen) for name, a in arrivals.items()}
    seen["case"] = {by_alert[aid]: t for aid, t in seen["case"].items() if aid in by_alert}
    control = {rid for rid, s in alerts.items() if s.links.get("control_group")}

    result = {
        "rate_asked": rate,
        "seconds": seconds,
        "posted": total,
        "accepted": len(accepted),
        "rate_achieved": round(len(accepted) / posted_s, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
        "from": "intended send time",
        "milestones": {},
        "from_answer": {},
    }
    for m in milestones:
        expected = [rid for rid in accepted if m.expected(index[rid])]
        if m.name == "case":
            expected = [rid for rid in expected if rid not in control]
        result["milestones"][m.name] = {
            **summarise(m, expected, intended, seen[m.name]),
            "doubled": arrivals[m.name].doubled,
        }
        result["from_answer"][m.name] = summarise(m, expected, accepted, seen[m.name])
    result["control_group_alerts"] = len(control)
    sent_wall = {
        rid: wall_start + (intended[rid] - start)
        for rid in accepted
        if rid not in control and workload.is_detractor(index[rid])
    }
    result["hops"] = hops(sent_wall, stamps)
    return result
