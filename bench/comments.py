"""Comment analysis in `make bench` (`python -m bench --only comments`, or `python -m bench.comments`).

1. The analyzer alone: `bench.comment_accuracy` in a process of its own pinned to one core, over
   every labelled set: comments analysed per second (target ≥ 5,000) and, per set and language,
   language-id, polarity, emotion macro-F1 and cause micro-F1 beside their held-out targets.
2. Scoring's throughput with analysis on against off (target: at most 10% slower): scoring's own
   handler table (services/scoring/handlers.py) through the message bus and the real unit of
   work on a scratch SQLite database, the same responses with their comments each way; no broker
   or HTTP, whose cost is the same either way and would only dilute the difference. Two mixes:
   every response with a comment (the worst case), and one in five (the rest of the bench's
   workload). Rounds alternate on and off; each is timed in CPU time of the process (the
   database's thread included), so a busy machine slows both alike; the best round is the figure.
3. The pipeline: scoring as a service, draining a backlog posted through ingest (the bench's
   workload, bench/scale.py's drain), once with LAZO_COMMENT_ANALYZER=off and once with the
   built-in analyzer: responses scored per second, broker and all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from shared.bus import MessageBus
from shared.db import make_sessionmaker
from shared.events import Envelope, EventType, utcnow
from shared.limits import SubmissionWindow
from shared.tombstones import CustomerDigest, ErasureGuard
from shared.uow import UnitsOfWork
from bench.comment_accuracy import SETS
from bench.comment_accuracy import render as render_set
from services.scoring import handlers
from services.scoring.analysis import Analysis, load_analyzer
from services.scoring.models import Base, messaging, tombstones

TARGET_PER_SECOND = 5_000
TARGET_SLOWDOWN = 0.10
ROUNDS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("comments", "comment analysis: accuracy, speed, scoring's throughput")
    group.add_argument(
        "--comment-responses", type=int, default=4_000, help="responses per scoring round, each way (default 4000)"
    )
    group.add_argument(
        "--comment-backlog",
        type=int,
        default=10_000,
        help="responses scoring drains as a service, each way (default 10000; 0 skips it)",
    )


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def accuracy() -> dict:
    """bench.comment_accuracy's figures, from a process pinned to one core."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.comment_accuracy", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _comments() -> list[str]:
    """Real customer comments from the labelled sets the analyzer was written on (not the held-out one)."""
    texts = []
    for path in sorted(SETS.glob("*.jsonl")):
        if path.stem != "heldout":
            texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    return texts


def _events(n: int, prefix: str, texts: list[str], every: int = 1) -> list[Envelope]:
    now = utcnow()
    submitted = (now - timedelta(minutes=5)).isoformat()
    return [
        Envelope.new(
            id=f"{prefix}-{i}",
            type=EventType.RESPONSE_RECEIVED,
            source="/bench",
            subject=f"C-{i % 997}",
            data={
                "response_id": f"{prefix}-{i}",
                "customer": {"id": f"C-{i % 997}"},
                "submitted_at": submitted,
                "received_at": now.isoformat(),
                "touchpoint": "web",
                "answers": {"experience": 1 + i % 10, "worth": 1 + (i * 7) % 10, "recommend": (i * 3) % 11},
                "comment": texts[i % len(texts)] if i % every == 0 else None,
            },
        )
        for i in range(n)
    ]


async def _round(analysis: Analysis, events: list[Envelope], batch: int) -> float:
    with tempfile.TemporaryDirectory(prefix="lazo-bench-comments-") as tmp:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'scoring.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        guard = ErasureGuard("scoring", tombstones, CustomerDigest(["bench"]))
        bus = MessageBus(
            UnitsOfWork(make_sessionmaker(engine), messaging), handlers.responses(guard, SubmissionWindow(), analysis)
        )
        start = time.process_time()
        for i in range(0, len(events), batch):
            await bus.handle(events[i : i + batch])
        seconds = time.process_time() - start
        await engine.dispose()
    return seconds


async def scoring_throughput(n: int, every: int, batch: int = 500) -> dict:
    """Responses scored per CPU second with analysis on and off; a comment on one response in `every`."""
    texts = _comments()
    on, off = Analysis(load_analyzer("builtin")), Analysis(load_analyzer("off"))
    await _round(on, _events(min(n, 500), "warm", texts), batch)  # warm the analyzer's caches, as a running service
    times: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(ROUNDS):
        for name, analysis in (("off", off), ("on", on)):
            times[name].append(await _round(analysis, _events(n, f"{name}{r}", texts, every), batch))
    best = {k: min(v) for k, v in times.items()}
    return {
        "responses": n,
        "batch": batch,
        "rounds": ROUNDS,
        "comment_every": every,
        "on_per_second": round(n / best["on"]),
        "off_per_second": round(n / best["off"]),
        "slowdown": round(best["on"] / best["off"] - 1, 3),
    }


