"""The responses export's memory: scoring streams N stored responses as CSV (or NDJSON) over HTTP
while its process's resident memory is sampled.

`python -m bench.export [--rows N] [--format csv|ndjson]`

The rows are written straight into a freshly migrated SQLite database; the scoring service then
runs as its own process on it (no broker needed for this route) and the export is read to the end
by a streaming client. Constant memory means the peak stays near the idle process's size, however
large N is (compare --rows 100000 with --rows 1000000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert

from shared import db
from shared.settings import Settings
from ops.embedded_broker import free_port
from services.scoring.app import MIGRATIONS
from services.scoring.models import Response

KEY = "bench-export-key"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
ANALYSIS = {
    "language": "es",
    "sentiment": -0.6,
    "polarity": "negative",
    "emotion": "rechazo",
    "causes": [{"key": "billing", "evidence": "me cobraron dos veces", "polarity": "negative"}],
    "keyphrases": ["cobro"],
    "analyzer": "bench",
}


def fill(path: Path, rows: int) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for start in range(0, rows, 10_000):
            conn.execute(
                insert(Response.__table__),
                [
                    {
                        "response_id": f"r-{n:08d}",
                        "customer_id": f"C-{n % 50_000}",
                        "program": "default",
                        "touchpoint": "web",
                        "submitted_at": T0 + timedelta(seconds=n),
                        "status": "scored",
                        "iec": 4.0,
                        "segment": "nunca_mas",
                        "recommend_0_10": 5,
                        "answers": {"experience": 3, "worth": 4, "recommend": 5},
                        "comment": "Me cobraron dos veces y nadie me devolvió la llamada",
                        "comment_analysis": ANALYSIS,
                        "emotion": "rechazo",
                        "scored_at": T0,
                        "conflicts": 0,
                    }
                    for n in range(start, min(rows, start + 10_000))
                ],
            )
    engine.dispose()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def run(rows: int, fmt: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp))
        asyncio.run(db.migrate(settings, "scoring", MIGRATIONS))
        fill(Path(tmp) / "scoring.db", rows)
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LAZO_")},
            "LAZO_VAR_DIR": tmp,
            "LAZO_SCORING_PORT": str(port),
            "LAZO_API_KEYS": f"{KEY}:manager",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "LAZO_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.scoring"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("scoring did not start")
                time.sleep(0.2)
            idle = rss_kib(proc.pid)
            peak = [idle]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(proc.pid))
                    done.wait(0.1)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            lines = size = 0
            started = time.perf_counter()
            with httpx.stream(
                "GET",
                f"{base}/v1/exports/responses",
                params={"format": fmt},
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=120,
            ) as r:
                r.raise_for_status()
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    lines += chunk.count(b"\n")
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
        finally:
            proc.terminate()
            proc.wait(15)
    records = lines - (1 if fmt == "csv" else 0)
    assert records == rows, f"{records} records exported of {rows}"
    return {"rows": rows, "seconds": elapsed, "mib": size / 2**20, "idle_mib": idle / 1024, "peak_mib": peak[0] / 1024}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000, help="stored responses to export (default 200000)")
    p.add_argument("--format", choices=("csv", "ndjson"), default="csv")
    args = p.parse_args()
    r = run(args.rows, args.format)
    print(
        f"exported {r['rows']:,} responses as {args.format} ({r['mib']:.0f} MiB) in {r['seconds']:.1f} s "
        f"({r['rows'] / r['seconds']:,.0f} rows/s); scoring's memory: {r['idle_mib']:.0f} MiB idle, "
        f"{r['peak_mib']:.0f} MiB at the peak"
    )


if __name__ == "__main__":
    main()
