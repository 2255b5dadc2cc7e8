"""A lean HTTP/1.1 keep-alive load generator, run in its own process(es).

A general-purpose client (httpx) spends more CPU per request than a single-worker uvicorn
server does; on a 2-core machine it would measure itself. This one sends pre-serialised requests
over persistent connections and reads only the status line, the headers and the body.
The same generator drives Lazo and the bare-route ceiling, so their figures compare.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from collections import Counter
from dataclasses import dataclass

import orjson

from bench import workload


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(*await asyncio.open_connection(host, port))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self._writer.write(raw)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length) if length else b""

    def close(self) -> None:
        self._writer.close()


async def post_timed(
    pool: asyncio.Queue[Connection], host: str, port: int, raw: bytes, statuses: Counter
) -> float | None:
    """One request over a pooled connection: when it was answered 202, else None (its status,
    or -1 for a broken connection, is counted; a broken connection is replaced)."""
    conn = await pool.get()
    try:
        status, _ = await conn.request(raw)
        answered = time.perf_counter()
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        statuses[-1] += 1
        conn.close()
        conn = await Connection.open(host, port)
        return None
    finally:
        pool.put_nowait(conn)
    statuses[status] += 1
    return answered if status == 202 else None


@dataclass(frozen=True)
class Job:
    """One worker process's share: responses [first, first+count) posted as `kind`."""

    host: str
    port: int
    key: str
    kind: str  # "single" (POST /v1/responses), "batch" (POST /v1/responses:batch), "typeform" (its webhook)
    #            or "detractors" (batches of detractors, each a customer of its own)
    prefix: str
    first: int
    count: int
    connections: int
    batch_size: int = 500

    def requests(self) -> list[bytes]:
        indexes = range(self.first, self.first + self.count)
        if self.kind == "single":
            return [
                workload.http_post(
                    self.host, self.port, "/v1/responses", self.key, workload.response(self.prefix, i, customers=5000)
                )
                for i in indexes
            ]
        if self.kind == "typeform":  # signed here, so the clock times ingest verifying, not us signing
            return [
                workload.typeform_post(self.host, self.port, workload.typeform_payload(self.prefix, i, customers=5000))
                for i in indexes
            ]
        chunks = [indexes[i : i + self.batch_size] for i in range(0, len(indexes), self.batch_size)]
        make = (
            (lambda i: workload.detractor(self.prefix, i))
            if self.kind == "detractors"
            else (lambda i: workload.response(self.prefix, i, customers=5000))
        )
        return [
            workload.http_post(
                self.host, self.port, "/v1/responses:batch", self.key, {"responses": [make(i) for i in c]}
            )
            for c in chunks
        ]


async def _run(job: Job, ready, go) -> dict:
    raw = job.requests()
    conns = [await Connection.open(job.host, job.port) for _ in range(min(job.connections, len(raw)))]
    ready.put(True)
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    statuses: Counter[int] = Counter()
    accepted = 0
    pending = iter(raw)

    async def drive(conn: Connection) -> None:
        nonlocal accepted
        for req in pending:  # the shared iterator hands each request to exactly one connection
            try:
                status, body = await conn.request(req)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                statuses[-1] += 1
                conn.close()
                conn = await Connection.open(job.host, job.port)
                continue
            statuses[status] += 1
            accepted += _accepted(job.kind, status, body)
        conn.close()

    await asyncio.gather(*(drive(c) for c in conns))
    return {
        "accepted": accepted,
        "statuses": {str(k): v for k, v in statuses.items()},
        "requests": len(raw),
        "finished": time.time(),
    }


def _accepted(kind: str, status: int, body: bytes) -> int:
    """Responses a reply accepted. A webhook answers 200 for a quarantined payload too: only
    `"status": "accepted"` means the response was published."""
    if kind == "typeform":
        return int(status == 200 and orjson.loads(body).get("status") == "accepted")
    if status != 202:
        return 0
    return orjson.loads(body)["accepted"] if kind in ("batch", "detractors") else 1


def _worker(job: Job, ready, go, results) -> None:
    import uvloop

    results.put(uvloop.run(_run(job, ready, go)))


def run(jobs: list[Job]) -> dict:
    """Start every worker, let them connect, release them together; responses/s over the wall clock."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker, args=(job, ready, go, results), daemon=True) for job in jobs]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=120)
        started = time.time()
        go.set()
        outs = [results.get(timeout=900) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    elapsed = max(o["finished"] for o in outs) - started
    statuses: Counter[str] = Counter()
    for o in outs:
        statuses.update(o["statuses"])
    accepted = sum(o["accepted"] for o in outs)
    return {
        "accepted": accepted,
        "requests": sum(o["requests"] for o in outs),
        "seconds": round(elapsed, 3),
        "per_second": round(accepted / elapsed, 1) if elapsed > 0 else 0.0,
        "statuses": dict(statuses),
    }


def split(total: int, procs: int, **job) -> list[Job]:
    """`total` responses shared out between `procs` worker processes."""
    share, extra = divmod(total, procs)
    jobs, first = [], 0
    for i in range(procs):
        count = share + (i < extra)
        jobs.append(Job(first=first, count=count, **job))
        first += count
    return jobs
