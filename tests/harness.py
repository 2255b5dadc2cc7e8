"""Runs the real system for tests: the embedded broker and each service as its own process.

Services use SQLite files in a temporary folder, or PostgreSQL (own schemas, unique prefix)
when TEST_DATABASE_URL is set. Nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from shared.settings import SERVICES
from ops.embedded_broker import EmbeddedBroker, free_port

ROOT = Path(__file__).resolve().parent.parent
KEYS = {
    "ingest": "test-ingest-key",
    "agent": "test-agent-key",
    "manager": "test-manager-key",
    "admin": "test-admin-key",
}


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], port: int, log_dir: Path, log_name: str | None = None):
        self.name = name
        self.env = env
        self.port = port
        self.log_path = log_dir / f"{log_name or name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                r = httpx.get(f"{self.url}/readyz", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s (last: {last}):\n{self.tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                # A graceful stop that hangs must not fail the test that asked for it.
                self.process.kill()
                self.process.wait(15)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def restart(self) -> None:
        self.kill(signal.SIGTERM)
        self.start().wait_ready()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class System:
    def __init__(
        self,
        workdir: Path,
        services=SERVICES,
        extra_env: dict[str, str] | None = None,
        service_env: dict[str, dict[str, str]] | None = None,
    ):
        """`service_env`: per-service additions to the environment (e.g. one service's
        DATABASE_URL through a fault-injecting proxy)."""
        self.workdir = workdir
        self.extras: list[ServiceProcess] = []
        self.broker = EmbeddedBroker(log_path=str(workdir / "broker.log")).start()
        self.schema_prefix = f"t{uuid.uuid4().hex[:8]}_"
        self.database_url = os.environ.get("TEST_DATABASE_URL")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAZO_")}
        env.pop("DATABASE_URL", None)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
                "LAZO_KAFKA_IDEMPOTENCE": "false",
                "LAZO_KAFKA_PARTITIONS": "4",
                "LAZO_VAR_DIR": str(workdir / "var"),
                "LAZO_API_KEYS": ",".join(f"{k}:{r}" for r, k in KEYS.items()),
                "LAZO_SCHEMA_PREFIX": self.schema_prefix,
                "LAZO_PUBLISH_TIMEOUT_S": "3",
                "LAZO_LOG_LEVEL": "INFO",
                # The tests' contact centres and platform APIs are servers on 127.0.0.1; a test of the
                # refusals passes extra_env={"LAZO_ALLOW_PRIVATE_TARGETS": "false"}.
                "LAZO_ALLOW_PRIVATE_TARGETS": "true",
                # Test only: local receivers stand in for hooks.slack.com and Teams workflow hosts.
                "LAZO_TEST_CHAT_LOOPBACK": "true",
                "PYTHONPATH": str(ROOT),
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(extra_env or {})
        self.env = env
        # Every service learns every port: casework serves the dashboard, which reads the others.
        ports = {name: free_port() for name in services}
        env.update({f"LAZO_{name.upper()}_PORT": str(port) for name, port in ports.items()})
        self.services: dict[str, ServiceProcess] = {
            name: ServiceProcess(name, {**env, **(service_env or {}).get(name, {})}, port, workdir)
            for name, port in ports.items()
        }
        try:
            for proc in self.services.values():
                proc.start()
            for proc in self.services.values():
                proc.wait_ready()
        except BaseException:
            self.close()  # a failed start must not leave orphan processes behind
            raise

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def url(self, name: str) -> str:
        return self.services[name].url

    def spawn(self, name: str) -> ServiceProcess:
        """Start another replica of a service: same environment (database, consumer groups),
        its own port and log. Stopped by `close()`; stop it earlier with `.stop()`."""
        port = free_port()
        env = {**self.services[name].env, f"LAZO_{name.upper()}_PORT": str(port)}
        replica = ServiceProcess(name, env, port, self.workdir, log_name=f"{name}-{len(self.extras) + 2}")
        self.extras.append(replica)
        replica.start()
        return replica

    def client(self, name: str, role: str | None = "admin") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {KEYS[role]}"} if role else {}
        return httpx.AsyncClient(base_url=self.url(name), headers=headers, timeout=15)

    def close(self) -> None:
        for proc in [*self.extras, *self.services.values()]:
            proc.stop()
        self.broker.stop()
        if self.database_url:
            drop_schemas(self.database_url, self.schema_prefix)


def drop_schemas(database_url: str, prefix: str) -> None:
    import asyncio

    import asyncpg

    async def _drop() -> None:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        try:
            for name in SERVICES:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}{name}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(_drop())
