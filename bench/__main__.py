"""`python -m bench`: start Lazo embedded, measure it and its ceilings, print and save the figures.

Phases, in this order so each runs on a quiet system: warm-up, latency (paced, everything
running, from each request's intended send time, with the hop-by-hop breakdown of POST → case),
ceilings (bare route, raw aiokafka), ingest's throughput with every service running (single POSTs,
the same responses as signed Typeform webhooks, batches), the pipeline draining a backlog posted
while its consumers were paused, and casework draining a backlog of detractor alerts (bench/cases.py).
`--only webhook` measures single POSTs too: the webhook's figure is read against theirs.
`--only scale` times scoring draining a backlog with one replica, then two in the same group;
`--soak SECONDS` holds a paced load instead, reporting every few seconds and memory at the end;
`--pg` runs the services on PostgreSQL (schemas of their own, dropped at the end) instead of SQLite.
`--only surveys`: the survey planner planning a month for `--contacts` (1,000,000) on its own database
(bench/surveys.py).
`--only comments`: the comment analyzer's accuracy on the labelled sets and its speed on one core,
and scoring's throughput with analysis on against off (bench/comments.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvloop

from shared.settings import SERVICES
from bench import cases, comments, kafka, kpis, latency, loadgen, report, scale, soak, surveys, workload
from ops.embedded_broker import free_port
from tests.harness import KEYS, System

PHASES = ("single", "webhook", "batch", "drain", "cases", "latency", "ceilings", "kpis", "comments", "scale", "surveys")
PARTITIONS = 6  # as `make run`


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--responses",
        type=int,
        default=20_000,
        help="responses per throughput run, and the backlog the scale phase drains (default 20000)",
    )
    p.add_argument(
        "--rate", type=float, default=500, help="paced responses/s for the latency run and the soak (default 500)"
    )
    p.add_argument("--seconds", type=float, default=20, help="length of the latency run (default 20)")
    p.add_argument("--only", choices=PHASES, help="run one phase")
    p.add_argument(
        "--skip",
        nargs="+",
        choices=PHASES,
        default=[],
        metavar="PHASE",
        help="run every phase but these (e.g. --skip surveys kpis)",
    )
    kpis.add_arguments(p)
    comments.add_arguments(p)
    surveys.add_arguments(p)
    p.add_argument("--connections", type=int, default=64, help="concurrent connections for single POSTs")
    p.add_argument(
        "--procs",
        type=int,
        default=max(1, min(2, (os.cpu_count() or 2) // 2)),
        help="load-generator processes (default: 1 on a 2-core machine)",
    )
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument(
        "--cases",
        type=int,
        default=13_360,
        help="detractors whose alerts casework drains as a backlog (default 13360, as issue 11)",
    )
    p.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        help="instead of the phases: a paced load (--rate) for this long, reported every --every s",
    )
    p.add_argument("--every", type=float, default=5, help="seconds between the soak's reports (default 5)")
    pg = next(a for a in p._actions if "--pg" in a.option_strings)  # kpis' option, with one more use
    pg.help = (
        f"PostgreSQL: the services run on it (schemas of their own, dropped at the end) and the KPIs "
        f"are timed on it too (default URL {pg.const})"
    )
    args = p.parse_args(argv)
    if args.soak:
        args.only = "soak"  # the soak replaces every other phase
    return args


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def throughput(port: int, args: argparse.Namespace, *, kind: str, prefix: str, connections: int) -> dict:
    procs = 1 if kind == "batch" else args.procs
    jobs = loadgen.split(
        args.responses,
        procs,
        host="127.0.0.1",
        port=port,
        key=KEYS["ingest"],
        kind=kind,
        prefix=prefix,
        connections=connections,
        batch_size=args.batch_size,
    )
    return {**loadgen.run(jobs), "connections": connections * len(jobs), "batch_size": args.batch_size}


def typeform_source(system: System) -> None:
    """Register the Typeform source the webhooks are signed for (replacing it if it is there already)."""
    body = workload.typeform_source()
    with httpx.Client(
        base_url=system.url("ingest"), headers={"Authorization": f"Bearer {KEYS['admin']}"}, timeout=30
    ) as admin:
        r = admin.post("/v1/sources", json=body)
        if r.status_code == 409:
            r = admin.put(f"/v1/sources/{body['id']}", json={k: v for k, v in body.items() if k != "id"})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"could not register the Typeform source: {r.status_code} {r.text}")


def bare_route(args: argparse.Namespace, prefix: str) -> dict:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_app", str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the bare route did not start") from None
                time.sleep(0.1)
        return throughput(port, args, kind="single", prefix=prefix, connections=args.connections // args.procs)
    finally:
        proc.terminate()
        proc.wait(10)


def run(args: argparse.Namespace, system: System, results: dict) -> None:
    run_id = "b" + uuid.uuid4().hex[:6]

    def want(phase: str) -> bool:
        return args.only in (None, phase) and phase not in args.skip

    ingest = system["ingest"].port if "ingest" in system.services else None
    bootstrap = system.broker.bootstrap

    def paced(prefix: str, rate: float, seconds: float, **kw) -> dict:
        return uvloop.run(
            latency.measure(
                host="127.0.0.1",
                port=ingest,
                key=KEYS["ingest"],
                bootstrap=bootstrap,
                prefix=prefix,
                rate=rate,
                seconds=seconds,
                **kw,
            )
        )

    def warm_up() -> None:
        say("warm-up: 200 responses, waiting for their events")
        warm = paced(f"{run_id}-w", 200, 1, settle_s=15)
        for name, m in warm["milestones"].items():
            if not m["seen"]:
                results["notes"].append(f"the warm-up saw no {m['event']} events: is {name} working?")

    if args.only == "soak":
        warm_up()
        before = memory(system)
        say(f"soak: {args.rate:g} responses/s for {args.soak:g} s, a report every {args.every:g} s")
        results["soak"] = uvloop.run(
            soak.run(
                host="127.0.0.1",
                port=ingest,
                key=KEYS["ingest"],
                bootstrap=bootstrap,
                prefix=f"{run_id}-soak",
                rate=args.rate,
                seconds=args.soak,
                every=args.every,
                say=lambda text: print(f"[soak] {text}", flush=True),
            )
        )
        results["memory"] = {
            name: {"before_mib": before.get(name, {}).get("rss_mib"), **now} for name, now in memory(system).items()
        }
    if want("latency"):
        warm_up()
        say(f"latency: {args.rate:g} responses/s for {args.seconds:g} s")
        results["latency"] = paced(f"{run_id}-l", args.rate, args.seconds)
    if want("ceilings"):
        say("ceiling: a bare FastAPI route, same uvicorn settings, same load generator")
        results["ceilings"]["bare_route"] = bare_route(args, f"{run_id}-bare")
        say("ceiling: raw aiokafka produce + consume on the same broker")
        messages = max(args.responses, 20_000)  # fewer would mostly time the consumer's start
        results["ceilings"]["raw_kafka"] = uvloop.run(kafka.raw_ceiling(bootstrap, messages, PARTITIONS, False))
    if want("single") or want("webhook") or want("batch"):
        # With every service running, as users run Lazo: the consumers work through what is posted
        # while it is posted (the headline figures).
        if want("single") or want("webhook"):  # the webhook's figure is read against this one
            say(
                f"throughput: {args.responses:,} single POSTs over {args.connections} connections "
                "(every service running)"
            )
            results["single"] = throughput(
                ingest, args, kind="single", prefix=f"{run_id}-s", connections=args.connections // args.procs
            )
        if want("webhook"):
            typeform_source(system)
            say(
                f"throughput: {args.responses:,} signed Typeform webhooks over {args.connections} connections "
                "(every service running)"
            )
            results["webhook"] = throughput(
                ingest, args, kind="typeform", prefix=f"{run_id}-t", connections=args.connections // args.procs
            )
            canonical = results["single"]["per_second"]
            results["webhook"]["vs_single"] = (
                round(results["webhook"]["per_second"] / canonical, 3) if canonical else None
            )
        if want("batch"):
            say(f"throughput: {args.responses:,} responses in batches of {args.batch_size} (every service running)")
            results["batch"] = throughput(ingest, args, kind="batch", prefix=f"{run_id}-b", connections=4)
    if want("drain"):
        # The pipeline on a backlog: the consumers paused while a burst is posted, then timed
        # catching up (after an outage, or a history import).
        downstream = [system[name].process for name in ("scoring", "alerts", "casework")]

        def resume() -> None:
            for proc in downstream:
                proc.send_signal(signal.SIGCONT)

        for proc in downstream:
            proc.send_signal(signal.SIGSTOP)
        try:
            say(f"drain: {args.responses:,} responses in batches while the consumers are paused")
            burst = throughput(ingest, args, kind="batch", prefix=f"{run_id}-d", connections=4)
            results["batch_paused"] = burst
            say(f"drain: consumers resumed, timing the scoring of the {burst['accepted']:,} responses just posted")
            results["drain"] = uvloop.run(kafka.drain(bootstrap, (f"{run_id}-d",), burst["accepted"], resume))
        finally:
            resume()  # idempotent: a stopped service could not even be shut down
    if want("cases"):
        say(f"cases: {args.cases:,} detractors posted while casework is paused, then its backlog timed")
        results["cases"] = cases.run(
            system,
            port=ingest,
            key=KEYS["ingest"],
            count=args.cases,
            batch_size=args.batch_size,
            prefix=f"{run_id}-k",
            say=say,
        )
    if want("scale"):  # last: it leaves a second scoring replica running
        results["scale"] = scale.run(system, args.responses, args.batch_size, run_id, say)
        results["notes"] += results["scale"].pop("notes")
    for phase in ("single", "webhook", "batch"):
        if phase in results and results[phase]["accepted"] < args.responses:
            results["notes"].append(
                f"{phase}: {results[phase]['accepted']:,} of {args.responses:,} accepted; "
                f"HTTP statuses {results[phase]['statuses']}"
            )


def memory(system: System) -> dict[str, dict]:
    """Resident memory now and at its peak of every process: the services (replicas too) and the broker."""
    procs = {name: s.process for name, s in system.services.items()}
    procs.update({f"{s.name} ({n + 2})": s.process for n, s in enumerate(system.extras)})
    procs["broker (Tansu)"] = system.broker.process
    return {name: m for name, p in procs.items() if p and (m := soak.memory_mib(p.pid))}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # The figures are for the default set-up, SQLite, unless --pg asks for PostgreSQL: the harness
    # then gives the services schemas under a prefix of their own and drops them when it stops.
    os.environ.pop("TEST_DATABASE_URL", None)
    if args.pg:
        os.environ["TEST_DATABASE_URL"] = args.pg
    results: dict = {
        "environment": {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "database": "PostgreSQL" if args.pg else "SQLite",
            "broker": f"embedded Tansu ({PARTITIONS} partitions)",
        },
        "options": vars(args),
        "targets": report.TARGETS,
        "ceilings": {},
        "notes": [],
    }
    # The analyzer, and scoring with it on and off, on their own.
    if args.only in (None, "comments") and "comments" not in args.skip:
        results["comments"] = comments.run(args)
        if args.only == "comments":
            print("\n" + comments.render(results["comments"]))
            say(f"figures saved to {report.save(results)}")
            return 0
    # The planner planning a month, on its own scratch database.
    if args.only in (None, "surveys") and "surveys" not in args.skip:
        results["surveys"] = surveys.run(args)
        if args.only == "surveys":
            print("\n" + surveys.render(results["surveys"]))
            say(f"figures saved to {report.save(results)}")
            return 0
    if args.only in (None, "kpis") and "kpis" not in args.skip:  # scoring's KPI queries, on their own scratch database
        results["kpis"] = kpis.run(args)
        if args.only == "kpis":
            print("\n" + kpis.render(results["kpis"]))
            say(f"figures saved to {report.save(results)}")
            return 0
    services = () if args.only == "ceilings" else SERVICES
    with tempfile.TemporaryDirectory(prefix="lazo-bench-") as tmp:
        say("starting the embedded broker" + (" and the five services" if services else ""))
        system = System(
            Path(tmp),
            services=services,
            # The per-key rate limit (2000/s by default) would cap what is measured.
            extra_env={
                "LAZO_LOG_LEVEL": "WARNING",
                "LAZO_KAFKA_PARTITIONS": str(PARTITIONS),
                "LAZO_RATE_LIMIT_PER_S": "0",
            },
        )
        try:
            run(args, system, results)
        except KeyboardInterrupt:
            say("interrupted")
            return 130
        finally:
            system.close()
    load = os.getloadavg()[0]
    results["environment"]["load_average_1m"] = round(load, 2)
    if load > (os.cpu_count() or 1):
        results["notes"].append(
            f"the machine was busy (load average {load:.1f} on {os.cpu_count()} CPUs): "
            "these figures understate what it can do; run again when it is quiet"
        )
    print()
    print(report.render(results))
    if "kpis" in results:
        print("\n" + kpis.render(results["kpis"]))
    if "comments" in results:
        print("\n" + comments.render(results["comments"]))
    if "surveys" in results:
        print("\n" + surveys.render(results["surveys"]))
    say(f"figures saved to {report.save(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
