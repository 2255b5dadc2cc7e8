"""`make run` (python -m ops.devrun) end to end: it starts the broker and the four services,
prints the key, and stops everything it started on Ctrl-C, or when a service dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from shared.settings import SERVICES
from ops.embedded_broker import answers, free_port
from tests.harness import ROOT, drop_schemas
from tests.support import poll


class DevRun:
    def __init__(self, workdir: Path):
        self.ports = {name: free_port() for name in SERVICES}
        self.broker_port = free_port()
        self.var = workdir / "var"
        self.lines: list[str] = []
        self.database_url = os.environ.get("TEST_DATABASE_URL")
        self.schema_prefix = f"d{uuid.uuid4().hex[:8]}_"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LAZO_") and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
        }
        env.update({f"LAZO_{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{self.broker_port}", LAZO_VAR_DIR=str(self.var), PYTHONPATH=str(ROOT)
        )
        if self.database_url:
            env.update(DATABASE_URL=self.database_url, LAZO_SCHEMA_PREFIX=self.schema_prefix)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ops.devrun"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def all_ready(self) -> bool:
        assert self.process.poll() is None, f"devrun exited early:\n{self.output}"
        async with httpx.AsyncClient(timeout=2) as http:
            for port in self.ports.values():
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
        return True

    def children(self) -> dict[str, int]:
        """The services' pids, read from /proc: their parent is devrun."""
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and len(cmdline) > 2 and cmdline[1] == b"-m":
                found[cmdline[2].decode().removeprefix("services.")] = int(stat.parent.name)
        return found

    def all_closed(self) -> bool:
        return not any(answers("127.0.0.1", p) for p in [*self.ports.values(), self.broker_port])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self.database_url:
            drop_schemas(self.database_url, self.schema_prefix)


@pytest.fixture
def devrun(tmp_path):
    run = DevRun(tmp_path)
    yield run
    run.close()


async def test_make_run_starts_everything_and_ctrl_c_stops_it(devrun, uid):
    await poll(devrun.all_ready, timeout=180, interval=0.5, what="the four services' /readyz")
    key = (devrun.var / "api-key").read_text().strip()
    # The summary ends with a ready-to-paste curl carrying the key.
    await poll(
        lambda: "Lazo is running" in devrun.output and f"Authorization: Bearer {key}" in devrun.output,
        timeout=30,
        what="the summary with the key",
    )
    assert f"development API key (admin): {key}" in devrun.output
    for name in SERVICES:  # one stream, each line saying whose it is
        assert any(line.startswith(f"[{name}]") for line in devrun.lines), name
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{devrun.ports['ingest']}", timeout=15) as c:
        r = await c.post(
            "/v1/responses",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "response_id": f"r-{uid}",
                "customer": {"id": f"C-{uid}"},
                "answers": {"experience": 8, "worth": 9, "recommend": 9},
            },
        )
    assert r.status_code == 202, r.text

    devrun.process.send_signal(signal.SIGINT)
    assert devrun.process.wait(60) == 0, devrun.output
    assert devrun.all_closed(), devrun.output


async def test_a_service_that_dies_stops_everything(devrun):
    await poll(devrun.all_ready, timeout=180, interval=0.5, what="the four services' /readyz")
    pids = devrun.children()
    assert set(pids) == set(SERVICES), pids

    os.kill(pids["scoring"], signal.SIGKILL)
    assert devrun.process.wait(60) == 1, devrun.output
    assert "scoring exited" in devrun.output
    assert devrun.all_closed(), devrun.output
