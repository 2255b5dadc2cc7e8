"""Casework draining a backlog of detractor alerts, with every other service running.

Casework is paused (SIGSTOP) while a burst of detractors — each a customer of its own, so each
alert opens a case — goes through ingest, scoring and alerts; once every alert is on the broker,
casework is resumed and the cases it opens are timed from the broker (lazo.case.opened), so the
figure is casework's own pace on a backlog, as after an outage or a history import.
"""

from __future__ import annotations

import signal
import time

import uvloop

from shared.events import EventType, Topic
from bench import loadgen
from bench.kafka import Arrivals, settle


def run(system, *, port: int, key: str, count: int, batch_size: int, prefix: str, say) -> dict:
    return uvloop.run(_run(system, port=port, key=key, count=count, batch_size=batch_size, prefix=prefix, say=say))


async def _run(system, *, port: int, key: str, count: int, batch_size: int, prefix: str, say) -> dict:
    bootstrap = system.broker.bootstrap
    casework = system["casework"].process
    raised = await Arrivals(bootstrap, Topic.ALERTS, EventType.ALERT_RAISED, links=("alert_id",)).start()
    held = await Arrivals(bootstrap, Topic.ALERTS, EventType.ALERT_HELD_OUT, links=("alert_id",)).start()
    casework.send_signal(signal.SIGSTOP)
    try:
        jobs = loadgen.split(
            count,
            1,
            host="127.0.0.1",
            port=port,
            key=key,
            kind="detractors",
            prefix=prefix,
            connections=4,
            batch_size=batch_size,
        )
        posted = loadgen.run(jobs)
        say(f"cases: {posted['accepted']:,} detractors accepted; waiting for their alerts (casework paused)")

        def ours() -> int:
            return sum(1 for a in (raised, held) for rid in list(a.seen) if rid.startswith(prefix))

        await settle(ours, posted["accepted"], settle_s=30, max_wait_s=900)
        # Control-group alerts (held out) open no case to work: only the raised ones are expected.
        alerts = {s.links["alert_id"] for rid, s in raised.stamps.items() if rid.startswith(prefix)}
        held_out = sum(1 for rid in list(held.seen) if rid.startswith(prefix))
        opened = await Arrivals(bootstrap, Topic.CASES, EventType.CASE_OPENED, key="alert_id").start()
        say(f"cases: {len(alerts):,} alerts waiting; casework resumed")
        start = time.perf_counter()
        casework.send_signal(signal.SIGCONT)
        await settle(lambda: sum(1 for a in list(opened.seen) if a in alerts), len(alerts), settle_s=30, max_wait_s=900)
        times = [t for a, t in opened.seen.items() if a in alerts]
        await opened.stop()
    finally:
        casework.send_signal(signal.SIGCONT)
        await raised.stop()
        await held.stop()
    seconds = (max(times) - start) if times else 0.0
    return {
        "alerts": len(alerts),
        "held_out": held_out,
        "opened": len(times),
        "doubled": opened.doubled,
        "seconds": round(seconds, 3),
        "per_second": round(len(times) / seconds, 1) if seconds > 0 else 0.0,
        "first_s": round(min(times) - start, 3) if times else None,
    }
