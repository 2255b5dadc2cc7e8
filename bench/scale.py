"""Scoring's throughput with one replica, then two in the same consumer group, on the same backlog.

For each: a small batch first, until every replica has scored some of it (so each holds its share
of the partitions and the group is settled); then the replicas are paused (SIGSTOP), the backlog is
posted through ingest, and the clock runs from their resumption to the last `lazo.score.computed`
read. Alerts and casework stay paused throughout: on a small machine they would take the CPU the
replicas compete for. Each replica's /metrics says how much of the backlog it scored, and /proc
how many cores the replicas used and how idle the machine was meanwhile: a second replica can
only go faster if there is a core for it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvloop
from prometheus_client.parser import text_string_to_metric_families

from shared.events import EventType
from bench import kafka, loadgen
from tests.harness import KEYS, ServiceProcess, System
from tests.support import poll

WARM = 600  # responses: spread over enough customers to reach every partition
SESSION_TIMEOUT_S = 15  # shared/consumer.py: a member paused longer is dropped from its group


def consumed(replica: ServiceProcess) -> float:
    """How many `lazo.response.received` this process's scoring consumer has handled."""
    text = httpx.get(f"{replica.url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "lazo_events_consumed_total"
                and sample.labels.get("group") == "scoring"
                and sample.labels.get("type") == EventType.RESPONSE_RECEIVED
            ):
                return sample.value
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_times() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs since boot (/proc/stat): idle includes waiting for I/O."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values)


def post(system: System, n: int, prefix: str, batch_size: int) -> dict:
    jobs = loadgen.split(
        n,
        1,
        host="127.0.0.1",
        port=system["ingest"].port,
        key=KEYS["ingest"],
        kind="batch",
        prefix=prefix,
        connections=4,
        batch_size=batch_size,
    )
    return loadgen.run(jobs)


def signal_all(replicas: list[ServiceProcess], sig: int) -> None:
    for r in replicas:
        r.process.send_signal(sig)


def drain(
    system: System,
    replicas: list[ServiceProcess],
    backlog: int,
    prefix: str,
    batch_size: int,
    say: Callable[[str], None],
) -> dict:
    before = {id(r): consumed(r) for r in replicas}
    warm = post(system, WARM, f"{prefix}-warm", batch_size)

    def settled() -> bool:
        gained = [consumed(r) - before[id(r)] for r in replicas]
        return all(gained) and sum(gained) >= warm["accepted"]

    uvloop.run(
        poll(
            settled,
            timeout=120,
            interval=0.5,
            what=f"each of {len(replicas)} scoring replica(s) scoring its share of {warm['accepted']} responses",
        )
    )
    start = {id(r): consumed(r) for r in replicas}
    signal_all(replicas, signal.SIGSTOP)
    try:
        paused_at = time.monotonic()
        posted = post(system, backlog, prefix, batch_size)
        paused_s = time.monotonic() - paused_at
        say(
            f"  {posted['accepted']:,} responses posted in {posted['seconds']:.1f} s; resuming "
            f"{len(replicas)} replica(s)"
        )
        cpu = sum(cpu_seconds(r.process.pid) for r in replicas)
        idle, total = machine_times()
        # Response ids are f"{prefix}-r{i}": the warm-up's (f"{prefix}-warm-r{i}") are not counted.
        result = uvloop.run(
            kafka.drain(
                system.broker.bootstrap,
                (f"{prefix}-r",),
                posted["accepted"],
                lambda: signal_all(replicas, signal.SIGCONT),
            )
        )
        cpu = sum(cpu_seconds(r.process.pid) for r in replicas) - cpu
        idle, total = (a - b for a, b in zip(machine_times(), (idle, total)))
    finally:
        signal_all(replicas, signal.SIGCONT)  # idempotent: a stopped process could not be shut down
    shares = [consumed(r) - start[id(r)] for r in replicas]
    scored = sum(shares) or 1
    return {
        **result,
        "replicas": len(replicas),
        "paused_s": round(paused_s, 1),
        "shares": [round(s / scored, 3) for s in shares],
        "cores_used": round(cpu / result["seconds"], 2) if result["seconds"] else None,
        "machine_idle": round(idle / total, 3) if total else None,
    }


def run(system: System, backlog: int, batch_size: int, run_id: str, say: Callable[[str], None]) -> dict:
    others = [system[name] for name in ("alerts", "casework")]
    signal_all(others, signal.SIGSTOP)
    try:
        say(f"scale: scoring alone (1 replica) drains a backlog of {backlog:,} responses")
        one = drain(system, [system["scoring"]], backlog, f"{run_id}-one", batch_size, say)
        say(f"  1 replica: {one['per_second']:,.0f} responses/s")
        say("scale: a second scoring replica joins the group")
        second = system.spawn("scoring")
        second.wait_ready()
        two = drain(system, [system["scoring"], second], backlog, f"{run_id}-two", batch_size, say)
        shares = ", ".join(f"{s:.0%}" for s in two["shares"])
        say(f"  2 replicas: {two['per_second']:,.0f} responses/s (shares {shares})")
    finally:
        signal_all(others, signal.SIGCONT)
    notes = [
        f"the replicas were paused {r['paused_s']:.0f} s while the backlog was posted, longer than the "
        f"{SESSION_TIMEOUT_S} s session timeout: the group rebalanced on resumption, inside the timing"
        for r in (one, two)
        if r["paused_s"] > SESSION_TIMEOUT_S
    ]
    ratio = round(two["per_second"] / one["per_second"], 2) if one["per_second"] else None
    return {"backlog": backlog, "one": one, "two": two, "ratio": ratio, "notes": notes}
