"""The soak: a constant paced load for a set time, reporting as it goes.

Every few seconds: responses accepted and scored per second in that interval, and the POST →
`lazo.score.computed` delay of the responses scored in it (p50, p95, p99). At the end, the whole
run's figures and each process's resident memory (from /proc), so a leak or a slow drift in
latency shows up as a trend rather than hiding in one average.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from shared.events import EventType, Topic
from bench import workload
from bench.kafka import Arrivals, settle
from bench.latency import percentile
from bench.loadgen import Connection, post_timed

CUSTOMERS = 5000  # customers answer again and again, as in a live installation


def memory_mib(pid: int) -> dict[str, float] | None:
    """Resident memory now (VmRSS) and at its peak (VmHWM) of a process, in MiB; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = {}
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)  # kB
    return {"rss_mib": values.get("VmRSS", 0.0), "peak_mib": values.get("VmHWM", 0.0)}


def figures(delays: list[float]) -> dict:
    if not delays:
        return {}
    ordered = sorted(delays)
    return {f"p{p}_ms": round(percentile(ordered, p), 1) for p in (50, 95, 99)}


def line(tick: dict) -> str:
    latency = (
        f"p50 {tick['p50_ms']:.0f} · p95 {tick['p95_ms']:.0f} · p99 {tick['p99_ms']:.0f} ms"
        if "p50_ms" in tick
        else "no scores"
    )
    return (
        f"{tick['t']:>5.0f} s  accepted {tick['accepted_per_s']:>6,.0f}/s  scored {tick['scored_per_s']:>6,.0f}/s  "
        f"POST → score {latency}  (awaiting a score: {tick['outstanding']:,})"
    )


async def run(
    *,
    host: str,
    port: int,
    key: str,
    bootstrap: str,
    prefix: str,
    rate: float,
    seconds: float,
    every: float = 5.0,
    connections: int = 128,
    settle_s: float = 10.0,
    max_wait_s: float = 120.0,
    say: Callable[[str], None] = print,
) -> dict:
    arrivals = await Arrivals(bootstrap, Topic.SCORES, EventType.SCORE_COMPUTED).start()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(host, port))
    accepted: dict[str, float] = {}  # response id → when its POST was answered, until its score is read
    statuses: Counter[int] = Counter()
    every_delay: list[float] = []
    ticks: list[dict] = []
    inflight: set[asyncio.Task] = set()
    window = {"accepted": 0}

    async def post(rid: str, raw: bytes) -> None:
        answered = await post_timed(pool, host, port, raw, statuses)
        if answered is not None:
            accepted[rid] = answered
            window["accepted"] += 1

    def collect() -> list[float]:
        """Pair the scores read since the last call with their POSTs; the delays in ms."""
        delays = []
        seen = arrivals.seen
        for rid in list(seen):
            if rid in accepted:
                delays.append((seen.pop(rid) - accepted.pop(rid)) * 1000)
            elif not rid.startswith(prefix):
                del seen[rid]  # someone else's; ours wait for their 202 to be recorded
        every_delay.extend(delays)
        return delays

    def tick(t: float, span: float) -> None:
        delays = collect()
        entry = {
            "t": round(t, 1),
            "accepted_per_s": round(window["accepted"] / span, 1),
            "scored_per_s": round(len(delays) / span, 1),
            "outstanding": len(accepted),
            **figures(delays),
        }
        window["accepted"] = 0
        ticks.append(entry)
        say(line(entry))

    try:
        start = last = time.perf_counter()
        i = 0
        while (now := time.perf_counter()) < start + seconds:
            if now - last >= every:
                tick(now - start, now - last)
                last = now
            ahead = start + i / rate - now
            if ahead > 0:
                await asyncio.sleep(min(ahead, every))
                continue
            rid = f"{prefix}-r{i}"
            raw = workload.http_post(host, port, "/v1/responses", key, workload.response(prefix, i, CUSTOMERS))
            task = asyncio.create_task(post(rid, raw))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            i += 1
        await asyncio.gather(*inflight)
        posted_s = time.perf_counter() - start
        total_accepted = sum(n for s, n in statuses.items() if s == 202)

        # The load has stopped: wait for the last scores, still reporting.
        def scored() -> int:
            return len(every_delay) + sum(1 for rid in arrivals.seen if rid in accepted)

        await settle(scored, total_accepted, settle_s, max_wait_s)
        now = time.perf_counter()
        tick(now - start, now - last)
    finally:
        await arrivals.stop()
        while not pool.empty():
            pool.get_nowait().close()
    return {
        "rate_asked": rate,
        "seconds": seconds,
        "every": every,
        "posted": i,
        "accepted": total_accepted,
        "rate_achieved": round(total_accepted / posted_s, 1),
        "scored": len(every_delay),
        "missing": len(accepted),
        "statuses": {str(k): v for k, v in statuses.items()},
        **figures(every_delay),
        "ticks": ticks,
    }
