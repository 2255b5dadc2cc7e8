"""Helpers of the security tests: a programme of the test's own, and a customer in trouble."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from ops.embedded_broker import free_port
from tests.harness import ServiceProcess, drop_schemas
from tests.support import poll

QUESTIONS = [{"key": k, "scale": {"min": 1, "max": 10}} for k in ("experience", "worth", "recommend")]
# The discard port: nothing listens there, so every push to it fails (connection refused).
NOWHERE = "http://127.0.0.1:9/lazo"


async def own_program(system, name: str) -> str:
    """Create a programme in scoring and wait until ingest accepts responses to it: alerts and
    deliveries of the test stay apart from everyone else's."""
    async with system.client("scoring") as scoring, system.client("ingest", "ingest") as ingest:
        r = await scoring.put(f"/v1/programs/{name}", json={"questions": QUESTIONS})
        assert r.status_code in (200, 201), r.text

        async def known() -> bool:
            r = await ingest.post(
                "/v1/responses",
                json={
                    "response_id": f"{name}-probe",
                    "program": name,
                    "customer": {"id": f"{name}-probe"},
                    "answers": {"experience": 9, "worth": 9, "recommend": 9},
                },
            )
            return r.status_code == 202

        await poll(known, timeout=60, what=f"ingest to know programme {name}")
    return name


async def failing_subscription(system, program: str) -> str:
    async with system.client("alerts", "manager") as alerts:
        r = await alerts.post(
            "/v1/subscriptions",
            json={"url": NOWHERE, "secret": "s" * 32, "event_types": ["lazo.alert.raised"], "programs": [program]},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


def detractor(response_id: str, program: str, customer: str, *, email: str, name: str, comment: str) -> dict:
    """A response that raises an alert (IEC 2, and a comment)."""
    return {
        "response_id": response_id,
        "program": program,
        "touchpoint": "web",
        "customer": {"id": customer, "email": email, "name": name},
        "answers": {"experience": 2, "worth": 2, "recommend": 2},
        "comment": comment,
    }


async def case_of(system, customer: str) -> dict:
    async with system.client("casework", "agent") as casework:

        async def found():
            r = await casework.get("/v1/cases", params={"customer_id": customer})
            return r.status_code == 200 and r.json()["items"]

        [case] = await poll(found, timeout=60, what=f"a case for {customer}")
        return case


class Alone:
    """Services of a test's own, beside the shared system: their own database (a SQLite folder, or
    PostgreSQL schemas of their own) and no broker (nothing listens on their bootstrap address).
    Nothing they do reaches the shared system, and what they count (failed authentications, webhook
    deliveries) is theirs alone. HTTP, the gate and the database work; publishing answers 503."""

    def __init__(self, system, names, **env: str):
        self.system = system
        self.prefix = f"a{uuid.uuid4().hex[:8]}_"
        ports = {name: free_port() for name in names}
        base = {
            **system.env,
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "LAZO_SCHEMA_PREFIX": self.prefix,
            "LAZO_VAR_DIR": str(system.workdir / f"var-{self.prefix}"),
            "LAZO_LOG_LEVEL": "WARNING",
            **env,
        }
        base.update({f"LAZO_{name.upper()}_PORT": str(port) for name, port in ports.items()})
        self.procs = {
            name: ServiceProcess(name, base, ports[name], system.workdir, log_name=f"{name}-{self.prefix}")
            for name in names
        }

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.procs[name]

    async def __aenter__(self) -> Alone:
        try:
            for proc in self.procs.values():
                proc.start()
            for name, proc in self.procs.items():
                try:
                    await poll(lambda: self._migrated(proc), timeout=180, interval=0.2, what=f"{name} alone, migrated")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{proc.tail()}") from None
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _migrated(self, proc: ServiceProcess) -> bool:
        assert proc.process.poll() is None, proc.tail()
        try:
            async with httpx.AsyncClient(timeout=3) as c:
                r = await c.get(f"{proc.url}/readyz")
            return r.json().get("checks", {}).get("migrated") is True
        except (httpx.HTTPError, ValueError):
            return False

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in self.procs.values()))
        if self.system.database_url:
            await asyncio.to_thread(drop_schemas, self.system.database_url, self.prefix)

    def client(self, name: str, key: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.procs[name].url, timeout=15, headers={"Authorization": f"Bearer {key}"} if key else {}
        )


async def raw_post(
    port: int, path: str, declared: int, sent: bytes, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    """A request that declares `declared` bytes of body but sends only `sent`, then waits for the
    answer. An answer at all proves the server did not wait for (let alone read) the rest."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Content-Type: application/json",
            f"Content-Length: {declared}",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        got: dict[str, str] = {}
        while (line := await asyncio.wait_for(reader.readline(), 30)) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            got[name.strip().lower()] = value.strip()
        body = await asyncio.wait_for(reader.readexactly(int(got.get("content-length", 0))), 30)
        return int(status_line.split()[1]), got, body
    finally:
        writer.close()


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample in /metrics output (0 when absent)."""
    want = {f'{k}="{v}"' for k, v in labels.items()}
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and want <= set(line[line.index("{") + 1 : line.index("}")].split(",")):
            total += float(line.rsplit(" ", 1)[1])
    return total