def pipeline(backlog: int, batch_size: int) -> dict:
    """Scoring's drain of the same backlog with analysis off, then on (one scoring process each)."""
    from bench import scale  # the harness starts processes: imported only when this is run
    from tests.harness import System

    out = {}
    with tempfile.TemporaryDirectory(prefix="lazo-bench-comments-") as tmp:
        system = System(
            Path(tmp),
            services=("ingest", "scoring"),
            extra_env={"LAZO_LOG_LEVEL": "WARNING", "LAZO_RATE_LIMIT_PER_S": "0", "LAZO_KAFKA_PARTITIONS": "6"},
            service_env={"scoring": {"LAZO_COMMENT_ANALYZER": "off"}},
        )
        try:
            scoring = system["scoring"]
            for mode in ("off", "builtin"):
                if mode != "off":
                    scoring.stop()
                    scoring.env["LAZO_COMMENT_ANALYZER"] = mode
                    scoring.start()
                    scoring.wait_ready()
                say(f"comments: scoring drains {backlog:,} responses with LAZO_COMMENT_ANALYZER={mode}")
                result = scale.drain(system, [scoring], backlog, f"c{mode[:3]}{uuid.uuid4().hex[:4]}", batch_size, say)
                out[mode] = {k: result[k] for k in ("scored", "seconds", "per_second", "cores_used")}
        finally:
            system.close()
    on, off = out["builtin"]["per_second"], out["off"]["per_second"]
    out["slowdown"] = round(off / on - 1, 3) if on else None
    return out


def run(args: argparse.Namespace) -> dict:
    say("comments: the analyzer's accuracy and speed on one core (bench.comment_accuracy)")
    figures = accuracy()
    scoring = []
    for every in (1, 5):
        say(
            f"comments: scoring {args.comment_responses:,} responses, a comment on "
            f"{'each' if every == 1 else f'one in {every}'}, with analysis on and off ({ROUNDS} rounds each)"
        )
        scoring.append(asyncio.run(scoring_throughput(args.comment_responses, every)))
    return {
        "accuracy": figures,
        "scoring": scoring,
        "pipeline": pipeline(args.comment_backlog, 500) if args.comment_backlog else None,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def render(result: dict) -> str:
    lines = ["== Comment analysis"]
    for path, entry in result["accuracy"].items():
        lines.append(render_set(os.path.relpath(path), entry))
    speeds = [e["speed"]["per_second"] for e in result["accuracy"].values() if "speed" in e]
    if speeds:
        best = max(speeds)
        lines.append(
            f"== analyzer speed: {min(speeds):,}–{best:,} comments/s on one core across the sets "
            f"(target ≥ {TARGET_PER_SECOND:,}: {'ok' if best >= TARGET_PER_SECOND else 'BELOW'})"
        )
    for s in result["scoring"]:
        verdict = "ok" if s["slowdown"] <= TARGET_SLOWDOWN else "MISSED"
        mix = "every response with a comment" if s["comment_every"] == 1 else f"one in {s['comment_every']} with one"
        lines.append(
            f"== scoring's handler with analysis on: {s['on_per_second']:,} responses per CPU second, off: "
            f"{s['off_per_second']:,} ({mix}; best of {s['rounds']} rounds of {s['responses']:,}) → "
            f"{s['slowdown']:+.1%} CPU per response (target ≤ +{TARGET_SLOWDOWN:.0%}: {verdict})"
        )
    if p := result.get("pipeline"):
        verdict = "ok" if p["slowdown"] is not None and p["slowdown"] <= TARGET_SLOWDOWN else "MISSED"
        lines.append(
            f"== scoring as a service, draining {p['off']['scored']:,} responses (the bench workload: one in "
            f"five with a comment): analysis off {p['off']['per_second']:,.0f}/s, on "
            f"{p['builtin']['per_second']:,.0f}/s → {p['slowdown']:+.1%} time per response "
            f"(target ≤ +{TARGET_SLOWDOWN:.0%}: {verdict})"
        )
    lines.append(f"   load average during the run: {result['load_average_1m']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.comments", description=__doc__.splitlines()[0])
    add_arguments(p)
    print(render(run(p.parse_args(argv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
